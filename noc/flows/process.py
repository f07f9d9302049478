"""The flow collector in a process of its own beside the polls: the socket, the decoding, the
attribution, the 1-minute buckets and their writes to the store all run there. The collector
gets a `Batch` a second: the buckets just written (for /metrics and the wall), the counters,
and the uplink's bytes by minute (for the SNMP cross-check).

Parent to child: ("uplink_if", ifIndex) once the uplink's ifIndex is known from the polls;
anything else (or the pipe's end) means stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from noc.childproc import supervise
from noc.flows import store as flow_store
from noc.flows.aggregate import Aggregator, Row
from noc.flows.attribute import Attribution
from noc.flows.decode import Decoder
from noc.inventory import Inventory
from noc.store.db import make_engine

log = logging.getLogger(__name__)
FLUSH_S = 1.0
PRUNE_S = 3600.0
CHILD_NICENESS = 10
RECEIVE_BUFFER = 8 * 1024 * 1024
MAX_QUEUE = 20_000  # datagrams waiting for the decoder; past it they are dropped and counted


@dataclass(frozen=True)
class Spec:
    host: str
    port: int
    exporters: frozenset[str]  # every address that may send (the inventory's devices)
    uplink: frozenset[str]  # the uplink exporter's addresses: only its records are counted
    attribution: Attribution
    store_url: str
    days: int
    log_level: int = logging.WARNING


@dataclass(frozen=True)
class Opened:
    port: int
    trouble: str | None


@dataclass(frozen=True)
class Counts:
    datagrams: Counter[int] = field(default_factory=Counter)  # by version
    records: int = 0
    dropped: Counter[str] = field(default_factory=Counter)  # by reason
    templates: int = 0
    replaced: int = 0
    not_uplink: int = 0


@dataclass(frozen=True)
class Batch:
    rows: list[Row]
    counts: Counts
    uplink: dict[tuple[int, str], int]  # (minute, direction) -> bytes added


def uplink_exporter(inv: Inventory) -> tuple[str, str] | None:
    """The device (and its interface) whose flows are the uplink's: `flows:` names them, else
    the uplink link's own end."""
    link = inv.uplink
    name = inv.flows.exporter or (link.a.device if link is not None else None)
    if name is None or name not in inv.devices_by_name:
        return None
    interface = inv.flows.interface
    if interface is None and link is not None and link.a.device == name:
        interface = link.a.interface
    return name, interface or ""


def spec_for(
    inv: Inventory, host: str, port: int, store_url: str, days: int, log_level: int
) -> Spec:
    extra = {str(a) for a in inv.flows.sources}
    exporter = uplink_exporter(inv)
    uplink = set(extra)
    if exporter is not None:
        uplink.add(str(inv.devices_by_name[exporter[0]].address))
    return Spec(
        host,
        port,
        frozenset({str(d.address) for d in inv.devices} | extra),
        frozenset(uplink),
        Attribution.of(inv),
        store_url,
        days,
        log_level,
    )


def child_main(conn: Connection, spec: Spec) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        os.nice(CHILD_NICENESS)
    logging.basicConfig(level=spec.log_level, format="%(asctime)s %(levelname)s %(message)s")
    asyncio.run(_serve(conn, spec))


class _Socket(asyncio.DatagramProtocol):
    def __init__(self, queue: list[tuple[bytes, str]], dropped: Counter[str]) -> None:
        self.queue, self.dropped = queue, dropped

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        if len(self.queue) >= MAX_QUEUE:
            self.dropped["queue full"] += 1
            return
        self.queue.append((data, str(addr[0])))


