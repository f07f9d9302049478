"""Readers on other threads (the API's state and interface routes, the wall screen) read the
live state through `LiveState.snapshot()`, one moment between two polls: never an office
already UNREACHABLE behind an outage its BTS does not show yet."""

from __future__ import annotations

import asyncio
import sys
import threading

from noc.polling.livestate import LiveState, Snapshot
from tests.conftest import SMALL
from tests.fakes import simulated_poller

PAIR = ("bts-a", "kel-a")
Moment = tuple[tuple[str, str | None, float | None], ...]


def moment(snap: Snapshot) -> Moment:
    return tuple(
        (snap.verdict(d).state.value, snap.verdict(d).root_cause, snap.since.get(d)) for d in PAIR
    )


def test_a_snapshot_is_a_copy() -> None:
    poller, _, clock = simulated_poller(SMALL)
    live: LiveState = poller.live
    snap = live.snapshot()
    before = snap.interface("core", "ether1")
    assert before is not None and before.in_bps is not None
    rate = before.in_bps
    clock[0] += 60
    asyncio.run(poller.poll_all())
    after = live.snapshot().interface("core", "ether1")
    assert after is not None and after.in_bps != rate  # the live state moved on
    assert before.in_bps == rate  # the copy did not
    assert live.snapshot(devices=["core"]).interfaces.keys() == {"core"}


def test_snapshots_beside_the_polls_show_one_moment() -> None:
    poller, lab, clock = simulated_poller(SMALL)
    live = poller.live
    between: set[Moment] = {moment(live.snapshot(()))}
    seen: set[Moment] = set()
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            seen.add(moment(live.snapshot(())))

    async def outages(count: int) -> None:
        for _ in range(count):
            for down, polls in (
                (True, ["bts-a", "bts-a", "core"]),
                (False, ["bts-a", "bts-a", "kel-a"]),
            ):
                lab["bts-a"].down = down
                for name in polls:
                    clock[0] += 400
                    await poller.poll(name)
                    between.add(moment(live.snapshot(())))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    reader = threading.Thread(target=read)
    reader.start()
    try:
        asyncio.run(outages(100))
    finally:
        done.set()
        reader.join()
        sys.setswitchinterval(interval)
    assert any(m[1][0] == "unreachable" and m[1][1] == "bts-a" for m in between)
    assert len(seen) > 1
    assert seen <= between, sorted(seen - between, key=str)[:3]
