"""Rows per second written into the store: the collector's writer against SQLAlchemy Core.

A week of the inventory's 5-minute link rollups (148 links x 2,016 buckets, 298,368 rows) is
written in batches of 50,000 (a backlog after an outage, or a simulated month) into an empty
store, once by `StoreWriter.flush` and once by the usual SQLAlchemy Core upsert
(`insert(...).on_conflict_do_update(...)` given a list of dicts: an executemany), in the same
run, into SQLite and into PostgreSQL. Both count the same thing: rows present afterwards. The
figure is wall time (for PostgreSQL that includes the server's side), and the client's CPU.

    .venv/bin/python benchmarks/store_write.py [--days 7] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import Engine, func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from noc.inventory import load_inventory  # noqa: E402
from noc.polling.rollup import Rollup  # noqa: E402
from noc.store.db import make_engine, upgrade  # noqa: E402
from noc.store.models import RollupRow  # noqa: E402
from noc.store.writer import StoreWriter  # noqa: E402

BATCH = 50_000
START = 1_790_000_000.0


def rollups(days: int) -> list[Rollup]:
    links = [ln.name for ln in load_inventory(ROOT / "inventory.yaml").links]
    out = []
    for bucket in range(days * 288):
        at = START + bucket * 300
        for i, name in enumerate(links):
            rate = 1e6 * (1 + i % 7) + bucket
            out.append(Rollup("link", name, at, rate, rate * 1.5, rate / 4, rate / 3, 30))
    return out


def ours(engine: Engine, events: list[Rollup]) -> None:
    writer = StoreWriter(engine, max_buffer=len(events) + 1)
    for i in range(0, len(events), BATCH):
        writer.emit(events[i : i + BATCH])
        if not writer.flush():
            raise SystemExit(f"the writer failed: {writer.stats.last_error}")


def anchor(engine: Engine, events: list[Rollup]) -> None:
    table: Any = RollupRow.__table__
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(table)
    keys = [c.name for c in table.primary_key.columns]
    stmt = stmt.on_conflict_do_update(
        index_elements=keys,
        set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys},
    )
    for i in range(0, len(events), BATCH):
        rows = [
            {
                "kind": e.kind,
                "name": e.name,
                "bucket_start": e.bucket_start,
                "in_avg_bps": e.in_avg_bps,
                "in_max_bps": e.in_max_bps,
                "out_avg_bps": e.out_avg_bps,
                "out_max_bps": e.out_max_bps,
                "samples": e.samples,
            }
            for e in events[i : i + BATCH]
        ]
        with Session(engine) as session, session.begin():
            session.execute(stmt, rows)


def measure(url: str, write: Any, events: list[Rollup]) -> tuple[float, float]:
    engine = make_engine(url)
    upgrade(engine)
    wall, cpu = time.perf_counter(), time.process_time()
    write(engine, events)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(RollupRow))
    engine.dispose()
    assert count == len(events), (count, len(events))
    return wall, cpu


def admin(sql: str) -> None:
    with psycopg.connect(
        host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    events = rollups(args.days)
    n = len(events)
    print(f"{n:,} rollups in batches of {BATCH:,}")
    with tempfile.TemporaryDirectory() as tmp:
        for store in ["SQLite"] + ([] if args.skip_postgres else ["PostgreSQL"]):
            figures = {}
            for who, write in (("noc writer", ours), ("SQLAlchemy Core", anchor)):
                name = f"noc_bench_{uuid.uuid4().hex[:8]}"
                if store == "SQLite":
                    url = f"sqlite:///{tmp}/{name}.db"
                else:
                    admin(f'CREATE DATABASE "{name}"')
                    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
                try:
                    figures[who] = measure(url, write, events)
                finally:
                    if store != "SQLite":
                        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            (ow, oc), (aw, ac) = figures["noc writer"], figures["SQLAlchemy Core"]
            print(f"{store}:")
            print(f"  noc writer       {n / ow:>10,.0f} rows/s wall  {n / oc:>10,.0f} rows/CPU-s")
            print(f"  SQLAlchemy Core  {n / aw:>10,.0f} rows/s wall  {n / ac:>10,.0f} rows/CPU-s")
            print(f"  ratio            {aw / ow:>10.2f} x wall        {ac / oc:>10.2f} x CPU")


if __name__ == "__main__":
    main()