async def _serve(conn: Connection, spec: Spec) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    attribution = spec.attribution

    def message() -> None:
        try:
            got = conn.recv()
        except (EOFError, OSError):
            stop.set()
            return
        if isinstance(got, tuple) and len(got) == 2 and got[0] == "uplink_if":
            attribution.uplink_if = int(got[1])
        else:
            stop.set()

    loop.add_reader(conn.fileno(), message)
    decoder = Decoder(spec.exporters)
    aggregator = Aggregator(attribution)
    queue: list[tuple[bytes, str]] = []
    family = socket.AF_INET6 if ":" in spec.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        sock.bind((spec.host, spec.port))
    except OSError as exc:
        sock.close()
        conn.send(Opened(0, f"UDP {spec.host}:{spec.port}: {exc.strerror or exc}"))
        await stop.wait()
        return
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Socket(queue, decoder.dropped), sock=sock
    )
    conn.send(Opened(sock.getsockname()[1], None))
    engine = make_engine(spec.store_url)
    unsaved: list[Row] = []
    pruned_at = 0.0
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), FLUSH_S)
            taken, queue[:] = queue[:], []
            now = time.time()
            for data, source in taken:
                records = decoder.decode(data, source)
                if records and source in spec.uplink:
                    aggregator.add(records, now)
                elif records:
                    aggregator.not_uplink += len(records)
            rows = aggregator.take()
            unsaved += rows
            if unsaved:
                try:
                    await asyncio.to_thread(flow_store.write, engine, unsaved)
                    unsaved = []
                except Exception as exc:  # the store is away: keep them for the next round
                    log.debug("flow buckets not written: %s", type(exc).__name__)
                    if len(unsaved) > 200_000:
                        decoder.dropped["store away"] += len(unsaved) - 200_000
                        del unsaved[:-200_000]
            if now - pruned_at >= PRUNE_S:
                pruned_at = now
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(flow_store.prune, engine, now - spec.days * 86_400)
            counts = Counts(
                Counter(decoder.datagrams),
                decoder.records,
                Counter(decoder.dropped),
                decoder.templates(),
                decoder.replaced,
                aggregator.not_uplink,
            )
            try:
                conn.send(Batch(rows, counts, aggregator.take_uplink()))
            except OSError:
                return
    finally:
        transport.close()
        if unsaved:
            with contextlib.suppress(Exception):
                flow_store.write(engine, unsaved)
        engine.dispose()


@dataclass
class FlowCollector:
    """The parent's side: the child's counters as last reported, the recent buckets (the top
    talkers of the last minutes), and the uplink's bytes by minute."""

    counts: Counts = field(default_factory=Counts)
    port: int = 0
    recent: dict[tuple[int, str, str], int] = field(default_factory=dict)  # (minute, site, dir)
    uplink: Counter[tuple[int, str]] = field(default_factory=Counter)
    restarts: int = 0
    uplink_if: int | None = None  # once the polls have found it
    _send: Callable[[object], None] | None = None

    def tell_uplink(self, if_index: int) -> None:
        """The uplink's ifIndex on the exporter (the records of its other interfaces are left
        out); told again whenever the child starts."""
        self.uplink_if = if_index
        if self._send is not None:
            with contextlib.suppress(OSError):
                self._send(("uplink_if", if_index))

    def _started(self, send: Callable[[object], None]) -> None:
        self._send = send
        if self.uplink_if is not None:
            self.tell_uplink(self.uplink_if)

    def take(self, message: object) -> None:
        if isinstance(message, Opened):
            self.port = message.port
            if message.trouble:
                log.warning("not listening for flows on %s", message.trouble)
        elif isinstance(message, Batch):
            self.counts = message.counts
            for r in message.rows:
                key = (r.minute, r.site, r.direction)
                self.recent[key] = self.recent.get(key, 0) + r.octets
            self.uplink.update(message.uplink)
            self._forget(time.time())

    def _forget(self, now: float) -> None:
        oldest = now - 3600
        if self.recent and min(k[0] for k in self.recent) < oldest:
            self.recent = {k: v for k, v in self.recent.items() if k[0] >= oldest}
        if self.uplink and min(k[0] for k in self.uplink) < oldest:
            self.uplink = Counter({k: v for k, v in self.uplink.items() if k[0] >= oldest})

    def top_bps(self, now: float, window_s: int = 300) -> dict[tuple[str, str], float]:
        """Each site's and direction's bits a second over the last full minutes."""
        end = int(now) // 60 * 60
        start = end - window_s
        sums: Counter[tuple[str, str]] = Counter()
        for (minute, site, direction), octets in list(self.recent.items()):
            if start <= minute < end:
                sums[(site, direction)] += octets
        return {k: v * 8 / window_s for k, v in sums.items()}

    def top_sites(self, now: float) -> list[tuple[str, float, float]]:
        """(site, in bit/s, out bit/s) over the last 5 full minutes, biggest first."""
        sums: dict[str, list[float]] = {}
        for (site, direction), bps in self.top_bps(now).items():
            sums.setdefault(site, [0.0, 0.0])[0 if direction == "in" else 1] += bps
        ranked = sorted(sums.items(), key=lambda kv: (-(kv[1][0] + kv[1][1]), kv[0]))
        return [(site, i, o) for site, (i, o) in ranked]

    async def run(self, spec: Spec, stop: asyncio.Event) -> None:
        self.restarts += await supervise(
            "noc-flows", "flow collector", child_main, (spec,), self.take, stop, self._started
        )
