"""The writer against a store that misbehaves, on SQLite and PostgreSQL: a row the store
cannot hold is set aside and shown at once (noc_store_up 0) while the rest is written; a
deleted SQLite file is migrated again; a store that hangs is seen as down by the age of the
oldest unwritten event, and what waits is journalled meanwhile."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from noc.exporter import NocMetrics, render
from noc.inventory import load_inventory
from noc.polling.availability import State, StateChange
from noc.polling.poller import Poller, PollRecord
from noc.polling.rollup import Rollup
from noc.polling.scheduler import CycleStats
from noc.snmp.fake import FakeSnmpClient
from noc.store import writer as writer_module
from noc.store.db import make_engine, upgrade
from noc.store.models import PollStatRow, RollupRow, StateChangeRow
from noc.store.writer import COPY_ROWS, StoreWriter
from tests.conftest import INVENTORY, Database

pytestmark = pytest.mark.integration


def record(device: str, at: float, varbinds: int = 10) -> PollRecord:
    return PollRecord(device, at, 0.1, True, None, 2, 0, 0, varbinds)


def store_up(writer: StoreWriter) -> float:
    poller = Poller(load_inventory(INVENTORY), FakeSnmpClient({}))
    text = render(NocMetrics(poller.live, CycleStats(), writer).collect()).decode()
    line = next(ln for ln in text.splitlines() if ln.startswith("noc_store_up "))
    return float(line.split()[1])


def test_a_row_the_store_cannot_hold_is_set_aside_and_shown(
    database: Database,
    tmp_path: Path,
) -> None:
    engine = make_engine(database.url)
    upgrade(engine)
    writer = StoreWriter(engine, journal=tmp_path / "journal.jsonl")
    now = time.time()
    writer.emit(
        [
            record("core-1", now),
            record("bts-05", now, varbinds=2**70),
            StateChange("core-1", now, State.UNKNOWN, State.UP, None, None),
        ]
    )
    assert writer.flush()
    assert writer.stats.rejected == 1 and not writer.stats.db_up
    assert store_up(writer) == 0.0  # visible at once
    assert "refused" in (writer.stats.last_error or "")
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(StateChangeRow)) == 1
        assert set(session.scalars(select(PollStatRow.device))) == {"core-1"}
    aside = json.loads((tmp_path / "journal-rejected.jsonl").read_text().splitlines()[0])
    assert aside["table"] == "poll_stats" and aside["row"]["device"] == "bts-05"
    writer.emit([record("core-1", now + 1)])
    assert writer.flush() and writer.stats.db_up and store_up(writer) == 1.0


def test_a_large_batch_with_one_bad_row_writes_the_rest_and_sets_it_aside(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backlog large enough for PostgreSQL's COPY path, one row in it out of range: that row
    is set aside with the store's reason, every other row is written, in a few halvings."""
    engine = make_engine(database.url)
    upgrade(engine)
    writer = StoreWriter(engine, max_buffer=COPY_ROWS * 2, journal=tmp_path / "journal.jsonl")
    start = 1_790_000_000.0
    rollups = [
        Rollup("link", f"link-{i % 50}", start + 300 * (i // 50), 1e6, 2e6, 3e5, 4e5, 1)
        for i in range(COPY_ROWS + 10)
    ]
    rollups[COPY_ROWS // 3] = Rollup("link", "bad", start, 1.0, 1.0, 1.0, 1.0, 2**70)
    tries = 0
    real_upsert = writer_module._upsert

    def counting(*args: Any) -> None:
        nonlocal tries
        tries += 1
        real_upsert(*args)

    monkeypatch.setattr(writer_module, "_upsert", counting)
    writer.emit(rollups)
    assert writer.flush()
    assert writer.stats.rejected == 1 and writer.pending == 0
    assert tries <= 2 + 2 * (len(rollups).bit_length()), tries
    with Session(engine) as session:
        names = session.execute(select(RollupRow.name, RollupRow.samples)).all()
    assert len(names) == len(rollups) - 1 and ("bad", 2**70) not in names
    assert sorted({n for n, _ in names}) == sorted(f"link-{i}" for i in range(50))
    aside = [
        json.loads(line) for line in (tmp_path / "journal-rejected.jsonl").read_text().splitlines()
    ]
    assert [(a["table"], a["row"]["name"]) for a in aside] == [("rollups", "bad")]
    assert "range" in aside[0]["reason"] or "too large" in aside[0]["reason"], aside[0]


def test_a_deleted_sqlite_file_is_migrated_again(tmp_path: Path) -> None:
    path = tmp_path / "noc.db"
    engine = make_engine(f"sqlite:///{path}")
    writer = StoreWriter(engine, prepare=upgrade)
    writer.emit([record("core-1", time.time())])
    assert writer.flush()
    path.unlink()
    writer.emit([record("core-1", time.time())])
    assert not writer.flush()  # the new, empty file has no tables
    assert writer.flush()  # prepared again
    with Session(engine) as session:
        assert session.scalars(select(PollStatRow.device)).all() == ["core-1"]


def test_a_hung_store_is_down_by_the_age_of_what_waits(
    database: Database,
    tmp_path: Path,
) -> None:
    if database.proxy is None:
        pytest.skip("a hung server needs a network store")
    engine = make_engine(database.url)
    upgrade(engine)
    writer = StoreWriter(engine, journal=tmp_path / "journal.jsonl", stale_after_s=2.0)

    async def go() -> tuple[bool, bool, int, bool]:
        stop = asyncio.Event()
        task = asyncio.create_task(writer.run(stop, interval_s=0.5))
        writer.emit([record("core-1", time.time())])
        await asyncio.sleep(1.5)
        healthy_before = writer.healthy()
        assert database.proxy is not None
        database.proxy.flowing.clear()  # the server stops answering; connections stay open
        writer.emit([StateChange("core-1", time.time(), State.UP, State.DOWN, "core-1", "x")])
        await asyncio.sleep(4)
        hung = writer.healthy()
        journalled = len((tmp_path / "journal.jsonl").read_text().splitlines())
        database.proxy.flowing.set()
        await asyncio.sleep(3)
        stop.set()
        await task
        return healthy_before, hung, journalled, writer.healthy()

    before, hung, journalled, after = asyncio.run(go())
    assert before and not hung and after
    assert journalled >= 1
    with Session(engine) as session:
        assert session.scalars(select(StateChangeRow.new)).all() == ["down"]


def test_a_journal_that_cannot_be_written_is_said_once_and_the_writer_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The store away and the journal's folder not a folder (a full or read-only disk fails
    the same way): the events wait in memory, the writer's loop goes on, the journal is said
    to be unwritable once, and written as soon as it can be."""
    blocked = tmp_path / "var"
    blocked.write_text("a file where the journal's folder should be")
    journal = blocked / "journal.jsonl"
    away = make_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'noc.db'}")
    writer = StoreWriter(away, journal=journal, stale_after_s=0.0)
    writer.emit([record("core-1", time.time())])

    async def go() -> None:
        stop = asyncio.Event()
        loop = asyncio.create_task(writer.run(stop, interval_s=0.05))
        await asyncio.sleep(0.5)  # several flushes fail, each followed by a try of the journal
        assert not loop.done(), loop
        blocked.unlink()  # the folder can be made now
        for _ in range(100):
            if journal.exists():
                break
            await asyncio.sleep(0.05)
        stop.set()
        await loop

    asyncio.run(go())
    said = [r.getMessage() for r in caplog.records if "journal" in r.getMessage()]
    assert len([m for m in said if "cannot be written" in m]) == 1, said
    assert any("written again" in m for m in said), said
    assert writer.pending == 1 and len(journal.read_text().splitlines()) == 1
