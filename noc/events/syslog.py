"""Syslog lines off the wire: RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`) and
RFC 3164 (`<PRI>Mmm dd hh:mm:ss HOST TAG: MSG`, and what MikroTik and Cisco send in its name).
TCP streams are split by octet counting (RFC 6587 3.4.1) or by line. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from noc.errors import NocError

MAX_LINE = 8192  # longer lines are cut here: nothing a device says about a link needs more

_PRI = re.compile(rb"^<(\d{1,3})>")
_5424 = re.compile(
    r"^1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<proc>\S+) (?P<msgid>\S+) "
    r"(?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+) ?(?P<msg>.*)$",
    re.S,
)
_3164 = re.compile(
    r"^(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (?:(?P<host>[^\s:\[]+) )?(?P<msg>.*)$", re.S
)
_TAG = re.compile(r"^(?P<tag>[\w./,-]{1,48})(?:\[\d+\])?: ?(?P<rest>.*)$", re.S)


@dataclass(frozen=True)
class SyslogLine:
    facility: int
    severity: int
    hostname: str | None
    app: str | None
    text: str


class NotSyslog(NocError, ValueError):
    """The bytes have no `<PRI>`: not a syslog message."""


def parse(data: bytes) -> SyslogLine:
    """One message; NotSyslog when it has no `<PRI>`."""
    data = data[:MAX_LINE].rstrip(b"\r\n\x00")
    m = _PRI.match(data)
    if m is None or int(m.group(1)) > 191:
        raise NotSyslog("no <PRI>")
    pri = int(m.group(1))
    body = data[m.end() :].decode("utf-8", errors="replace").removeprefix("\ufeff")
    facility, severity = divmod(pri, 8)
    full = _5424.match(body)
    if full is not None:
        msg = full.group("msg").removeprefix("\ufeff")
        host, app = full.group("host"), full.group("app")
        return SyslogLine(facility, severity, None if host == "-" else host, _dash(app), msg)
    old = _3164.match(body)
    if old is None:  # a bare `<PRI>message`, as some devices send
        return SyslogLine(facility, severity, None, None, body)
    msg, host = old.group("msg"), old.group("host")
    tagged = _TAG.match(msg)
    if tagged is not None:
        return SyslogLine(facility, severity, host, tagged.group("tag"), tagged.group("rest"))
    return SyslogLine(facility, severity, host, None, msg)


def _dash(value: str) -> str | None:
    return None if value == "-" else value


def split_stream(buffer: bytearray) -> list[bytes]:
    """Take the whole messages off the front of a TCP stream's `buffer` (what is left is
    kept for the next read). An octet count longer than MAX_LINE is cut to it."""
    out: list[bytes] = []
    while buffer:
        m = re.match(rb"^(\d{1,5}) ", buffer)
        if m is not None:
            size = int(m.group(1))
            start = m.end()
            if len(buffer) < start + size:
                if size > MAX_LINE * 2:  # a count nobody needs: not waited for
                    del buffer[:]
                break
            out.append(bytes(buffer[start : start + size]))
            del buffer[: start + size]
            continue
        end = buffer.find(b"\n")
        if end < 0:
            if len(buffer) > MAX_LINE:  # a line without an end: cut
                out.append(bytes(buffer[:MAX_LINE]))
                del buffer[:]
            break
        line = bytes(buffer[:end])
        del buffer[: end + 1]
        if line.strip():
            out.append(line)
    return out
