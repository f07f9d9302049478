"""Receiving traps and syslog inside `noc serve`, storm-proof: the sockets only count, limit
and queue (a rate per source, a bounded queue); one consumer decodes, matches and acts, so a
storm costs the polls at most that consumer's share of the loop. Every datagram is counted as
processed or as dropped with its reason; nothing grows without bound.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

from noc.events.log import LoggedEvent
from noc.events.match import Directory
from noc.events.meaning import Hint, from_line, from_trap
from noc.events.syslog import MAX_LINE, NotSyslog, parse, split_stream
from noc.events.traps import (
    SNMP_TRAP_OID,
    SYS_UPTIME,
    LocalEngine,
    Notification,
    Refused,
    V3User,
    acknowledge,
    decode,
)

log = logging.getLogger(__name__)
Transport = Literal["trap", "syslog"]
TRAP_NAMES = {
    "1.3.6.1.6.3.1.1.5.1": "coldStart",
    "1.3.6.1.6.3.1.1.5.2": "warmStart",
    "1.3.6.1.6.3.1.1.5.3": "linkDown",
    "1.3.6.1.6.3.1.1.5.4": "linkUp",
    "1.3.6.1.6.3.1.1.5.5": "authenticationFailure",
    "1.3.6.1.4.1.9.9.43.2.0.1": "ciscoConfigManEvent",
}
# Varbinds a NOC reads by name in the event log (`ifOperStatus.7=down`, not `...8.7=2`).
VARBIND_NAMES = {
    "1.3.6.1.2.1.2.2.1.1": "ifIndex",
    "1.3.6.1.2.1.2.2.1.2": "ifDescr",
    "1.3.6.1.2.1.2.2.1.7": "ifAdminStatus",
    "1.3.6.1.2.1.2.2.1.8": "ifOperStatus",
    "1.3.6.1.2.1.31.1.1.1.1": "ifName",
    "1.3.6.1.2.1.1.5": "sysName",
    "1.3.6.1.6.3.18.1.3": "snmpTrapAddress",
}
STATUS = {1: "up", 2: "down", 3: "testing", 5: "dormant", 6: "notPresent", 7: "lowerLayerDown"}
MAX_SOURCES = 65_536  # distinct senders tracked in one second; past it, a spoofing storm
MAX_TCP = 256  # syslog connections at once
MAX_PENDING_LOG = 20_000  # events waiting for the store


@dataclass
class Inbound:
    at: float
    transport: Transport
    source: str
    data: bytes
    reply: Callable[[bytes], None] | None = None


@dataclass
class Counters:
    received: Counter[str] = field(default_factory=Counter)  # by transport
    processed: Counter[str] = field(default_factory=Counter)  # by transport
    dropped: Counter[tuple[str, str]] = field(default_factory=Counter)  # (transport, reason)
    unknown: int = 0  # processed, from no device of the inventory


class RateLimit:
    """At most `per_s` messages a second from one source (a fixed one-second window)."""

    def __init__(self, per_s: int) -> None:
        self.per_s = per_s
        self.second = 0
        self.counts: dict[str, int] = {}

    def allow(self, source: str, now: float) -> str | None:
        """None when allowed, else why not."""
        second = int(now)
        if second != self.second:
            self.second, self.counts = second, {}
        count = self.counts.get(source)
        if count is None:
            if len(self.counts) >= MAX_SOURCES:
                return "too many sources"
            count = 0
        if count >= self.per_s:
            return "rate limit"
        self.counts[source] = count + 1
        return None


class Receiver:
    """The sockets' side: count, limit, queue."""

    def __init__(self, queue_size: int = 20_000, per_source_per_s: int = 2_000) -> None:
        self.queue: asyncio.Queue[Inbound] = asyncio.Queue(queue_size)
        self.limit = RateLimit(per_source_per_s)
        self.counters = Counters()
        self.closers: list[Callable[[], None]] = []
        self.tcp_open = 0
        self.ports: dict[str, int] = {}  # the UDP port of each transport, once open

    def kernel_drops(self) -> dict[str, int]:
        """Datagrams the kernel dropped before we could read them (a full receive buffer),
        per transport, from /proc/net/udp: counted, never silent."""
        return {t: udp_drops(port) for t, port in self.ports.items()}

    def offer(self, item: Inbound) -> None:
        c = self.counters
        c.received[item.transport] += 1
        refused = self.limit.allow(item.source, item.at)
        if refused is not None:
            c.dropped[(item.transport, refused)] += 1
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            c.dropped[(item.transport, "queue full")] += 1

    async def start(self, host: str, trap_port: int | None, syslog_port: int | None) -> list[str]:
        """Open what is asked; returns one line for each socket that could not be opened."""
        loop = asyncio.get_running_loop()
        trouble = []
        for port, transport in ((trap_port, "trap"), (syslog_port, "syslog")):
            if not port:
                continue
            try:
                udp, _ = await loop.create_datagram_endpoint(
                    lambda t=transport: _Datagrams(self, t),  # type: ignore[misc]
                    local_addr=(host, port),
                )
                self.closers.append(udp.close)
                sock = udp.get_extra_info("socket")
                _large_buffer(sock)
                self.ports[transport] = int(sock.getsockname()[1])
            except OSError as exc:
                trouble.append(f"{transport} UDP {host}:{port}: {exc.strerror or exc}")
        if syslog_port:
            try:
                server = await asyncio.start_server(self._tcp, host, syslog_port, limit=MAX_LINE)
                self.closers.append(server.close)
            except OSError as exc:
                trouble.append(f"syslog TCP {host}:{syslog_port}: {exc.strerror or exc}")
        return trouble

    def close(self) -> None:
        for close in self.closers:
            close()
        self.closers.clear()

    async def _tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        source = str(peer[0]) if peer else "?"
        if self.tcp_open >= MAX_TCP:
            self.counters.dropped[("syslog", "too many connections")] += 1
            writer.close()
            return
        self.tcp_open += 1
        buffer = bytearray()
        try:
            while True:
                chunk = await asyncio.wait_for(reader.read(65536), timeout=300)
                if not chunk:
                    break
                buffer += chunk
                for message in split_stream(buffer):
                    self.offer(Inbound(time.time(), "syslog", source, message))
        except (TimeoutError, OSError):
            pass
        finally:
            self.tcp_open -= 1
            writer.close()


