"""The daily rollups and the year's report (pure parts and SQLite): days closed once from the
5-minute rollups; a year read from them agrees with the same figures made from the 5-minute
rows; the uplink's monthly p95 from its own rows; a day not closed yet is made on the fly."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert

from noc.inventory import load_inventory
from noc.sla.compute import Period, link_usage
from noc.sla.daily import close_days, days, read_days
from noc.sla.year import build_year, year_period
from noc.store.db import make_engine, sync_inventory, upgrade
from noc.store.models import RollupRow

ROOT = Path(__file__).resolve().parents[2]


def test_a_year_from_its_days_agrees_with_its_five_minute_rows(tmp_path: Path) -> None:
    inv = load_inventory(ROOT / "inventory.yaml")
    engine = make_engine(f"sqlite:///{tmp_path / 'y.db'}")
    upgrade(engine)
    sync_inventory(engine, inv)
    year = year_period(2026, inv.network.timezone)
    span = list(days(year.start, year.start + 4 * 86400, inv.network.timezone))
    assert len(span) == 4 and all(d.end - d.start == 86400 for d in span)
    uplink = inv.uplink
    assert uplink is not None
    links = [uplink.name, inv.links[1].name]
    rows, points = [], []
    for i in range(4 * 288):
        t = year.start + i * 300
        bps = uplink.capacity_bps * (0.2 + 0.75 * ((i % 288) / 288))  # a daily ramp
        points.append((t, bps, bps / 3))
        for name in links:
            rows.append(
                {
                    "kind": "link",
                    "name": name,
                    "bucket_start": t,
                    "in_avg_bps": bps,
                    "in_max_bps": bps,
                    "out_avg_bps": bps / 3,
                    "out_max_bps": bps / 3,
                    "samples": 5,
                }
            )
    with engine.begin() as conn:
        conn.execute(insert(RollupRow), rows)
    now = year.start + 3 * 86400 + 3600  # the fourth day is not over
    assert close_days(engine, inv, now) == 3
    assert close_days(engine, inv, now) == 0  # closed once
    stored = read_days(engine, Period(year.start, now))
    assert len(stored[uplink.name]) == 3
    report = build_year(engine, inv, 2026, now)
    assert (report.days_from_store, report.days_computed) == (3, 1)
    direct = link_usage(
        [p for p in points if p[0] < now], Period(year.start, now), uplink.capacity_bps
    )
    got = report.links[uplink.name]
    assert got.samples == direct.samples
    assert got.peak_bps == direct.peak_bps
    assert abs((got.avg_in_bps or 0) - (direct.avg_in_bps or 0)) < 1e-6 * uplink.capacity_bps
    assert abs(got.hours_above_80 - direct.hours_above_80) < 1e-9
    assert report.uplink_monthly_p95[1] == direct.p95_bps  # January: all of it
    assert report.uplink_monthly_p95[2] is None
