"""Smaller collector parts: walking, maintenance windows, rollups, the engine on a fake agent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from noc.inventory import load_inventory
from noc.lab.device import SimDevice
from noc.polling.availability import State, StateChange, Verdict
from noc.polling.events import Event, PollRecord
from noc.polling.maintenance import Coverage, Window
from noc.polling.poller import Poller
from noc.polling.rollup import Rollups
from noc.polling.scheduler import Scheduler
from noc.snmp.client import SnmpProtocolError, walk_step
from noc.snmp.values import Oid, Tag, Value
from tests.conftest import SMALL
from tests.fakes import simulated_poller

JKT = ZoneInfo("Asia/Jakarta")


class ListSink:
    def __init__(self, events: list[Event]) -> None:
        self.events = events

    def emit(self, events: Sequence[Event]) -> None:
        self.events.extend(events)


V = Value(Tag.INTEGER, 1)


def test_walk_step_closes_columns_and_refuses_non_increasing_oids() -> None:
    a: Oid = (1, 3, 1)
    b: Oid = (1, 3, 2)
    cursors: dict[Oid, Oid] = {a: (), b: ()}
    out: dict[Oid, dict[Oid, Value]] = {}
    walk_step(
        [a, b],
        cursors,
        [[((1, 3, 1, 1), V), ((1, 3, 2, 1), V)], [((1, 3, 2, 1), V), ((1, 3, 2, 2), V)]],
        out,
    )
    assert out[a] == {(1,): V}
    assert a not in cursors  # left its subtree
    assert out[b] == {(1,): V, (2,): V}
    with pytest.raises(SnmpProtocolError, match="non-increasing"):
        walk_step([b], cursors, [[((1, 3, 2, 2), V)]], out)


def test_weekly_maintenance_window_in_jakarta_time() -> None:
    inv = load_inventory(SMALL)  # bts-a: Sundays 01:00-03:00 WIB
    sunday_2am = datetime(2026, 11, 29, 2, 0, tzinfo=JKT).timestamp()
    sunday_4am = datetime(2026, 11, 29, 4, 0, tzinfo=JKT).timestamp()
    assert "bts-a" in Coverage(inv).at(sunday_2am)
    assert "link:backhaul-bts-a" in Coverage(inv).at(sunday_2am)
    assert "bts-a" not in Coverage(inv).at(sunday_4am)
    # 01:30 WIB Sunday is 18:30 UTC Saturday: the window follows local time.
    assert "bts-a" in Coverage(inv).at(
        datetime(2026, 11, 28, 18, 30, tzinfo=ZoneInfo("UTC")).timestamp()
    )


def test_rollups_average_and_max_per_five_minutes() -> None:
    r = Rollups()
    assert r.add("link", "x", 1000 * 300 + 10, 10.0, 1.0) == []
    assert r.add("link", "x", 1000 * 300 + 70, 30.0, 3.0) == []
    done = r.add("link", "x", 1001 * 300 + 5, 50.0, 5.0)
    assert len(done) == 1
    assert (done[0].in_avg_bps, done[0].in_max_bps, done[0].samples) == (20.0, 30.0, 2)
    assert [x.samples for x in r.flush()] == [1]


def test_engine_on_simulated_agents_without_the_network() -> None:
    """The whole pipeline on the small inventory, the fake client reading the lab's views."""
    poller, lab, clock = simulated_poller(SMALL)
    uplink = poller.devices["core"].interface_named("ether1")
    assert uplink is not None
    assert uplink.contracted_bps == 40_000_000
    expected = lab["core"].interface("ether1").rx.rate_bps(clock[0] - 30)
    assert uplink.in_bps == pytest.approx(expected, rel=0.01)
    assert uplink.utilisation == pytest.approx(expected / 40e6, rel=0.01)
    assert all(poller.state_of(d).state is State.UP for d in poller.devices)


