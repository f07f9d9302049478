"""A changed device configuration as a `NocConfigChanged` alert, posted to Alertmanager (the
same path as every other alert: its routes, its Telegram, e-mail and WhatsApp receivers). The
alert says who changed what: the author the device names and the first changed lines, which
carry secrets only as their tokens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from noc.alerts.silences import _call, _iso

SHOWN_LINES = 8
ALERT_S = 3600.0  # a change is news for an hour, then resolves by itself


class Change(Protocol):
    @property
    def device(self) -> str: ...
    @property
    def at(self) -> float: ...
    @property
    def author(self) -> str | None: ...
    @property
    def added(self) -> int: ...
    @property
    def removed(self) -> int: ...
    @property
    def changes(self) -> list[str]: ...
    @property
    def commit(self) -> str: ...


def config_alert(change: Change) -> dict[str, Any]:
    who = change.author or "unknown (the device did not say)"
    lines = change.changes[:SHOWN_LINES]
    more = len(change.changes) - len(lines)
    shown = "\n".join(lines) + (f"\n… {more} more" if more > 0 else "")
    return {
        "labels": {"alertname": "NocConfigChanged", "device": change.device, "severity": "info"},
        "annotations": {
            "summary": f"{change.device}: configuration changed by {who} "
            f"(+{change.added} -{change.removed})",
            "author": who,
            "changes": shown,
            "revision": change.commit[:10],
            "next_step": f"noc config diff {change.device}",
        },
        "startsAt": _iso(change.at),
        "endsAt": _iso(change.at + ALERT_S),
    }


def send_config_changes(base: str, changes: Sequence[Change]) -> int:
    """Post one alert per changed configuration that had one before (a first backup is not a
    change); returns how many were posted. AlertmanagerError when it does not take them."""
    alerts = [config_alert(c) for c in changes if c.changes]
    if alerts:
        _call(base, "POST", "/api/v2/alerts", alerts)
    return len(alerts)
