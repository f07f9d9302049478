"""The WhatsApp (or any HTTP gateway) relay: Alertmanager's webhook in, the gateway's API out,
with a rate limit per chat. Gateways and Telegram both throttle at about 20 messages a minute
per group; past the limit, messages are folded into summaries that name each of them, so
nothing is lost and the chat is not flooded.

The core (`plan`) is pure: the waiting messages, when the last ones went, and `now` in; what
to send out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from noc.alerts.history import Notification


@dataclass(frozen=True)
class Queued:
    """A message waiting for its chat, as the relay's queue in the store holds it."""

    id: str
    chat: str
    subject: str
    text: str
    created: float


@dataclass(frozen=True)
class Outgoing:
    chat: str
    text: str
    ids: tuple[str, ...] = ()  # the queued messages it carries
    folded: tuple[str, ...] = ()  # the subjects a summary stands for


@dataclass(frozen=True)
class RelayPolicy:
    """At most `per_minute` messages per chat in any 60 s; the last slot of a minute is kept
    for a summary of what did not fit, sent once the chat has been quiet `quiet_s`, or once
    the oldest held message has waited `max_wait_s` (a steady drip is never quiet). No
    message is longer than `max_chars` (the gateway refuses longer ones): a summary is split."""

    per_minute: int = 20
    quiet_s: float = 3.0
    max_wait_s: float = 60.0
    max_chars: int = 4096

    def __post_init__(self) -> None:
        if self.per_minute < 2:
            raise ValueError("per_minute must leave room for a message and a summary")
        if self.max_chars < 200:
            raise ValueError("max_chars must hold a summary's heading and a line")


def plan(
    waiting: Sequence[Queued], sent_at: Sequence[float], now: float, policy: RelayPolicy
) -> list[Outgoing]:
    """What to send now to one chat: `waiting` its messages oldest first, `sent_at` when its
    messages went out. Each message alone while the minute has room (one slot kept); past
    that, summaries of the rest when it is time, as many as the slots left allow."""
    free = policy.per_minute - sum(1 for t in sent_at if now - t < 60)
    if free <= 0 or not waiting:
        return []
    if len(waiting) <= free - 1:
        return [_single(q, policy) for q in waiting]
    alone = [_single(q, policy) for q in waiting[: free - 1]]
    held = list(waiting[free - 1 :])
    newest = max(q.created for q in waiting)
    oldest = min(q.created for q in held)
    if alone or (now - newest < policy.quiet_s and now - oldest < policy.max_wait_s):
        return alone  # the summary waits for quiet (or for the oldest to have waited enough)
    return summaries(held, policy)[:free]


def _single(q: Queued, policy: RelayPolicy) -> Outgoing:
    text = q.text if len(q.text) <= policy.max_chars else q.text[: policy.max_chars - 1] + "…"
    return Outgoing(q.chat, text, (q.id,))


def summaries(held: Sequence[Queued], policy: RelayPolicy) -> list[Outgoing]:
    """The held messages as summaries naming each by its subject, each within max_chars."""
    heading = (
        f"{{n}} pemberitahuan lain digabung (batas {policy.per_minute} pesan per menit){{part}}:"
    )
    room = policy.max_chars - len(heading.format(n=len(held), part=" (bagian 99/99)")) - 1
    parts: list[list[Queued]] = [[]]
    used = 0
    for q in held:
        line = len(_line(q, policy)) + 1
        if parts[-1] and used + line > room:
            parts.append([])
            used = 0
        parts[-1].append(q)
        used += line
    out = []
    for i, part in enumerate(parts, 1):
        label = f" (bagian {i}/{len(parts)})" if len(parts) > 1 else ""
        lines = "\n".join(_line(q, policy) for q in part)
        text = heading.format(n=len(held), part=label) + "\n" + lines
        out.append(
            Outgoing(part[0].chat, text, tuple(q.id for q in part), tuple(q.subject for q in part))
        )
    return out


def _line(q: Queued, policy: RelayPolicy) -> str:
    limit = policy.max_chars // 4  # a subject is short; a runaway one cannot fill a summary
    subject = q.subject if len(q.subject) <= limit else q.subject[: limit - 1] + "…"
    return f"- {subject}"


_HEADINGS = {
    "NocBtsDown": "BTS {device} mati",
    "NocDeviceDown": "{device} mati",
    "NocUplinkCongested": "Uplink {link} padat",
    "NocLinkFlapping": "Jalur {link} tidak stabil",
    "NocCollectorStale": "Kolektor NOC tidak melakukan polling",
    "NocDrNotReady": "Situs DR tidak siap: {reason}",
}


def _heading(labels: dict[str, str]) -> str | None:
    """The alert in Bahasa Indonesia, as the Telegram template says it."""
    form = _HEADINGS.get(labels.get("alertname", ""))
    if form is None:
        return None
    try:
        return form.format(**labels)
    except KeyError:
        return None


WIB = timezone(timedelta(hours=7), "WIB")


def lasted(starts: str, ends: str) -> str | None:
    """`23 menit (10:02–10:25 WIB)`, or None when either time is missing or unreadable."""
    try:
        a = datetime.fromisoformat(starts.replace("Z", "+00:00")).astimezone(WIB)
        b = datetime.fromisoformat(ends.replace("Z", "+00:00")).astimezone(WIB)
    except ValueError:
        return None
    if b < a or a.year < 2000:
        return None
    minutes = int((b - a).total_seconds() // 60)
    hours, mins = divmod(minutes, 60)
    span = f"{hours} jam {mins} menit" if hours else f"{mins} menit"
    return f"{span} ({a:%H:%M}–{b:%H:%M} WIB)"


def plain_text(note: Notification) -> tuple[str, str]:
    """(subject, message) from Alertmanager's webhook payload, for a plain-text chat. A
    recovery says how long the outage lasted."""
    status = "PULIH" if note.status == "resolved" else "GANGGUAN"
    group = note.groupLabels.get("group", "") or "?"
    lines = [f"{status}: {group}"]
    if note.status == "resolved":
        roots = [a for a in note.alerts if a.labels.get("alertname") != "NocBehindRootCause"]
        spans = [lasted(a.startsAt, a.endsAt) for a in roots or note.alerts]
        if spans and spans[0] is not None:
            lines[0] += f" · mati {spans[0]}"
    behind = []
    for alert in note.alerts:
        labels = alert.labels
        if labels.get("alertname") == "NocBehindRootCause":
            behind.append(labels.get("device", "?"))
            continue
        lines.append(
            _heading(labels) or alert.annotations.get("summary") or labels.get("alertname", "?")
        )
    if behind:
        shown = ", ".join(behind[:20]) + (f" (+{len(behind) - 20})" if len(behind) > 20 else "")
        lines.append(f"{len(behind)} perangkat di belakangnya: {shown}")
    return f"{status} {group}", "\n".join(lines)
