"""Smaller collector parts: walking, maintenance windows, rollups, the engine on a fake agent."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from noc.collector.availability import State
from noc.collector.maintenance import Coverage, Window
from noc.collector.rollup import Rollups
from noc.inventory import load_inventory
from noc.snmp.client import SnmpProtocolError, walk_step
from noc.snmp.values import Oid, Tag, Value
from tests.conftest import SMALL
from tests.fakes import simulated_collector

JKT = ZoneInfo("Asia/Jakarta")
V = Value(Tag.INTEGER, 1)


def test_walk_step_closes_columns_and_refuses_non_increasing_oids() -> None:
    a: Oid = (1, 3, 1)
    b: Oid = (1, 3, 2)
    cursors: dict[Oid, Oid] = {a: (), b: ()}
    out: dict[Oid, dict[Oid, Value]] = {}
    walk_step([a, b], cursors, [[((1, 3, 1, 1), V), ((1, 3, 2, 1), V)],
                                [((1, 3, 2, 1), V), ((1, 3, 2, 2), V)]], out)  # fmt: skip
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
    collector, lab, clock = simulated_collector(SMALL)
    uplink = collector.devices["core"].interface_named("ether1")
    assert uplink is not None
    assert uplink.contracted_bps == 40_000_000
    expected = lab["core"].interface("ether1").rx.rate_bps(clock[0] - 30)
    assert uplink.in_bps == pytest.approx(expected, rel=0.01)
    assert uplink.utilisation == pytest.approx(expected / 40e6, rel=0.01)
    assert all(collector.state_of(d).state is State.UP for d in collector.devices)


def test_schedule_offsets_spread_over_the_interval() -> None:
    from noc.collector.scheduler import offset_s

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