def test_schedule_offsets_spread_over_the_interval() -> None:
    from noc.polling.scheduler import offset_s

    inv = load_inventory(SMALL)
    offsets = [offset_s(d.name, 60) for d in inv.devices]
    assert all(0 <= o < 60 for o in offsets)
    assert len(set(offsets)) == len(offsets)
    assert offset_s("core", 60) == offset_s("core", 60)  # stable across restarts


def test_run_time_maintenance_windows_cover_devices_and_sites() -> None:
    inv = load_inventory(SMALL)
    now = 1_796_000_000.0
    window = Window("radio work", frozenset(), frozenset({"office"}), now - 60, now + 60, id="x")
    covered = Coverage(inv).at(now, [window])
    assert {"kel-a", "kel-b", "link:access-kel-a"} <= covered
    assert "bts-a" not in covered
    assert "kel-a" not in Coverage(inv).at(now + 120, [window])


Script = Callable[[float, list[Event], dict[str, SimDevice]], bool]


def on_virtual_clock(
    tmp_path: Path, backbone_s: int, access: str, script: Script
) -> tuple[Poller, list[Event]]:
    """The small network's collector under its scheduler, on a virtual clock: the BTS tier
    polled every `backbone_s`, the access tier with `access` (settings, then a comma), and
    `script(now, events, devices)` called at every wait until it says stop."""
    text = SMALL.read_text()
    text = text.replace(
        "backbone: {poll_interval_s: 60,", f"backbone: {{poll_interval_s: {backbone_s},"
    )
    text = text.replace("access: {poll_interval_s: 60,", f"access: {{{access}")
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(text)
    poller, lab, clock = simulated_poller(inventory, polls=1)
    events: list[Event] = []
    poller.sink = ListSink(events)

    async def virtual(stop: asyncio.Event, seconds: float) -> None:
        clock[0] += max(seconds, 0.05)
        await asyncio.sleep(0)
        if script(clock[0], events, lab):
            stop.set()

    async def run() -> None:
        await Scheduler(poller, clock=lambda: clock[0], wait=virtual).run(asyncio.Event())

    asyncio.run(run())
    return poller, events


def bts_polls(events: list[Event]) -> list[float]:
    return [e.at for e in events if isinstance(e, PollRecord) and e.device == "bts-a"]


def test_a_failure_confirmed_before_its_bts_is_polled_polls_the_bts_at_once(
    tmp_path: Path,
) -> None:
    """Offices polled every 5 s and confirmed down at their first timeout, their BTS every
    600 s: when both go down just after the BTS's poll, the scheduler polls the BTS as soon as
    an office's failure is confirmed, instead of holding the office for ten minutes, and the
    office is never reported DOWN (virtual clock, simulated devices)."""
    outage: list[float] = []

    def script(now: float, events: list[Event], lab: dict[str, SimDevice]) -> bool:
        if not outage and len(bts_polls(events)) >= 2:  # just after the BTS's second poll
            outage.append(now)
            lab["bts-a"].down = lab["kel-a"].down = True
        return bool(outage) and now > outage[0] + 60

    poller, events = on_virtual_clock(tmp_path, 600, "poll_interval_s: 5, down_after: 1,", script)
    failed = [(e.device, e.at) for e in events if isinstance(e, PollRecord) and not e.ok]
    first_office = min(at for name, at in failed if name == "kel-a")
    first_bts = min(at for name, at in failed if name == "bts-a")
    assert first_office < first_bts <= first_office + 1.5, failed
    changes = [(c.entity, c.new) for c in events if isinstance(c, StateChange)]
    assert ("kel-a", State.DOWN) not in changes and ("kel-a", State.UNREACHABLE) in changes
    assert ("bts-a", State.UNREACHABLE) not in changes
    assert poller.state_of("kel-a") == Verdict(
        State.UNREACHABLE, "bts-a", "bts-a is down", first_bts
    )


