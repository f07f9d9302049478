"""Time and memory of a year's SLA report, from the daily rollups, beside the same year read
from every 5-minute rollup, and a month's report.

Fills a SQLite store with the whole inventory (148 devices, 148 links), 105,120 five-minute
rollups per link (15.6 million rows) and a dozen outages per device, closes its days into daily
rollups (as `noc serve` does each night), then measures in a fresh process each what a manager
waits for, rendering included: `noc sla report --year` (build_year), a month's report, and the
anchor, the year through the monthly report with every 5-minute rollup of every link read into
Python (as the monthly report did before the store added its links up). Filling the
store and closing the days are reported, not counted.

    .venv/bin/python benchmarks/sla.py [--days 365]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from noc.inventory import load_inventory  # noqa: E402
from noc.inventory.model import Link  # noqa: E402
from noc.sla import report as sla_report  # noqa: E402
from noc.sla.compute import LinkUsage, Period, Point, link_usage  # noqa: E402
from noc.sla.daily import close_days  # noqa: E402
from noc.sla.i18n import Locale  # noqa: E402
from noc.sla.render import to_html, to_json  # noqa: E402
from noc.sla.report import build_report  # noqa: E402
from noc.sla.year import build_year, year_html, year_json  # noqa: E402
from noc.store.db import make_engine, sync_inventory, upgrade  # noqa: E402
from noc.store.models import RollupRow  # noqa: E402

BUCKET_S = 300


def fill(db: Path, days: int, start: float) -> tuple[int, int]:
    inv = load_inventory(ROOT / "inventory.yaml")
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    sync_inventory(engine, inv)
    rng = random.Random(7)
    buckets = days * 86400 // BUCKET_S
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    rows = 0
    for link in inv.links:
        cap = link.capacity_bps
        batch = []
        for i in range(buckets):
            t = start + i * BUCKET_S
            hour = (t / 3600 + 7) % 24
            office = (
                0.15 + 0.7 * max(0.0, math.sin(math.pi * (hour - 7) / 11))
                if 7 <= hour < 18
                else 0.1
            )
            rx = cap * office * rng.uniform(0.8, 1.1)
            tx = rx * 0.4
            batch.append(("link", link.name, t, rx, rx * 1.2, tx, tx * 1.2, 5))
        conn.executemany(
            "INSERT INTO rollups (kind, name, bucket_start, in_avg_bps, "
            "in_max_bps, out_avg_bps, out_max_bps, samples) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
        rows += len(batch)
    changes = 0
    for device in inv.devices:
        for n in range(12):
            at = start + rng.uniform(0, days * 86400 - 7200)
            length = rng.uniform(300, 7200)
            conn.executemany(
                "INSERT INTO state_changes (id, entity, at, old, new, root_cause, reason) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (f"{device.name}-{n}-d", device.name, at, "up", "down", device.name, "timeout"),
                    (f"{device.name}-{n}-u", device.name, at + length, "down", "up", None, None),
                ],
            )
            changes += 2
    conn.commit()
    conn.close()
    return rows, changes


def every_bucket(engine: Engine, links: Sequence[Link], period: Period) -> dict[str, LinkUsage]:
    """The anchor's way: every link's every 5-minute rollup into Python, then link_usage."""
    r = RollupRow
    query = (
        select(r.name, r.bucket_start, r.in_avg_bps, r.out_avg_bps)
        .where(r.kind == "link", r.bucket_start >= period.start, r.bucket_start < period.end)
        .order_by(r.name, r.bucket_start)
    )
    points: dict[str, list[Point]] = defaultdict(list)
    with engine.connect() as conn:
        for name, at, i, o in conn.execute(query):
            points[name].append((at, i, o))
    return {ln.name: link_usage(points[ln.name], period, ln.capacity_bps) for ln in links}


def measure(kind: str, db: Path, days: int, start: float) -> None:
    """One measurement in this (fresh) process: its time and its own peak RSS, as JSON."""
    inv = load_inventory(ROOT / "inventory.yaml")
    engine = make_engine(f"sqlite:///{db}")
    zone = inv.network.timezone
    began = time.perf_counter()
    if kind == "year":
        year = datetime.fromtimestamp(start, ZoneInfo(zone)).year
        report = build_year(engine, inv, year, start + days * 86400)
        size = len(year_json(report)) + len(year_html(report, Locale("id", zone)))
        figure = report.uplink_monthly_p95
    else:
        if kind == "full":
            vars(sla_report)["link_usages"] = every_bucket  # (this process only)
        span = days * 86400 if kind == "full" else 31 * 86400
        monthly = build_report(engine, inv, Period(start, start + span))
        size = len(to_json(monthly)) + len(to_html(monthly, Locale("id", zone)))
        figure = {0: monthly.links[monthly.uplink].p95_bps}
    seconds = time.perf_counter() - began
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": rss_mb, "bytes": size, "figure": figure}))


def run(kind: str, db: Path, days: int, start: float) -> dict[str, float]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--measure",
            kind,
            "--db",
            str(db),
            "--days",
            str(days),
            "--start",
            str(start),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout.splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--measure", choices=["year", "full", "month"])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--start", type=float)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.db, args.days, args.start)
        return
    zone = ZoneInfo("Asia/Jakarta")
    start = datetime(2026, 1, 1, tzinfo=zone).timestamp()
    inv = load_inventory(ROOT / "inventory.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "year.db"
        began = time.perf_counter()
        rows, changes = fill(db, args.days, start)
        filled = time.perf_counter() - began
        began = time.perf_counter()
        closed = close_days(make_engine(f"sqlite:///{db}"), inv, start + args.days * 86400)
        closing = time.perf_counter() - began
        print(
            f"store: {len(inv.devices)} devices, {len(inv.links)} links, {rows:,} rollups, "
            f"{changes:,} state changes over {args.days} days (filled in {filled:.1f} s); "
            f"{closed} days closed into daily rollups in {closing:.1f} s "
            f"({closing / max(closed, 1):.2f} s a day: what noc serve does each night)"
        )
        year = run("year", db, args.days, start)
        month = run("month", db, args.days, start)
        full = run("full", db, args.days, start)
    print(
        f"year report from the daily rollups (noc sla report --year): {year['seconds']:6.2f} s, "
        f"peak RSS {year['rss_mb']:,.0f} MB  (target: under 10 s and 1 GB)"
    )
    print(
        f"a month's report (31 days):                                 {month['seconds']:6.2f} s, "
        f"peak RSS {month['rss_mb']:,.0f} MB  (target: under 2 s)"
    )
    print(
        f"anchor: the year, every 5-minute rollup read (build_report): {full['seconds']:5.2f} s, "
        f"peak RSS {full['rss_mb']:,.0f} MB"
    )
    print(
        f"ratio: {full['seconds'] / year['seconds']:.1f}x faster, "
        f"{full['rss_mb'] / year['rss_mb']:.1f}x less memory"
    )


if __name__ == "__main__":
    main()
