"""The WhatsApp (or any HTTP gateway) relay: Alertmanager's webhook in, the gateway's API out,
with a rate limit per chat. Gateways and Telegram both throttle at about 20 messages a minute
per group; past the limit, messages are folded into one summary that names each of them, so
nothing is lost and the chat is not flooded.

The core (`RateLimiter`) is pure: messages and `now` in, what to send out."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from noc.alerts.history import Notification


@dataclass(frozen=True)
class Outgoing:
    chat: str
    text: str
    folded: tuple[str, ...] = ()  # the subjects a summary stands for


@dataclass
class _Chat:
    sent: deque[float] = field(default_factory=deque)
    held: list[tuple[str, str]] = field(default_factory=list)  # (subject, text)
    last_offer: float = 0.0


class RateLimiter:
    """At most `per_minute` messages per chat in any 60 s; the last slot of a minute is kept
    for the summary of what did not fit."""

    def __init__(self, per_minute: int = 20, quiet_s: float = 3.0) -> None:
        if per_minute < 2:
            raise ValueError("per_minute must leave room for a message and a summary")
        self.per_minute = per_minute
        self.quiet_s = quiet_s
        self._chats: dict[str, _Chat] = {}

    def _chat(self, chat: str, now: float) -> _Chat:
        state = self._chats.setdefault(chat, _Chat())
        while state.sent and now - state.sent[0] >= 60:
            state.sent.popleft()
        return state

    def offer(self, chat: str, subject: str, text: str, now: float) -> list[Outgoing]:
        state = self._chat(chat, now)
        state.last_offer = now
        if not state.held and len(state.sent) < self.per_minute - 1:
            state.sent.append(now)
            return [Outgoing(chat, text)]
        state.held.append((subject, text))
        return []

    def flush(self, now: float) -> list[Outgoing]:
        """Summaries of what was held, once a chat has been quiet for `quiet_s` and has a
        slot free."""
        out = []
        for chat in list(self._chats):
            state = self._chat(chat, now)
            if not state.held or now - state.last_offer < self.quiet_s:
                continue
            if len(state.sent) >= self.per_minute:
                continue
            subjects = tuple(subject for subject, _ in state.held)
            lines = "\n".join(f"- {s}" for s in subjects)
            text = (f"{len(subjects)} pemberitahuan lain digabung (batas {self.per_minute} "
                    f"pesan per menit):\n{lines}")  # fmt: skip
            state.sent.append(now)
            state.held = []
            out.append(Outgoing(chat, text, subjects))
        return out


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


def plain_text(note: Notification) -> tuple[str, str]:
    """(subject, message) from Alertmanager's webhook payload, for a plain-text chat."""
    status = "PULIH" if note.status == "resolved" else "GANGGUAN"
    group = note.groupLabels.get("group", "") or "?"
    lines = [f"{status}: {group}"]
    behind = []
    for alert in note.alerts:
        labels = alert.labels
        if labels.get("alertname") == "NocBehindRootCause":
            behind.append(labels.get("device", "?"))
            continue
        lines.append(_heading(labels) or alert.annotations.get("summary")
                     or labels.get("alertname", "?"))  # fmt: skip
    if behind:
        shown = ", ".join(behind[:20]) + (f" (+{len(behind) - 20})" if len(behind) > 20 else "")
        lines.append(f"{len(behind)} perangkat di belakangnya: {shown}")
    return f"{status} {group}", "\n".join(lines)
