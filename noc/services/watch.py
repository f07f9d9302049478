"""One vantage point watching the services: every service checked at its interval (each at its
own offset in it), the vantage point's own uplink checked first (its canary), and a ballot per
service handed on. `noc serve` stores the ballots and judges the services it holds; `noc probe`
reports them to the NOC's API.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from noc.inventory.model import Inventory
from noc.inventory.services import Check, Service, address_port
from noc.services.checks import CheckResult, run_check
from noc.services.quorum import Vote
from noc.services.votes import Ballot, result_data

log = logging.getLogger(__name__)
CANARY_S = 3.0
CONCURRENCY = 16
# Check durations, for the histogram (seconds).
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)


@dataclass(frozen=True)
class Vantage:
    """Where the checks are made from: a collector of the fleet, or a probe outside."""

    name: str
    source: str | None = None  # the local address checks go out from (None: the system's)
    canary: str | None = None  # ADDRESS:PORT whose TCP answer proves this vantage's uplink
    external: bool = False
    ca_file: Path | None = None  # CAs trusted beside the system's (an internal CA)


@dataclass
class Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    total: int = 0
    sum_s: float = 0.0

    def observe(self, seconds: float) -> None:
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.counts[i] += 1
        self.total += 1
        self.sum_s += seconds


@dataclass
class Seen:
    """What this vantage point saw last: for /metrics and for `noc services`."""

    results: dict[str, list[CheckResult]] = field(default_factory=dict)
    votes: dict[str, Vote] = field(default_factory=dict)
    uplink_up: bool | None = None
    durations: dict[tuple[str, str], Histogram] = field(default_factory=dict)
    rounds: int = 0
    checks: int = 0


async def uplink_up(vantage: Vantage) -> bool | None:
    """The vantage point's own way out works (None: it has no canary to tell)."""
    if vantage.canary is None:
        return None
    address, port = address_port(vantage.canary)
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                address, port, local_addr=(vantage.source, 0) if vantage.source else None
            ),
            CANARY_S,
        )
    except (OSError, TimeoutError):
        return False
    try:
        # Data, or a connection held open, is an answer; one closed at once is a refusal.
        return await asyncio.wait_for(reader.read(1), 0.3) != b""
    except TimeoutError:
        return True
    except OSError:
        return False
    finally:
        writer.close()


async def ballot(
    service: Service, vantage: Vantage, now: float, uplink: bool | None, limit: asyncio.Semaphore
) -> tuple[Ballot, list[CheckResult]]:
    async def one(check: Check) -> CheckResult:
        async with limit:
            return await run_check(check, vantage.source, vantage.ca_file, now)

    results = list(await asyncio.gather(*(one(c) for c in service.checks)))
    failing = [r for r in results if not r.ok]
    reason = failing[0].reason if failing else None
    vote = Vote(vantage.name, now, not failing, reason, uplink is False, vantage.external)
    return Ballot(service.name, vote, tuple(result_data(r, now) for r in results)), results


class Watcher:
    def __init__(
        self, inv: Inventory, vantage: Vantage, clock: Callable[[], float] = time.time
    ) -> None:
        self.inv, self.vantage, self.clock = inv, vantage, clock
        self.services = {s.name: s for s in inv.services}
        start = clock()
        self.due = {
            s.name: start + (zlib.crc32(s.name.encode()) % 1000) / 1000 * min(s.interval_s, 10)
            for s in inv.services
        }
        self.seen = Seen()
        self.limit = asyncio.Semaphore(CONCURRENCY)

    async def round(self, names: Sequence[str]) -> list[Ballot]:
        """Check these services once from here, the uplink first."""
        now = self.clock()
        uplink = await uplink_up(self.vantage)
        done = await asyncio.gather(
            *(ballot(self.services[n], self.vantage, now, uplink, self.limit) for n in names)
        )
        seen = self.seen
        seen.uplink_up, seen.rounds = uplink, seen.rounds + 1
        out = []
        for b, results in done:
            seen.results[b.service], seen.votes[b.service] = results, b.vote
            for r in results:
                seen.durations.setdefault((b.service, r.kind), Histogram()).observe(r.duration_s)
            seen.checks += len(results)
            out.append(b)
        return out

    async def run(
        self, stop: asyncio.Event, hand_on: Callable[[list[Ballot]], Awaitable[None]]
    ) -> None:
        """Until `stop`: each service at its interval; what is due at once goes as one round."""
        running: set[asyncio.Task[None]] = set()
        while not stop.is_set():
            now = self.clock()
            due = [n for n, at in self.due.items() if at <= now]
            if due:
                for n in due:
                    self.due[n] = max(self.due[n] + self.services[n].interval_s, now)
                task = asyncio.create_task(self._round_and_hand_on(due, hand_on))
                running.add(task)
                task.add_done_callback(running.discard)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
        for task in list(running):
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    async def _round_and_hand_on(
        self, names: list[str], hand_on: Callable[[list[Ballot]], Awaitable[None]]
    ) -> None:
        try:
            await hand_on(await self.round(names))
        except Exception as exc:  # a round must never stop the watching
            log.warning(
                "services %s not checked: %s: %s", ", ".join(names), type(exc).__name__, exc
            )