def test_offices_behind_a_bts_that_came_back_are_polled_at_once_and_never_down(
    tmp_path: Path,
) -> None:
    """The BTS polled every 5 s, its office every 30 s and confirmed down at its first timeout.
    Both go down for a minute and come back. Once the BTS's return is confirmed, the office's
    last timeouts are still the BTS's: it stays UNREACHABLE, is polled at once instead of at
    its turn, and comes back UP without ever being DOWN (virtual clock, simulated devices)."""
    outage: list[float] = []  # when it began, when it ended

    def script(now: float, events: list[Event], lab: dict[str, SimDevice]) -> bool:
        if (not outage and len(bts_polls(events)) >= 2) or (
            len(outage) == 1 and now > outage[0] + 60
        ):
            outage.append(now)
            lab["bts-a"].down = lab["kel-a"].down = len(outage) == 1
        return len(outage) == 2 and now > outage[1] + 60

    poller, events = on_virtual_clock(tmp_path, 5, "poll_interval_s: 30, down_after: 1,", script)
    polls = [(e.device, e.at, e.ok) for e in events if isinstance(e, PollRecord)]
    assert any(name == "kel-a" and not ok for name, _, ok in polls)  # it failed in the outage
    changes = [(c.entity, c.new, c.at) for c in events if isinstance(c, StateChange)]
    bts_back = next(
        at
        for name, state, at in changes
        if name == "bts-a" and state is State.UP and at > outage[0]
    )
    confirmed = sorted(at for name, at, ok in polls if name == "bts-a" and ok and at >= bts_back)
    office_back = min(at for name, at, ok in polls if name == "kel-a" and ok and at > outage[1])
    assert not [c for c in changes if c[0] == "kel-a" and c[1] is State.DOWN], changes
    # Up to 2 answers confirm the BTS (up_after); the office is polled right after, not 30 s on.
    assert office_back <= confirmed[1] + 1.5, (confirmed, office_back)
    assert poller.state_of("kel-a").state is State.UP


def test_a_quick_poll_asked_while_the_device_is_polled_follows_that_poll() -> None:
    """A trap arrives while the BTS's poll is running: that poll began before the news and may
    answer from before it, so a quick one (one try) is made as soon as it ends."""
    poller, _, clock = simulated_poller(SMALL, polls=1)

    async def scenario() -> Scheduler:
        s = Scheduler(poller, clock=lambda: clock[0])
        s.due = dict.fromkeys(s.interval, clock[0] + 600)
        s.running["bts-a"] = asyncio.create_task(asyncio.sleep(0))  # its poll, in flight
        s.poll_soon(["bts-a", "kel-a"], quick=True)
        assert s.due["bts-a"] == clock[0] + 600 and "bts-a" not in s.quick  # not twice at once
        assert s.due["kel-a"] == clock[0] and "kel-a" in s.quick  # idle: at once
        await s.running["bts-a"]
        await s._poll("bts-a")  # the running poll ends ...
        return s

    s = asyncio.run(scenario())
    assert s.due["bts-a"] == clock[0] and "bts-a" in s.quick  # ... and the quick one is due
    assert not s.again


def test_a_storm_of_hints_is_one_quick_poll_a_second() -> None:
    """The same trap a thousand times a second: the device is polled at once for the first,
    and the rest wait for the next second, never a poll loop."""
    poller, _, clock = simulated_poller(SMALL, polls=1)

    async def scenario() -> None:
        s = Scheduler(poller, clock=lambda: clock[0])
        s.due = dict.fromkeys(s.interval, clock[0] + 600)
        start = clock[0]
        for _ in range(50):
            s.poll_soon(["bts-a"], quick=True)
        assert s.due["bts-a"] == start and "bts-a" in s.quick
        await s._poll("bts-a")
        s.due["bts-a"] = start + 600  # its next regular turn
        clock[0] = start + 0.2
        for _ in range(50):
            s.poll_soon(["bts-a"], quick=True)
        assert s.due["bts-a"] == start + 1.0 and "bts-a" in s.quick
        clock[0] = start + 5
        s.due["bts-a"] = start + 600
        s.poll_soon(["bts-a"], quick=True)  # a second on: at once again
        assert s.due["bts-a"] == start + 5

    asyncio.run(scenario())
