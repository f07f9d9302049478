"""Each link's closed days, made once from its 5-minute rollups and stored: average, peak,
95th percentiles and buckets above 80% of the contract. `noc serve` closes the days as they
end (and any it missed); a year's report reads 365 rows a link instead of 105,120.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, insert, select

from noc.inventory import Inventory
from noc.polling.rollup import BUCKET_S
from noc.sla.compute import Period, Point, link_usage
from noc.store.models import DailyRollupRow, RollupRow


@dataclass(frozen=True)
class Day:
    name: str
    day_start: float
    samples: int
    in_avg_bps: float | None
    out_avg_bps: float | None
    peak_bps: float | None
    p95_in_bps: float | None
    p95_out_bps: float | None
    busy_buckets: int


def days(start: float, end: float, zone: str) -> Iterator[Period]:
    """The network's calendar days from the one holding `start` to the last ending by `end`."""
    tz = ZoneInfo(zone)
    day = datetime.fromtimestamp(start, tz).replace(hour=0, minute=0, second=0, microsecond=0)
    while True:
        after = (day + timedelta(days=1)).replace(hour=0)
        if after.timestamp() > end:
            return
        yield Period(day.timestamp(), after.timestamp())
        day = after


def summarise(inv: Inventory, day: Period, points: dict[str, list[Point]]) -> list[Day]:
    """Every link's day from its buckets (a link with none gets a row of no samples)."""
    out = []
    for ln in inv.links:
        u = link_usage(sorted(points.get(ln.name, [])), day, ln.capacity_bps)
        out.append(
            Day(
                ln.name,
                day.start,
                u.samples,
                u.avg_in_bps,
                u.avg_out_bps,
                u.peak_bps,
                u.p95_in_bps,
                u.p95_out_bps,
                round(u.hours_above_80 * 3600 / BUCKET_S),
            )
        )
    return out


def read_day(engine: Engine, day: Period) -> dict[str, list[Point]]:
    q = select(
        RollupRow.name, RollupRow.bucket_start, RollupRow.in_avg_bps, RollupRow.out_avg_bps
    ).where(
        RollupRow.kind == "link",
        RollupRow.bucket_start >= day.start,
        RollupRow.bucket_start < day.end,
    )
    points: dict[str, list[Point]] = defaultdict(list)
    with engine.connect() as conn:
        for name, start, i, o in conn.execute(q):
            points[name].append((start, i, o))
    return points


def close_days(engine: Engine, inv: Inventory, until: float) -> int:
    """Store every closed day (ended by `until`) that has 5-minute rollups and no daily row
    yet; how many days were closed."""
    with engine.connect() as conn:
        first = conn.execute(
            select(func.min(RollupRow.bucket_start)).where(RollupRow.kind == "link")
        ).scalar()
        done = {
            float(d)
            for (d,) in conn.execute(
                select(DailyRollupRow.day_start).where(DailyRollupRow.kind == "link").distinct()
            )
        }
    if first is None:
        return 0
    closed = 0
    for day in days(float(first), until, inv.network.timezone):
        if day.start in done:
            continue
        rows = summarise(inv, day, read_day(engine, day))
        with engine.begin() as conn:
            conn.execute(insert(DailyRollupRow), [{"kind": "link", **vars(r)} for r in rows])
        closed += 1
    return closed


def read_days(engine: Engine, period: Period) -> dict[str, list[Day]]:
    """The stored days inside the period, by link."""
    q = select(DailyRollupRow).where(
        DailyRollupRow.kind == "link",
        DailyRollupRow.day_start >= period.start,
        DailyRollupRow.day_start < period.end,
    )
    out: dict[str, list[Day]] = defaultdict(list)
    with engine.connect() as conn:
        for r in conn.execute(q).mappings():
            fields = {k: v for k, v in r.items() if k != "kind"}
            out[r["name"]].append(Day(**fields))
    return out
