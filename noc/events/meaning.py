"""What a notification or a syslog line tells the NOC: a link down or up (with the interface),
a reboot, a failed login, a configuration change (with who made it), a login. Pure; anything
else is kept in the event log and means nothing more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from noc.events.syslog import SyslogLine
from noc.events.traps import SNMP_TRAPS, Notification

Kind = Literal["link_down", "link_up", "reboot", "auth_failure", "config_changed", "login"]

IF_INDEX = "1.3.6.1.2.1.2.2.1.1"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
# Cisco: ciscoConfigManEvent (CISCO-CONFIG-MAN-MIB), the running configuration changed.
CISCO_CONFIG_EVENT = "1.3.6.1.4.1.9.9.43.2.0.1"
CISCO_CONFIG_TERMINAL_USER = "1.3.6.1.4.1.9.9.43.1.1.6.1.8"  # ccmHistoryEventTerminalUser
# MikroTik RouterOS sends the standard link traps, and its own temperature / voltage ones.
MIKROTIK_TRAPS = "1.3.6.1.4.1.14988.1.1.0"

TRAP_KINDS: dict[str, Kind] = {
    f"{SNMP_TRAPS}.1": "reboot",  # coldStart
    f"{SNMP_TRAPS}.2": "reboot",  # warmStart
    f"{SNMP_TRAPS}.3": "link_down",
    f"{SNMP_TRAPS}.4": "link_up",
    f"{SNMP_TRAPS}.5": "auth_failure",
    CISCO_CONFIG_EVENT: "config_changed",
}


@dataclass(frozen=True)
class Hint:
    kind: Kind
    if_index: int | None = None
    if_name: str | None = None
    author: str | None = None


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value) if value is not None else None


def from_trap(note: Notification) -> Hint | None:
    kind = TRAP_KINDS.get(note.trap_oid)
    if kind is None:
        return None
    if kind in ("link_down", "link_up"):
        index = note.value(IF_INDEX)
        name = note.value(IF_NAME) or note.value(IF_DESCR)
        return Hint(
            kind,
            if_index=index.value if index is not None and isinstance(index.value, int) else None,
            if_name=_text(name.value) if name is not None else None,
        )
    if kind == "config_changed":
        user = note.value(CISCO_CONFIG_TERMINAL_USER)
        return Hint(kind, author=_text(user.value) if user is not None else None)
    return Hint(kind)


_WHO = r"(?P<who>[A-Za-z0-9_.@-]+)"
_TOPICS = r"(?:[a-z]+(?:,[a-z]+)+:? )?"  # RouterOS's `interface,info ` before the message
_LINES: list[tuple[re.Pattern[str], Kind]] = [
    # MikroTik RouterOS
    (re.compile(rf"^{_TOPICS}(?P<ifname>\S+) link down\b"), "link_down"),
    (re.compile(rf"^{_TOPICS}(?P<ifname>\S+) link up\b"), "link_up"),
    (re.compile(rf"\b(?:changed|added|removed) by (?:\S+ \()?{_WHO}"), "config_changed"),
    (re.compile(rf"\blogin failure for user {_WHO}"), "auth_failure"),
    (re.compile(rf"\buser {_WHO} logged in\b"), "login"),
    # Cisco IOS
    (
        re.compile(r"%LINK-\d-UPDOWN: Interface (?P<ifname>[^,]+), changed state to down"),
        "link_down",
    ),
    (re.compile(r"%LINK-\d-UPDOWN: Interface (?P<ifname>[^,]+), changed state to up"), "link_up"),
    (
        re.compile(
            r"%LINEPROTO-\d-UPDOWN: Line protocol on Interface (?P<ifname>[^,]+), "
            r"changed state to down"
        ),
        "link_down",
    ),
    (
        re.compile(
            r"%LINEPROTO-\d-UPDOWN: Line protocol on Interface (?P<ifname>[^,]+), "
            r"changed state to up"
        ),
        "link_up",
    ),
    (re.compile(rf"%SYS-\d-CONFIG_I: Configured from \S+ by {_WHO}"), "config_changed"),
    (re.compile(r"%SYS-\d-RESTART: System restarted"), "reboot"),
    (re.compile(rf"%SEC_LOGIN-\d-LOGIN_FAILED: Login failed \[user: {_WHO}\]"), "auth_failure"),
    (re.compile(rf"%SEC_LOGIN-\d-LOGIN_SUCCESS: Login Success \[user: {_WHO}\]"), "login"),
]


def from_line(line: SyslogLine) -> Hint | None:
    text = line.text.strip()
    for pattern, kind in _LINES:
        m = pattern.search(text)
        if m is None:
            continue
        groups = m.groupdict()
        return Hint(kind, if_name=groups.get("ifname"), author=groups.get("who"))
    return None
