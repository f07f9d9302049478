"""The collector's writer: events are buffered in memory and written in batches.

If the database is down the collector keeps polling; events wait (bounded) and are written when
it returns. Writes are idempotent (primary keys chosen by the collector, rows merged), so a
batch retried after a failure that happened mid-commit cannot duplicate anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from noc import redact
from noc.collector.availability import Incident, StateChange
from noc.collector.engine import Event, PollRecord
from noc.collector.rollup import Rollup
from noc.store.models import IncidentRow, PollStatRow, RollupRow, StateChangeRow

log = logging.getLogger(__name__)


@dataclass
class WriterStats:
    written: int = 0
    dropped: int = 0
    failures: int = 0
    last_error: str | None = None
    last_success: float | None = None
    db_up: bool = True


class StoreWriter:
    """A Sink that persists events; call `flush()` (or run `run()`) to write them."""

    def __init__(
        self,
        engine: Engine,
        max_buffer: int = 50_000,
        prepare: Callable[[Engine], None] | None = None,
        rollup_retention_days: int = 400,
    ) -> None:
        self.engine = engine
        self.rollup_retention_days = rollup_retention_days
        self._pruned_at = 0.0
        # Run once before the first successful write (schema migrations, inventory mirror),
        # so a database that was down when the collector started is prepared when it returns.
        self._prepare = prepare
        # Precious events (incidents, state changes) get ten times the room of bulky ones.
        self._precious: deque[StateChange | Incident] = deque()
        self._bulk: deque[Rollup | PollRecord] = deque()
        self.max_bulk = max_buffer
        self.max_precious = max_buffer * 10
        self.stats = WriterStats()
        # Running poll totals per device, committed together with the rows that carry them.
        self._totals: dict[str, tuple[int, int, float | None]] = {}

    @property
    def pending(self) -> int:
        return len(self._precious) + len(self._bulk)

    def emit(self, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, StateChange | Incident):
                self._precious.append(event)
                if len(self._precious) > self.max_precious:
                    self._precious.popleft()
                    self.stats.dropped += 1
            else:
                self._bulk.append(event)
                if len(self._bulk) > self.max_bulk:
                    self._bulk.popleft()
                    self.stats.dropped += 1

    def flush(self) -> bool:
        """Write everything pending in one transaction; keep it all if the database fails."""
        precious, bulk = list(self._precious), list(self._bulk)
        if not precious and not bulk:
            return True
        totals = dict(self._totals)
        grouped: dict[type[Any], dict[tuple[Any, ...], dict[str, Any]]] = {}
        for event in [*precious, *bulk]:
            model, row = self._row(event, totals)
            keys = tuple(row[c.name] for c in model.__table__.primary_key.columns)
            grouped.setdefault(model, {})[keys] = row  # the latest version of a row wins
        try:
            if self._prepare is not None:
                self._prepare(self.engine)
                self._prepare = None
            with Session(self.engine) as session, session.begin():
                for model, rows in grouped.items():
                    _upsert(session, model, list(rows.values()))
        except (SQLAlchemyError, OSError) as exc:
            self.stats.failures += 1
            self.stats.db_up = False
            self.stats.last_error = redact.first_line(exc)[:200]
            log.warning("database unavailable, %d events held: %s", self.pending,
                        self.stats.last_error)  # fmt: skip
            return False
        self._totals = totals
        for _ in precious:
            self._precious.popleft()
        for _ in bulk:
            self._bulk.popleft()
        self.stats.written += len(precious) + len(bulk)
        self.stats.db_up = True
        self.stats.last_success = time.time()
        return True

    def _row(
        self, event: Event, totals: dict[str, tuple[int, int, float | None]]
    ) -> tuple[type[Any], dict[str, Any]]:
        if isinstance(event, StateChange):
            return StateChangeRow, {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{event.entity}|{event.at}|{event.new}")),
                "entity": event.entity, "at": event.at, "old": event.old.value,
                "new": event.new.value, "root_cause": event.root_cause, "reason": event.reason,
            }  # fmt: skip
        if isinstance(event, Incident):
            return IncidentRow, {
                "id": event.id, "entity": event.entity, "state": event.state.value,
                "root_cause": event.root_cause, "reason": event.reason, "started": event.started,
                "ended": event.ended, "affected": ",".join(sorted(event.affected)),
                "flaps": event.flaps,
            }  # fmt: skip
        if isinstance(event, Rollup):
            return RollupRow, {
                "kind": event.kind, "name": event.name, "bucket_start": event.bucket_start,
                "in_avg_bps": event.in_avg_bps, "in_max_bps": event.in_max_bps,
                "out_avg_bps": event.out_avg_bps, "out_max_bps": event.out_max_bps,
                "samples": event.samples,
            }  # fmt: skip
        polls, failures, last_success = totals.get(event.device, (0, 0, None))
        polls, failures = polls + 1, failures + (0 if event.ok else 1)
        last_success = event.at if event.ok else last_success
        totals[event.device] = (polls, failures, last_success)
        return PollStatRow, {
            "device": event.device, "at": event.at, "duration_s": event.duration_s,
            "ok": event.ok, "reason": event.reason, "requests": event.requests,
            "timeouts": event.timeouts, "varbinds": event.varbinds,
            "last_success": last_success, "polls_total": polls, "failures_total": failures,
        }  # fmt: skip

    def prune(self, now: float, rollup_days: int) -> None:
        """Drop rollups older than the retention period."""
        try:
            with Session(self.engine) as session, session.begin():
                session.execute(
                    delete(RollupRow).where(RollupRow.bucket_start < now - rollup_days * 86400)
                )
        except SQLAlchemyError as exc:
            log.warning("pruning skipped: %s", exc)

    async def run(self, stop: asyncio.Event, interval_s: float = 2.0) -> None:
        """Flush periodically until `stop`, backing off while the database is down; then a
        last flush so a clean shutdown loses nothing that can be written."""
        delay = interval_s
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            ok = await asyncio.to_thread(self.flush)
            delay = interval_s if ok else min(delay * 2, 30.0)
            if ok and time.time() - self._pruned_at > 3600:
                self._pruned_at = time.time()
                await asyncio.to_thread(self.prune, self._pruned_at, self.rollup_retention_days)
        await asyncio.to_thread(self.flush)


def _upsert(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Insert or update by primary key, in one executemany where the dialect allows."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(model)
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(model)
    else:
        for row in rows:
            session.merge(model(**row))
        return
    table = model.__table__
    keys = [c.name for c in table.primary_key.columns]
    changes = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    session.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changes), rows)
