"""Every link's use of a period, without bringing each 5-minute rollup into Python.

The store adds up what adds up: buckets, the sums behind the averages, the peak and the buckets
above 80% of the contract. A 95th percentile needs buckets themselves, but only those at or
above it. Each closed day's own p95 (kept in the daily rollups) is a floor: a day has more than
5% of its buckets at or above its p95, so the period has more than 5% at or above the lowest
of its days' p95. Only the buckets at or above that floor are read. When they are too few to
hold the period's p95 (a day not closed yet, rollups written after their day was closed), all
of that link's buckets are read instead. Either way the figures are `compute.link_usage`'s over
every bucket, up to the order the store adds the averages in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlalchemy import Connection, Engine, bindparam, case, func, select

from noc.inventory.model import Link
from noc.polling.rollup import BUCKET_S
from noc.sla.compute import LinkUsage, Period, link_usage, percentile
from noc.store.models import DailyRollupRow, RollupRow

LOWEST = -1.0e300  # a floor below every rate: read every bucket


def link_usages(engine: Engine, links: Sequence[Link], period: Period) -> dict[str, LinkUsage]:
    """Each link's use of the period, as `link_usage` over its 5-minute rollups gives it."""
    r = RollupRow
    high = case((r.in_avg_bps >= r.out_avg_bps, r.in_avg_bps), else_=r.out_avg_bps)
    # Link by link, each read from the index by link and time (0018) alone.
    mine = (
        r.kind == "link",
        r.name == bindparam("name"),
        r.bucket_start >= period.start,
        r.bucket_start < period.end,
    )
    sums = select(
        func.count(),
        func.sum(r.in_avg_bps),
        func.sum(r.out_avg_bps),
        func.max(high),
        func.sum(case((high > bindparam("busy"), 1), else_=0)),
    ).where(*mine)
    top = select(r.in_avg_bps, r.out_avg_bps).where(
        *mine, (r.in_avg_bps >= bindparam("floor_in")) | (r.out_avg_bps >= bindparam("floor_out"))
    )
    usages = {}
    with engine.connect() as conn:
        floors = _floors(conn, period)
        for ln in links:
            floor_in, floor_out = floors.get(ln.name, (LOWEST, LOWEST))
            count, sum_in, sum_out, peak, busy = conn.execute(
                sums, {"name": ln.name, "busy": 0.8 * ln.capacity_bps}
            ).one()
            if not count:
                usages[ln.name] = link_usage([], period, ln.capacity_bps)
                continue
            rows = conn.execute(
                top, {"name": ln.name, "floor_in": floor_in, "floor_out": floor_out}
            ).all()
            p95_in = _top([i for i, _ in rows], floor_in, count)
            p95_out = _top([o for _, o in rows], floor_out, count)
            if p95_in is None or p95_out is None:  # a floor was too high: read them all
                ins, outs = _all(conn, ln.name, period)
                p95_in, p95_out = percentile(ins), percentile(outs)
            usages[ln.name] = LinkUsage(
                capacity_bps=ln.capacity_bps,
                samples=count,
                expected_samples=int(period.seconds // BUCKET_S),
                avg_in_bps=sum_in / count,
                avg_out_bps=sum_out / count,
                peak_bps=peak,
                p95_in_bps=p95_in,
                p95_out_bps=p95_out,
                hours_above_80=busy * BUCKET_S / 3600,
            )
    return usages


def _top(values: list[float], floor: float, count: int) -> float | None:
    """The p95 (nearest rank) of `count` values when `values` are all of them at or above
    `floor`, or None when those are too few to reach it."""
    wanted = count - math.ceil(0.95 * count) + 1  # the p95's place from the top
    held = sorted((v for v in values if v >= floor), reverse=True)
    return held[wanted - 1] if len(held) >= wanted else None


def _all(conn: Connection, name: str, period: Period) -> tuple[list[float], list[float]]:
    r = RollupRow
    rows = conn.execute(
        select(r.in_avg_bps, r.out_avg_bps).where(
            r.kind == "link",
            r.name == name,
            r.bucket_start >= period.start,
            r.bucket_start < period.end,
        )
    ).all()
    return [row[0] for row in rows], [row[1] for row in rows]


def _floors(conn: Connection, period: Period) -> dict[str, tuple[float, float]]:
    """Each link's lowest daily p95 in the period, each way (closed days with data only)."""
    d = DailyRollupRow
    rows = conn.execute(
        select(d.name, func.min(d.p95_in_bps), func.min(d.p95_out_bps))
        .where(
            d.kind == "link",
            d.day_start >= period.start,
            d.day_start < period.end,
            d.samples > 0,
        )
        .group_by(d.name)
    )
    return {
        name: (LOWEST if i is None else float(i), LOWEST if o is None else float(o))
        for name, i, o in rows
    }
