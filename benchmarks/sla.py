"""Time to compute and render an SLA report over a year of 5-minute rollups.

Fills a SQLite store with the whole inventory (148 devices, 148 links), 105,120 five-minute
rollups per link (15.6 million rows) and a dozen outages per device, then measures what a
manager waits for: `build_report` for the year (availability of every device, site and tier;
average, peak, 95th percentile and hours above 80% of every link; the uplink's daily p95) and
rendering it to JSON, CSV and HTML. Filling the store is reported, not counted.

    .venv/bin/python benchmarks/sla.py [--days 365]
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from noc.inventory import load_inventory  # noqa: E402
from noc.sla.compute import Period  # noqa: E402
from noc.sla.i18n import Locale  # noqa: E402
from noc.sla.render import to_csv, to_html, to_json  # noqa: E402
from noc.sla.report import build_report  # noqa: E402
from noc.store.db import make_engine, sync_inventory, upgrade  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    zone = ZoneInfo("Asia/Jakarta")
    start = datetime(2025, 11, 1, tzinfo=zone).timestamp()
    period = Period(start, start + args.days * 86400)
    inv = load_inventory(ROOT / "inventory.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "year.db"
        began = time.perf_counter()
        rows, changes = fill(db, args.days, start)
        filled = time.perf_counter() - began
        engine = make_engine(f"sqlite:///{db}")
        began = time.perf_counter()
        report = build_report(engine, inv, period)
        computed = time.perf_counter() - began
        timings = {}
        for name, render in (
            ("json", lambda: to_json(report)),
            ("csv", lambda: to_csv(report, Locale("en", inv.network.timezone))),
            ("html", lambda: to_html(report, Locale("id", inv.network.timezone))),
        ):
            began = time.perf_counter()
            size = len(render())
            timings[name] = (time.perf_counter() - began, size)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"store: {len(inv.devices)} devices, {len(inv.links)} links, {rows:,} rollups, "
        f"{changes:,} state changes over {args.days} days "
        f"(filled in {filled:.1f} s)"
    )
    print(f"compute (build_report, read from SQLite): {computed:6.2f} s")
    for name, (seconds, size) in timings.items():
        print(
            f"render {name:<4}                          : {seconds:6.2f} s  ({size / 1e3:,.0f} kB)"
        )
    total = computed + sum(t for t, _ in timings.values())
    print(f"total compute + render                   : {total:6.2f} s   peak RSS {rss_mb:,.0f} MB")
    print(
        f"uplink p95 over the year: {report.links[report.uplink].p95_bps / 1e6:.1f} Mbps; "
        f"network availability {report.whole.availability:.5f}"
    )


if __name__ == "__main__":
    main()
