"""The receiver in a process of its own, beside the polls: the sockets, the rate limits, the
decoding, the matching and the event log all run there, so a storm of notifications costs the
collector's event loop a few small batches a second instead of one decode per datagram.

What crosses the pipe, child to parent: `Opened` once (the ports, and a line for each socket
that could not be opened), then a `Batch` whenever something changed: what was heard (one
`Heard` per device and hint in each batch: a thousand identical linkUps are one hint) and the
counters. Parent to child: anything (or the pipe's end) means stop. A child that dies is
started again; a parent that dies closes the pipe, and the child ends with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from sqlalchemy import Engine

from noc.childproc import supervise
from noc.events import log as event_log
from noc.events.log import LoggedEvent
from noc.events.match import Directory
from noc.events.meaning import Hint
from noc.events.receiver import Counters, Handler, Heard, Receiver, consume, udp_drops
from noc.events.traps import LocalEngine, V3User
from noc.store.db import make_engine

log = logging.getLogger(__name__)
FLUSH_S = 0.05  # how soon a hint reaches the collector
LOG_S = 1.0  # how often the event log is written
PRUNE_S = 600.0
CHILD_NICENESS = 10


@dataclass(frozen=True)
class Spec:
    """All the child needs: where to listen, whom to believe, where to log."""

    host: str
    trap_port: int
    syslog_port: int
    directory: Directory
    communities: frozenset[bytes]
    users: dict[str, V3User]
    store_url: str
    log_max: int
    log_days: int
    log_level: int = logging.WARNING
    engine_name: str = "noc"  # the v3 engine ID informs are sent to is made from it


@dataclass(frozen=True)
class Opened:
    ports: dict[str, int]
    trouble: list[str]


@dataclass(frozen=True)
class Batch:
    heard: list[Heard]
    counters: Counters
    tcp_open: int


@dataclass
class Listener:
    """The parent's side: the child's counters as last reported, and its ports."""

    counters: Counters = field(default_factory=Counters)
    ports: dict[str, int] = field(default_factory=dict)
    tcp_open: int = 0
    restarts: int = 0

    def kernel_drops(self) -> dict[str, int]:
        return {t: udp_drops(port) for t, port in self.ports.items()}

    def take(self, batch: Batch) -> None:
        # Whole objects swapped in: a scrape on the HTTP thread reads one or the other.
        c = batch.counters
        self.counters.received, self.counters.processed = c.received, c.processed
        self.counters.dropped, self.counters.unknown = c.dropped, c.unknown
        self.tcp_open = batch.tcp_open

    async def run(self, spec: Spec, act: Callable[[Heard], None], stop: asyncio.Event) -> None:
        """Keep the child running until `stop`, acting on what it hears."""
        first = True

        def take(message: object) -> None:
            nonlocal first
            if isinstance(message, Opened):
                self.ports = message.ports
                if first:
                    for trouble in message.trouble:
                        log.warning("not listening for device messages on %s", trouble)
                first = False
            elif isinstance(message, Batch):
                self.take(message)
                for heard in message.heard:
                    try:
                        act(heard)
                    except Exception as exc:  # one hint never stops the others
                        log.warning(
                            "hint from %s not acted on: %s: %s",
                            heard.device,
                            type(exc).__name__,
                            exc,
                        )

        self.restarts += await supervise(
            "noc-events", "trap and syslog receiver", child_main, (spec,), take, stop
        )


def child_main(conn: Connection, spec: Spec) -> None:
    """The child's entry: the parent handles signals and stops it through the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with contextlib.suppress(OSError):  # the polls first: decoding yields the CPU to them
        os.nice(CHILD_NICENESS)
    logging.basicConfig(level=spec.log_level, format="%(asctime)s %(levelname)s %(message)s")
    asyncio.run(_serve(conn, spec))


def collapse(events: list[LoggedEvent]) -> list[LoggedEvent]:
    """The same message from the same source, repeated within one write, is one row that
    says how many times it came (as syslogd's "repeated N times"): a storm is a few rows."""
    seen: dict[tuple[str | None, str, str, str], int] = {}
    counts: Counter[int] = Counter()
    out: list[LoggedEvent] = []
    for e in events:
        key = (e.device, e.source, e.kind, e.text)
        at = seen.get(key)
        if at is None:
            seen[key] = len(out)
            out.append(e)
        else:
            counts[at] += 1
    for at, more in counts.items():
        e = out[at]
        out[at] = LoggedEvent(
            e.at, e.device, e.source, e.kind, e.meaning, f"{e.text} (repeated {more + 1} times)"
        )
    return out


async def _serve(conn: Connection, spec: Spec) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_reader(conn.fileno(), stop.set)  # a message or the pipe's end: either means stop
    receiver = Receiver()
    trouble = await receiver.start(spec.host, spec.trap_port or None, spec.syslog_port or None)
    conn.send(Opened(dict(receiver.ports), trouble))
    heard: dict[tuple[str, Hint], Heard] = {}

    def act(item: Heard) -> None:
        heard.setdefault((item.device, item.hint), item)

    local = LocalEngine.named(spec.engine_name, time.time())
    log.info("v3 informs: this receiver's engine ID is 0x%s", local.engine_id.hex())
    handler = Handler(spec.directory, spec.communities, spec.users, receiver.counters, act, local)
    consumer = asyncio.create_task(consume(receiver, handler, stop))
    engine = make_engine(spec.store_url)
    sent = (-1, -1)
    logged_at = pruned_at = time.monotonic()
    writing: asyncio.Task[None] | None = None
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), FLUSH_S)
            c = receiver.counters
            now = (c.received.total(), sum(c.dropped.values()))
            if heard or now != sent:
                counters = Counters(
                    Counter(c.received), Counter(c.processed), Counter(c.dropped), c.unknown
                )
                try:
                    conn.send(Batch(list(heard.values()), counters, receiver.tcp_open))
                except OSError:
                    return
                heard.clear()
                sent = now
            if time.monotonic() - logged_at >= LOG_S and (writing is None or writing.done()):
                logged_at = time.monotonic()
                prune = logged_at - pruned_at >= PRUNE_S
                if prune:
                    pruned_at = logged_at
                writing = asyncio.create_task(_write_log(engine, handler, spec, prune))
    finally:
        receiver.close()
        await asyncio.gather(consumer, return_exceptions=True)
        if writing is not None:
            await asyncio.gather(writing, return_exceptions=True)
        await _write_log(engine, handler, spec, False)
        engine.dispose()


async def _write_log(engine: Engine, handler: Handler, spec: Spec, prune: bool) -> None:
    events = handler.take()
    try:
        await asyncio.to_thread(event_log.write, engine, collapse(events))
        if prune:
            oldest = time.time() - spec.log_days * 86_400
            await asyncio.to_thread(event_log.prune, engine, spec.log_max, oldest)
    except Exception as exc:  # the store is away: keep them for the next round
        handler.pending[:0] = events
        log.debug("event log not written: %s", type(exc).__name__)
