"""The poller: polls one device under a hard deadline and feeds the outcome to the live
state; a device that times out, lies or returns garbage becomes a reason on that device.
Everything that must be remembered goes to the sink (the store's buffered writer).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace

from noc.inventory import Inventory
from noc.polling.availability import Verdict
from noc.polling.events import Event, NullSink, PollRecord, Sink
from noc.polling.livestate import DeviceState, LiveState
from noc.polling.queries import plan_for, poll_device
from noc.polling.samples import DeviceSample
from noc.polling.targets import build_targets, deadline_s, poll_budget
from noc.snmp.client import RequestStats, SnmpBudgetExceeded, SnmpClient, SnmpError

log = logging.getLogger(__name__)


class Poller:
    """The async side: targets, deadlines and the SNMP client, around one `LiveState`."""

    def __init__(
        self,
        inv: Inventory,
        client: SnmpClient,
        sink: Sink | None = None,
        clock: Callable[[], float] = time.time,
        live: LiveState | None = None,
    ) -> None:
        """`live` is the state it folds into (a new one by default), `sink` where the fold's
        events go: both are joined here, never swapped afterwards."""
        self.inv = inv
        self.client = client
        self.sink = sink or NullSink()
        self.clock = clock
        self.targets = build_targets(inv)
        self.live = live if live is not None else LiveState(inv)

    @property
    def devices(self) -> dict[str, DeviceState]:
        return self.live.devices

    @property
    def verdicts(self) -> dict[str, Verdict]:
        return self.live.verdicts

    # --- polling ---------------------------------------------------------------------------

    async def poll(self, name: str, quick: bool = False) -> PollRecord:
        """Poll one device under its hard deadline and fold the result in. Never raises.
        `quick`: one try per request (confirming what a message said)."""
        device = self.inv.device(name)
        state = self.devices[name]
        deadline = deadline_s(self.inv, device.tier)
        # The budget ends the poll by construction (checked between requests, every wait cut
        # at the deadline); the timeout around it is only a backstop, one request later.
        stats = RequestStats(budget=poll_budget(self.inv, device.tier))
        started = self.clock()
        sample: DeviceSample | None = None
        reason: str | None = None
        try:
            async with asyncio.timeout(deadline + self.targets[name].timeout_s):
                target = self.targets[name]
                sample, details = await poll_device(
                    self.client,
                    replace(target, retries=0) if quick else target,
                    plan_for(device.profile_name),
                    state.details,
                    stats,
                    self.clock,
                )
            state.details = details
        except TimeoutError:
            reason = f"no complete answer within the {deadline:g}s deadline"
        except SnmpBudgetExceeded as exc:
            detail = exc.detail
            if detail == "deadline reached":
                detail = f"exceeded the {deadline:g}s deadline"
            reason = (
                f"poll stopped: {detail} ({stats.requests} requests, {stats.varbinds:,} values)"
            )
        except SnmpError as exc:
            reason = str(exc)
        except Exception as exc:  # garbage from a device must not stop the cycle
            log.exception("poll of %s failed", name)
            reason = f"internal error: {type(exc).__name__}: {exc}"
        now = self.clock()
        record = PollRecord(
            name,
            now,
            now - started,
            sample is not None,
            reason,
            stats.requests,
            stats.retries,
            stats.timeouts,
            stats.varbinds,
        )
        state.last_stats = stats
        with self.live.lock:  # (see LiveState.lock)
            if self.live.owns(name):  # (in a fleet, the device may have gone to another)
                self.sink.emit(self.live.fold(name, now, sample, reason, record))
        return record

    async def poll_all(
        self, names: list[str] | None = None, concurrency: int = 64
    ) -> list[PollRecord]:
        """One cycle over the given devices (default: all), concurrently but bounded."""
        limit = asyncio.Semaphore(concurrency)

        async def one(name: str) -> PollRecord:
            async with limit:
                return await self.poll(name)

        return list(await asyncio.gather(*(one(n) for n in names or list(self.devices))))

    def shutdown_events(self) -> list[Event]:
        """On a clean stop: close the open rollups and mark every entity UNKNOWN from now."""
        return self.live.stop(self.clock())

    def state_of(self, entity: str) -> Verdict:
        return self.live.state_of(entity)


__all__ = ["DeviceState", "Event", "PollRecord", "Poller", "Sink"]
