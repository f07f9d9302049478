"""The scheduler: every device on its tier's interval, start times spread across it, bounded
concurrency, and a poll still running when its next turn comes is counted late, not stacked."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from noc.polling.poller import Poller


@dataclass
class CycleStats:
    started: float = 0.0
    polls: int = 0
    failures: int = 0
    late: int = 0  # turns skipped because the previous poll of that device was still running
    last_poll_at: float | None = None
    last_success_at: float | None = None
    durations: dict[str, float] = field(default_factory=dict)


QUICK_GAP_S = 1.0  # hint-driven polls of one device: at most one a second


def offset_s(name: str, interval_s: float) -> float:
    """A stable position within the interval, so 150 devices do not all fire at once."""
    return (zlib.crc32(name.encode()) % 10_000) / 10_000 * interval_s


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds` on the real clock, or less if `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


class Scheduler:
    def __init__(
        self,
        poller: Poller,
        concurrency: int = 64,
        clock: Callable[[], float] = time.time,
        wait: Callable[[asyncio.Event, float], Awaitable[None]] | None = None,
    ) -> None:
        self.poller = poller
        self.limit = asyncio.Semaphore(concurrency)
        self.clock = clock
        # How the loop waits for the next due poll (or the stop): the real clock's by
        # default; a virtual clock passes its own and advances time there.
        self.wait = wait or wait_or_stop
        self.stats = CycleStats()
        inv = poller.inv
        self.interval = {d.name: float(inv.tiers[d.tier].poll_interval_s) for d in inv.devices}
        self.running: dict[str, asyncio.Task[None]] = {}
        self.due: dict[str, float] = {}
        # The turns in time order: (when, device). `due` is the authority; an entry whose time
        # is no longer its device's (moved by poll_soon) is dropped when it comes up. The
        # loop's wake-up then costs the polls that are due, not one look at every device.
        self._turns: list[tuple[float, str]] = []
        self.quick: set[str] = set()  # the next poll of these: one try
        self.again: set[str] = set()  # polled again, one try, once their running poll ends
        self.hinted: dict[str, float] = {}  # when each device's last quick poll was due

    async def run(self, stop: asyncio.Event) -> None:
        start = self.clock()
        self.stats.started = start
        due = self.due = {name: start + offset_s(name, iv) for name, iv in self.interval.items()}
        turns = self._turns = [(when, name) for name, when in due.items()]
        heapq.heapify(turns)
        while not stop.is_set():
            now = self.clock()
            while turns and turns[0][0] <= now:
                when, name = heapq.heappop(turns)
                if due.get(name) != when:
                    continue  # moved since (poll_soon): its own entry is in the heap
                self._set_due(name, max(when + self.interval[name], now))
                if not self.poller.live.owns(name):
                    continue  # in a fleet: another collector polls it
                if name in self.running:
                    self.stats.late += 1
                    continue
                self.running[name] = asyncio.create_task(self._poll(name))
            next_turn = turns[0][0] if turns else now + 1.0
            await self.wait(stop, min(max(0.0, next_turn - self.clock()), 1.0))
        if self.running:
            await asyncio.gather(*self.running.values(), return_exceptions=True)

    def poll_soon(self, names: list[str], quick: bool = False) -> None:
        """Poll these at the next turn of the loop: devices a collector has just taken over,
        those a confirmed failure behind them waits for, and those a trap or a syslog line
        spoke of (`quick`: one try, no retry, so a message is confirmed within one timeout)."""
        now = self.clock()
        for name in names:
            if name not in self.due:
                continue
            if name in self.running:
                # A poll that began before the news may answer from before it: poll again as
                # soon as it ends (a message's), or let it answer (a failure behind it).
                if quick:
                    self.again.add(name)
                continue
            if quick:
                # One hint-driven poll a device a second at most: a storm of the same trap
                # must not become a poll loop; what comes meanwhile waits for the next one.
                last = self.hinted.get(name)
                at = now if last is None or now - last >= QUICK_GAP_S else last + QUICK_GAP_S
                self._set_due(name, min(self.due[name], at))
                self.hinted[name] = self.due[name]
                self.quick.add(name)
            else:
                self._set_due(name, now)

    def _set_due(self, name: str, when: float) -> None:
        if self.due.get(name) == when:
            return
        self.due[name] = when
        heapq.heappush(self._turns, (when, name))

    async def _poll(self, name: str) -> None:
        try:
            quick = name in self.quick
            self.quick.discard(name)
            async with self.limit:
                record = await self.poller.poll(name, quick=quick)
            self.stats.polls += 1
            self.stats.last_poll_at = record.at
            self.stats.durations[name] = record.duration_s
            if record.ok:
                self.stats.last_success_at = record.at
            else:
                self.stats.failures += 1
        finally:
            self.running.pop(name, None)
        if name in self.again:
            self.again.discard(name)
            self.poll_soon([name], quick=True)
        # A failure confirmed behind a device not polled since it began: poll that one now.
        self.poll_soon(self.poller.live.take_wanted())
