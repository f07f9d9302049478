"""Acknowledgements and maintenance as Alertmanager silences, through its v2 API.

An acknowledgement silences one alert group (`group`: the root cause, or the subject) for a
while, with who and why; maintenance windows silence their devices and sites for the window.
Silences made for a maintenance window say so in their comment, so removing the window
expires them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from noc.errors import NocError


class AlertmanagerError(NocError):
    """Alertmanager did not answer, or refused; the message says which."""


def _call(base: str, method: str, path: str, body: Any = None, timeout: float = 10) -> Any:
    url = base.rstrip("/") + path
    if not url.startswith(("http://", "https://")):
        raise AlertmanagerError(f"not an HTTP URL: {base}")
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace").strip()[:200]
        raise AlertmanagerError(
            f"Alertmanager refused {method} {path}: {exc.code} {detail}"
        ) from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AlertmanagerError(f"Alertmanager at {base} does not answer ({reason})") from None
    return json.loads(raw) if raw else None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def matcher(name: str, value: str, regex: bool = False) -> dict[str, Any]:
    return {"name": name, "value": value, "isRegex": regex, "isEqual": True}


def create_silence(
    base: str, matchers: list[dict[str, Any]], start: float, end: float, by: str, comment: str
) -> str:
    body = {
        "matchers": matchers,
        "startsAt": _iso(start),
        "endsAt": _iso(end),
        "createdBy": by,
        "comment": comment,
    }
    result = _call(base, "POST", "/api/v2/silences", body)
    return str(result["silenceID"])


ACK = "ack: "


def acknowledge(
    base: str, group: str, now: float, for_s: float, by: str, comment: str
) -> tuple[str, bool]:
    """Acknowledge alert group `group` for `for_s` by person `by`: (silence id, whether an
    acknowledgement already running was extended). A second acknowledgement of a group
    extends the first (to the later end) and adds its comment, instead of a second silence."""
    wanted = [matcher("group", group)]
    for s in silences(base):
        if (
            s.get("matchers") == wanted
            and str(s.get("comment", "")).startswith(ACK)
            and s.get("status", {}).get("state") == "active"
        ):
            ends = datetime.fromisoformat(str(s["endsAt"]).replace("Z", "+00:00")).timestamp()
            body = {
                "id": s["id"],
                "matchers": wanted,
                "startsAt": s["startsAt"],
                "endsAt": _iso(max(ends, now + for_s)),
                "createdBy": by,
                "comment": f"{s['comment']} / {by}: {comment}",
            }
            result = _call(base, "POST", "/api/v2/silences", body)
            return str(result["silenceID"]), True
    return create_silence(base, wanted, now, now + for_s, by, ACK + comment), False


def expire_silence(base: str, silence_id: str) -> None:
    _call(base, "DELETE", f"/api/v2/silence/{silence_id}")


def silences(base: str) -> list[dict[str, Any]]:
    return [
        s
        for s in _call(base, "GET", "/api/v2/silences") or []
        if s.get("status", {}).get("state") != "expired"
    ]


@dataclass(frozen=True)
class AlertView:
    group: str
    alertname: str
    device: str | None
    state: str  # firing, acknowledged, silenced (maintenance), inhibited
    since: str
    summary: str
    by: str | None = None
    comment: str | None = None
    until: str | None = None


def alerts(base: str) -> list[AlertView]:
    """The alerts Alertmanager holds, each firing, acknowledged (an ack silence), silenced
    (maintenance or another silence) or inhibited (behind a root cause)."""
    by_id = {s["id"]: s for s in silences(base)}
    out = []
    for a in _call(base, "GET", "/api/v2/alerts") or []:
        labels, status = a.get("labels", {}), a.get("status", {})
        silenced = [by_id[i] for i in status.get("silencedBy", []) if i in by_id]
        state = "firing"
        if silenced:
            comment = silenced[0].get("comment", "")
            state = "silenced" if comment.startswith("maintenance ") else "acknowledged"
        elif status.get("inhibitedBy"):
            state = "inhibited"
        first = silenced[0] if silenced else {}
        said = str(first.get("comment", "")) if first else ""
        out.append(
            AlertView(
                group=labels.get("group", ""),
                alertname=labels.get("alertname", ""),
                device=labels.get("device"),
                state=state,
                since=a.get("startsAt", ""),
                summary=a.get("annotations", {}).get("summary", ""),
                by=first.get("createdBy"),
                comment=said.removeprefix(ACK) if first else None,
                until=first.get("endsAt"),
            )
        )
    return sorted(out, key=lambda v: (v.state != "firing", v.group, v.alertname))


def maintenance_comment(window_id: str, name: str) -> str:
    return f"maintenance {window_id}: {name}"


def silence_maintenance(
    base: str,
    window_id: str,
    name: str,
    devices: list[str],
    sites: list[str],
    start: float,
    end: float,
    by: str,
) -> list[str]:
    """One silence for the window's devices, one for its sites."""
    made = []
    comment = maintenance_comment(window_id, name)
    if devices:
        made.append(
            create_silence(
                base, [matcher("device", "|".join(devices), regex=True)], start, end, by, comment
            )
        )
    if sites:
        made.append(
            create_silence(
                base, [matcher("site", "|".join(sites), regex=True)], start, end, by, comment
            )
        )
    return made


def expire_maintenance(base: str, window_id: str) -> int:
    prefix = f"maintenance {window_id}:"
    gone = 0
    for s in silences(base):
        if str(s.get("comment", "")).startswith(prefix):
            expire_silence(base, s["id"])
            gone += 1
    return gone
