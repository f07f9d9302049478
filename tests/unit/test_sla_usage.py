"""Links' use of a period added up by the store (SQLite): the same figures as `link_usage` over
every 5-minute rollup, whether the days are closed, not closed, or closed before more rollups
came (the floor they give is then too high, and every bucket is read)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import Connection, insert, update

from noc.inventory import Inventory, load_inventory
from noc.sla import usage
from noc.sla.compute import LinkUsage, Period, Point, link_usage
from noc.sla.daily import close_days
from noc.sla.usage import link_usages
from noc.sla.year import year_period
from noc.store.db import make_engine, sync_inventory, upgrade
from noc.store.models import DailyRollupRow, RollupRow

ROOT = Path(__file__).resolve().parents[2]
DAYS = 5


def store(tmp_path: Path, inv: Inventory) -> tuple[str, dict[str, list[Point]], Period]:
    url = f"sqlite:///{tmp_path / 'u.db'}"
    engine = make_engine(url)
    upgrade(engine)
    sync_inventory(engine, inv)
    start = year_period(2026, inv.network.timezone).start
    rng = random.Random(3)
    points: dict[str, list[Point]] = {}
    rows = []
    for n, ln in enumerate(inv.links[:6]):
        points[ln.name] = []
        for i in range(DAYS * 288):
            if n == 2 and i % 7 == 0:
                continue  # a link with gaps
            t = start + i * 300
            day = i // 288
            level = (0.1 + 0.2 * day) if n % 2 else 0.6  # rising week / flat: floors differ
            bps = ln.capacity_bps * level * rng.uniform(0.5, 1.6)
            out = bps * rng.uniform(0.1, 1.2)
            points[ln.name].append((t, bps, out))
            rows.append(
                {
                    "kind": "link",
                    "name": ln.name,
                    "bucket_start": t,
                    "in_avg_bps": bps,
                    "in_max_bps": bps,
                    "out_avg_bps": out,
                    "out_max_bps": out,
                    "samples": 5,
                }
            )
    with engine.begin() as conn:
        conn.execute(insert(RollupRow), rows)
    return url, points, Period(start, start + DAYS * 86400)


def same(got: LinkUsage, want: LinkUsage) -> None:
    assert (got.samples, got.expected_samples) == (want.samples, want.expected_samples)
    assert (got.peak_bps, got.p95_in_bps, got.p95_out_bps) == (
        want.peak_bps,
        want.p95_in_bps,
        want.p95_out_bps,
    )
    assert got.hours_above_80 == want.hours_above_80
    for a, b in ((got.avg_in_bps, want.avg_in_bps), (got.avg_out_bps, want.avg_out_bps)):
        assert a is not None and b is not None and abs(a - b) <= 1e-9 * b


@pytest.mark.parametrize("days", ["none closed", "all closed", "closed before more came"])
def test_the_store_adds_up_what_link_usage_gives_from_every_bucket(
    tmp_path: Path, days: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    inv = load_inventory(ROOT / "inventory.yaml")
    every: list[str] = []  # links whose buckets were all read again: their floor was too high
    read_all = usage._all

    def counted(conn: Connection, name: str, period: Period) -> tuple[list[float], list[float]]:
        every.append(name)
        return read_all(conn, name, period)

    monkeypatch.setattr(usage, "_all", counted)
    url, points, period = store(tmp_path, inv)
    engine = make_engine(url)
    if days != "none closed":
        assert close_days(engine, inv, period.end) == DAYS
    if days == "closed before more came":
        # The days' p95 as they were before a backlog of rollups came: far higher than now.
        with engine.begin() as conn:
            conn.execute(update(DailyRollupRow).values(p95_in_bps=DailyRollupRow.p95_in_bps * 50))
    links = inv.links[:6] + inv.links[-1:]  # and a link with no rollups
    got = link_usages(engine, links, period)
    assert list(got) == [ln.name for ln in links]
    for ln in links:
        same_as = link_usage(points.get(ln.name, []), period, ln.capacity_bps)
        if not points.get(ln.name):
            assert got[ln.name] == same_as
            continue
        same(got[ln.name], same_as)
    # Closed days give floors that hold; days closed too early give floors too high.
    assert bool(every) is (days == "closed before more came")
    # Half a period (days cut in the middle) as well.
    half = Period(period.start + 43_200, period.end - 43_200)
    part = link_usages(engine, links[:3], half)
    for ln in links[:3]:
        same(part[ln.name], link_usage(points[ln.name], half, ln.capacity_bps))