RECEIVE_BUFFER = 8 * 1024 * 1024  # a second of a storm, while the loop is busy elsewhere


def _large_buffer(sock: socket.socket) -> None:
    """A receive buffer a storm does not fill at once (SO_RCVBUFFORCE as root, else as large
    as the system allows)."""
    for option in (getattr(socket, "SO_RCVBUFFORCE", 33), socket.SO_RCVBUF):
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, RECEIVE_BUFFER)
            return
        except OSError:
            continue


def udp_drops(port: int) -> int:
    """The kernel's drop count of the UDP sockets bound to `port` (0 where it cannot say)."""
    total = 0
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) >= 13 and int(fields[1].rsplit(":", 1)[1], 16) == port:
                total += int(fields[12])
    return total


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, receiver: Receiver, transport: Transport) -> None:
        self.receiver = receiver
        self.kind: Transport = transport
        self.sock: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.sock = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        sock = self.sock

        def reply(answer: bytes) -> None:
            if sock is not None and not sock.is_closing():
                sock.sendto(answer, addr)

        source = str(addr[0])
        self.receiver.offer(Inbound(time.time(), self.kind, source, data, reply))


@dataclass
class Heard:
    """A message understood and matched: what the collector acts on."""

    device: str
    hint: Hint
    at: float
    text: str


class Handler:
    """The consumer's side: decode, match, log, and pass on what means something."""

    def __init__(
        self,
        directory: Directory,
        communities: frozenset[bytes] | None,
        users: dict[str, V3User],
        counters: Counters,
        act: Callable[[Heard], None],
        local: LocalEngine | None = None,
    ) -> None:
        self.local = local  # the receiver's v3 engine, for informs
        self.directory = directory
        self.communities = communities
        self.users = users
        self.counters = counters
        self.act = act
        self.pending: list[LoggedEvent] = []

    def handle(self, item: Inbound) -> None:
        c = self.counters
        if item.transport == "trap":
            found = decode(item.data, self.communities, self.users, self.local, item.at)
            if isinstance(found, Refused):
                if found.reply and item.reply is not None:
                    item.reply(found.reply)  # a v3 Report: discovery, or the time window
                c.dropped[("trap", found.reason)] += 1
                return
            if item.reply is not None:
                answer = acknowledge(found)
                if answer is not None:
                    item.reply(answer)
            match = self.directory.match(item.source, agent=found.agent_address)
            hint = from_trap(found)
            kind, text = ("inform" if found.inform else "trap"), describe(found)
        else:
            try:
                line = parse(item.data)
            except NotSyslog:
                c.dropped[("syslog", "not syslog")] += 1
                return
            match = self.directory.match(item.source, hostname=line.hostname)
            hint = from_line(line)
            kind, text = "syslog", (f"{line.app}: {line.text}" if line.app else line.text)
        c.processed[item.transport] += 1
        if match.device is None:
            c.unknown += 1
        self._keep(
            LoggedEvent(item.at, match.device, item.source, kind, hint.kind if hint else None, text)
        )
        if hint is not None and match.device is not None:
            self.act(Heard(match.device, hint, item.at, text))

    def _keep(self, event: LoggedEvent) -> None:
        if len(self.pending) >= MAX_PENDING_LOG:  # the store is away: the oldest go first
            del self.pending[: MAX_PENDING_LOG // 10]
            self.counters.dropped[("log", "store away")] += MAX_PENDING_LOG // 10
        self.pending.append(event)

    def take(self) -> list[LoggedEvent]:
        out, self.pending = self.pending, []
        return out


def describe(note: Notification) -> str:
    """A notification in one line: its name, then its varbinds (never the community)."""
    parts = [f"{TRAP_NAMES.get(note.trap_oid, note.trap_oid)} (v{note.version})"]
    for oid, value in note.varbinds:
        if oid in (SYS_UPTIME, SNMP_TRAP_OID):
            continue
        shown = value.value
        if isinstance(shown, bytes):
            shown = shown.decode("utf-8", errors="replace")
        column, _, index = oid.rpartition(".")
        column_name = VARBIND_NAMES.get(column)
        if column_name is None:
            parts.append(f"{oid}={shown}")
            continue
        if column_name in ("ifAdminStatus", "ifOperStatus") and isinstance(shown, int):
            shown = STATUS.get(shown, shown)
        parts.append(f"{column_name}.{index}={shown}")
    return " ".join(parts)[:2048]


async def consume(receiver: Receiver, handler: Handler, stop: asyncio.Event) -> None:
    """Take the queue until `stop`; a message that breaks the handler is counted, never fatal.
    In a storm it yields every 8 messages, so the polls keep their turn."""
    queue = receiver.queue
    done = 0
    while not stop.is_set():
        if queue.empty():
            try:
                item = await asyncio.wait_for(queue.get(), timeout=0.5)
            except TimeoutError:
                continue
        else:
            item = queue.get_nowait()
        try:
            handler.handle(item)
        except Exception as exc:
            receiver.counters.dropped[(item.transport, "internal error")] += 1
            log.warning("event not handled: %s: %s", type(exc).__name__, exc)
        done += 1
        if done % 8 == 0:
            await asyncio.sleep(0)
