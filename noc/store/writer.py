"""The collector's writer: events are buffered in memory and written in batches.

If the database is down the collector keeps polling; events wait (bounded) and are written when
it returns. Writes are idempotent (primary keys chosen by the collector, rows merged), so a
batch retried after a failure that happened mid-commit cannot duplicate anything.

What waits is also appended to a local journal (`journal`, fsynced every `interval_s`), and a
writer started on the same journal takes it back: a crash while the store is away loses at most
the events of the last interval. The store's health is the age of the oldest unwritten event,
so a store that hangs (rather than refusing) is seen as down too. A row the store refuses
(out of range, too long) is set aside in `<journal>-rejected.jsonl` with the reason; it never
blocks the rows behind it, and the refusal shows as the store being down for that flush.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import operator
import os
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, delete
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from noc import redact
from noc.polling.availability import Incident, State, StateChange
from noc.polling.events import Event, PollRecord
from noc.polling.rollup import Rollup
from noc.store.models import IncidentRow, PollStatRow, RollupRow, StateChangeRow

log = logging.getLogger(__name__)
# The store is away (or hung, or its file gone): keep everything and try again later.
_UNAVAILABLE = (OperationalError, InterfaceError, OSError)


class Fence(Protocol):
    """Decides, inside the writing transaction, which events this writer may still write."""

    def admit(
        self, session: Session, events: Sequence[Event]
    ) -> tuple[list[Event], list[Event]]: ...


STALE_AFTER_S = 30.0  # an event unwritten for this long means the store is not keeping up


@dataclass
class WriterStats:
    written: int = 0
    dropped: int = 0
    failures: int = 0
    rejected: int = 0
    replayed: int = 0
    fenced: int = 0  # events of poll domains another collector holds now: not written
    clock_refused: int = 0  # events dated by a clock off from the store's: not written
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
        journal: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
        stale_after_s: float = STALE_AFTER_S,
        fence: Fence | None = None,
        collector: str | None = None,
    ) -> None:
        self.engine = engine
        self.fence = fence
        # Why this collector's clock is not to be trusted now (None: it is): set by the fleet.
        self.clock_refused: str | None = None
        self.collector = collector
        self.synced_at: float | None = None  # when the last flush that worked began
        self.stale_after_s = stale_after_s
        self.journal = journal
        self.clock = clock
        self._pending_since: float | None = None
        self._journaled = [0, 0]  # leading events of (precious, bulk) already in the journal
        self._journal_failing = False  # the last try to write the journal failed (said once)
        self.rollup_retention_days = rollup_retention_days
        self._pruned_at = 0.0
        # Run once before the first successful write (schema migrations, inventory mirror),
        # so a database that was down when the collector started is prepared when it returns.
        self._prepare_with = prepare
        self._prepare = prepare
        # Precious events (incidents, state changes) get ten times the room of bulky ones.
        self._precious: deque[StateChange | Incident] = deque()
        self._bulk: deque[Rollup | PollRecord] = deque()
        self.max_bulk = max_buffer
        self.max_precious = max_buffer * 10
        self.stats = WriterStats()
        # Running poll totals per device, committed together with the rows that carry them.
        self._totals: dict[str, tuple[int, int, float | None]] = {}
        self.replayed: list[Event] = self._replay()

    @property
    def pending(self) -> int:
        return len(self._precious) + len(self._bulk)

    def healthy(self, now: float | None = None) -> bool:
        """The store keeps up: the last flush worked and nothing has waited too long."""
        now = self.clock() if now is None else now
        waiting = self._pending_since
        return self.stats.db_up and (waiting is None or now - waiting < self.stale_after_s)

    def oldest_pending_s(self, now: float | None = None) -> float:
        now = self.clock() if now is None else now
        return 0.0 if self._pending_since is None else max(0.0, now - self._pending_since)

    def emit(self, events: Sequence[Event]) -> None:
        if events and self._pending_since is None:
            self._pending_since = self.clock()
        for event in events:
            if isinstance(event, StateChange | Incident):
                self._precious.append(event)
                if len(self._precious) > self.max_precious:
                    self._precious.popleft()
                    self._journaled[0] = max(0, self._journaled[0] - 1)
                    self.stats.dropped += 1
            else:
                self._bulk.append(event)
                if len(self._bulk) > self.max_bulk:
                    self._bulk.popleft()
                    self._journaled[1] = max(0, self._journaled[1] - 1)
                    self.stats.dropped += 1

    # --- the local journal ---------------------------------------------------------------

    def _replay(self) -> list[Event]:
        """Take back what a previous writer held in the journal when it stopped."""
        if self.journal is None or not self.journal.exists():
            return []
        events: list[Event] = []
        for line in self.journal.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                events.append(event_from_json(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                continue  # the line a crash cut short
        self.emit(events)
        self._journaled = [len(self._precious), len(self._bulk)]
        self.stats.replayed = len(events)
        if events:
            log.warning("%d events taken back from %s", len(events), self.journal)
        return events

    def journal_pending(self) -> int:
        """Append what waits and is not yet in the journal; fsync. How many were added. A
        journal that cannot be written (disk full, folder not writable) is said once, and the
        events stay in memory: the writer goes on and tries again next time."""
        if self.journal is None:
            return 0
        precious, bulk = list(self._precious), list(self._bulk)
        new = [*precious[self._journaled[0] :], *bulk[self._journaled[1] :]]
        if not new:
            return 0
        try:
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            with self.journal.open("a", encoding="utf-8") as fh:
                fh.write("".join(json.dumps(event_to_json(e)) + "\n" for e in new))
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            if not self._journal_failing:
                log.warning(
                    "journal %s cannot be written (%s); %d events wait in memory only",
                    self.journal,
                    exc.strerror or exc,
                    self.pending,
                )
            self._journal_failing = True
            return 0
        if self._journal_failing:
            log.warning("journal %s written again", self.journal)
            self._journal_failing = False
        self._journaled = [len(precious), len(bulk)]
        return len(new)

    def _journal_done(self) -> None:
        if self.journal is not None and self._journaled != [0, 0]:
            self.journal.unlink(missing_ok=True)
        self._journaled = [0, 0]

    @property
    def prepared(self) -> bool:
        """The store is prepared (migrated, the inventory mirrored) for this run."""
        return self._prepare is None

    def rearm_preparation(self) -> None:
        """Prepare the store again before the next write (it went away, or was replaced)."""
        self._prepare = self._prepare_with

    def prepare_now(self) -> None:
        """Run the pending preparation (migrations, inventory mirror) now; raises if the store
        does not answer (it is tried again then)."""
        if self._prepare is not None:
            self._prepare(self.engine)
            self._prepare = None

    def flush(self) -> bool:
        """Write everything pending in one transaction; keep it all if the database fails."""
        precious, bulk = list(self._precious), list(self._bulk)
        if not precious and not bulk:
            self._pending_since = None
            self.synced_at = self.clock()
            return True
        started = self.clock()
        totals = dict(self._totals)
        events: list[Event] = [*precious, *bulk]
        fenced: list[Event] = []
        refused = 0
        if self.clock_refused is not None:  # dated by a clock the store disagrees with
            for _ in precious:
                self._precious.popleft()
            for _ in bulk:
                self._bulk.popleft()
            self._journal_done()
            self._set_aside(events, "clock", f"dated by a clock off: {self.clock_refused}")
            self._pending_since = None
            self.synced_at = started
            return True
        try:
            if self._prepare is not None:
                self._prepare(self.engine)
                self._prepare = None
            try:
                with Session(self.engine) as session, session.begin():
                    if self.fence is not None:
                        events, fenced = self.fence.admit(session, events)
                    grouped = self._grouped(events, totals)
                    for model, rows in grouped.items():
                        _upsert(session, model, list(rows.values()))
            except _UNAVAILABLE:
                raise
            except (SQLAlchemyError, ValueError, OverflowError, TypeError) as exc:
                refused = self._isolate(self._grouped(events, dict(self._totals)), exc)
        except Exception as exc:
            self._failed(exc)
            return False
        self._totals = totals
        for _ in precious:
            self._precious.popleft()
        for _ in bulk:
            self._bulk.popleft()
        self._journal_done()
        self._set_aside(fenced, "fenced", "of poll domains held by another collector now")
        self._pending_since = started if self.pending else None
        self.synced_at = started
        self.stats.written += len(events) - refused
        self.stats.db_up = refused == 0
        self.stats.last_success = time.time()
        return True

    def _grouped(
        self, events: Sequence[Event], totals: dict[str, tuple[int, int, float | None]]
    ) -> dict[type[Any], dict[tuple[Any, ...], dict[str, Any]]]:
        grouped: dict[type[Any], dict[tuple[Any, ...], dict[str, Any]]] = {}
        for event in events:
            model, row = self._row(event, totals)
            keys = tuple(row[k] for k in _primary_key(model))
            grouped.setdefault(model, {})[keys] = row  # the latest version of a row wins
        return grouped

    def _set_aside(self, fenced: Sequence[Event], kind: str, why: str) -> None:
        """Events never written, kept beside the journal for the record: of poll domains this
        collector no longer holds (their new owner writes that time), or dated by a clock
        the store's disagrees with."""
        if not fenced:
            return
        if kind == "fenced":
            self.stats.fenced += len(fenced)
        else:
            self.stats.clock_refused += len(fenced)
        log.warning("%d events %s: not written", len(fenced), why)
        if self.journal is None:
            return
        path = self.journal.with_name(f"{self.journal.stem}-{kind}.jsonl")
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write("".join(json.dumps(event_to_json(e)) + "\n" for e in fenced))

    def _failed(self, exc: BaseException) -> None:
        self.stats.failures += 1
        self.stats.db_up = False
        self.stats.last_error = redact.first_line(exc)[:200]
        if isinstance(exc, OperationalError):
            self.rearm_preparation()  # e.g. a deleted SQLite file: migrate again
        log.warning("store unavailable, %d events held: %s", self.pending, self.stats.last_error)

    def _isolate(
        self, grouped: dict[type[Any], dict[tuple[Any, ...], dict[str, Any]]], first: Exception
    ) -> int:
        """The batch was refused for its content: write it in halves, and halves of the half
        that fails, down to single rows; set aside what the store will not hold (with the
        reason) and keep everything else. One bad row in n costs about 2 log2(n) tries, not n.
        Returns how many were refused."""
        refused = sum(
            self._write_or_split(model, list(rows.values())) for model, rows in grouped.items()
        )
        self.stats.rejected += refused
        self.stats.last_error = f"{refused} row(s) refused by the store: {redact.first_line(first)}"
        log.error("store refused %d row(s), set aside: %s", refused, self.stats.last_error)
        return refused

    def _write_or_split(self, model: type[Any], rows: list[dict[str, Any]]) -> int:
        try:
            with Session(self.engine) as session, session.begin():
                _upsert(session, model, rows)
            return 0
        except _UNAVAILABLE:
            raise
        except (SQLAlchemyError, ValueError, OverflowError, TypeError) as exc:
            if len(rows) == 1:
                self._reject(model.__tablename__, rows[0], exc)
                return 1
            half = len(rows) // 2
            return self._write_or_split(model, rows[:half]) + self._write_or_split(
                model, rows[half:]
            )

    def _reject(self, table: str, row: dict[str, Any], exc: Exception) -> None:
        if self.journal is None:
            return
        path = self.journal.with_name(self.journal.stem + "-rejected.jsonl")
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(
                json.dumps(
                    {"table": table, "row": row, "reason": redact.first_line(exc)}, default=str
                )
                + "\n"
            )

    def _row(
        self, event: Event, totals: dict[str, tuple[int, int, float | None]]
    ) -> tuple[type[Any], dict[str, Any]]:
        if isinstance(event, StateChange):
            return StateChangeRow, {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{event.entity}|{event.at}|{event.new}")),
                "entity": event.entity,
                "at": event.at,
                "old": event.old.value,
                "new": event.new.value,
                "root_cause": event.root_cause,
                "reason": event.reason,
            }
        if isinstance(event, Incident):
            return IncidentRow, {
                "id": event.id,
                "entity": event.entity,
                "state": event.state.value,
                "root_cause": event.root_cause,
                "reason": event.reason,
                "started": event.started,
                # an incident never ends before it starts, whatever clock dated the end
                "ended": None if event.ended is None else max(event.ended, event.started),
                "affected": ",".join(sorted(event.affected)),
                "flaps": event.flaps,
            }
        if isinstance(event, Rollup):
            return RollupRow, {
                "kind": event.kind,
                "name": event.name,
                "bucket_start": event.bucket_start,
                "in_avg_bps": event.in_avg_bps,
                "in_max_bps": event.in_max_bps,
                "out_avg_bps": event.out_avg_bps,
                "out_max_bps": event.out_max_bps,
                "samples": event.samples,
            }
        polls, failures, last_success = totals.get(event.device, (0, 0, None))
        polls, failures = polls + 1, failures + (0 if event.ok else 1)
        last_success = event.at if event.ok else last_success
        totals[event.device] = (polls, failures, last_success)
        return PollStatRow, {
            "device": event.device,
            "at": event.at,
            "duration_s": event.duration_s,
            "ok": event.ok,
            "reason": event.reason,
            "requests": event.requests,
            "timeouts": event.timeouts,
            "varbinds": event.varbinds,
            "last_success": last_success,
            "polls_total": polls,
            "failures_total": failures,
            "collector": self.collector,
        }

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
        """Flush periodically until `stop`, backing off while the database is down (what
        waits is journalled every `interval_s` all the same). The last flush is the caller's
        (`close`), after the last events of a clean stop are emitted."""
        delay = interval_s
        next_flush = self.clock()
        flushing: asyncio.Future[bool] | None = None
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval_s)
            # A flush that hangs (a store that accepts and never answers) does not stop the
            # journal: what waits is kept on disk all the same.
            if self.pending and not self.healthy():
                await asyncio.to_thread(self.journal_pending)
            if flushing is not None:
                if not flushing.done():
                    continue
                ok = flushing.result()
                flushing = None
                delay = interval_s if ok else min(delay * 2, 30.0)
                next_flush = self.clock() + delay - interval_s
                if not ok:
                    await asyncio.to_thread(self.journal_pending)
                if ok and time.time() - self._pruned_at > 3600:
                    self._pruned_at = time.time()
                    await asyncio.to_thread(self.prune, self._pruned_at, self.rollup_retention_days)
            if stop.is_set() or self.clock() < next_flush:
                continue
            flushing = asyncio.ensure_future(asyncio.to_thread(self.flush))
        if flushing is not None:
            await flushing

    async def close(self, tries: int = 3) -> bool:
        """The last flush of a clean stop: a few tries, then whatever is left goes to the
        journal for the next start."""
        for attempt in range(tries):
            if await asyncio.to_thread(self.flush):
                return True
            await asyncio.sleep(0.5 * (attempt + 1))
        await asyncio.to_thread(self.journal_pending)
        return False


def _upsert(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Insert or update by primary key, in one executemany where the dialect allows."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect not in _PLACEHOLDER:
        for row in rows:
            session.merge(model(**row))
        return
    # The driver's own executemany on a statement written once: SQLAlchemy's per-row bind
    # processing was a third of writing a simulated month, and no column here needs it
    # (strings, numbers and booleans, which sqlite3 and psycopg adapt themselves).
    columns = tuple(rows[0])
    table, keys = model.__table__.name, _primary_key(model)
    params = list(map(operator.itemgetter(*columns), rows))  # every table has 2+ columns
    if dialect == "postgresql" and len(params) >= COPY_ROWS:
        _copy_upsert(session, table, keys, columns, params)
    else:
        session.connection().exec_driver_sql(_upsert_sql(table, keys, columns, dialect), params)


_PLACEHOLDER = {"sqlite": "?", "postgresql": "%s"}
# From this many rows on (a simulated month, a backlog after a long outage), PostgreSQL is
# written through COPY: about a tenth of the CPU of an executemany, on both sides.
COPY_ROWS = 5000


def _copy_upsert(
    session: Session,
    table: str,
    keys: tuple[str, ...],
    columns: tuple[str, ...],
    params: list[tuple[Any, ...]],
) -> None:
    """COPY the rows into a temporary twin of `table`, then merge them in one statement. A
    driver error comes back as SQLAlchemy's, as from any other statement: a refused row is
    refused, not mistaken for a store that went away."""
    import psycopg

    scratch = f"noc_copy_{table}"
    names = ", ".join(columns)
    # Names from the models, values from COPY.
    merge = f"INSERT INTO {table} ({names}) SELECT {names} FROM {scratch} "  # noqa: S608
    merge += _on_conflict(keys, columns)
    statement = ""
    try:
        with session.connection().connection.dbapi_connection.cursor() as cursor:  # type: ignore[union-attr]
            for statement in (
                f"DROP TABLE IF EXISTS {scratch}",
                f"CREATE TEMP TABLE {scratch} (LIKE {table}) ON COMMIT DROP",
            ):
                cursor.execute(statement)
            statement = f"COPY {scratch} ({names}) FROM STDIN"
            with cursor.copy(statement) as copy:
                for row in params:
                    copy.write_row(row)
            statement = merge
            cursor.execute(merge)
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc


_KEYS: dict[str, tuple[str, ...]] = {}


def _primary_key(model: type[Any]) -> tuple[str, ...]:
    keys = _KEYS.get(model.__tablename__)
    if keys is None:
        keys = _KEYS[model.__tablename__] = tuple(c.name for c in model.__table__.primary_key)
    return keys


@functools.cache
def _upsert_sql(table: str, keys: tuple[str, ...], columns: tuple[str, ...], dialect: str) -> str:
    """INSERT ... ON CONFLICT (primary key) DO UPDATE, in the syntax SQLite and PostgreSQL
    share; only the placeholders differ."""
    marks = ", ".join([_PLACEHOLDER[dialect]] * len(columns))
    # Table and column names come from the models; every value is bound by the driver.
    insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "  # noqa: S608
    return insert + _on_conflict(keys, columns)


def _on_conflict(keys: tuple[str, ...], columns: tuple[str, ...]) -> str:
    """The row already there (same primary key) takes the new values."""
    update = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys)
    return f"ON CONFLICT ({', '.join(keys)}) " + (
        f"DO UPDATE SET {update}" if update else "DO NOTHING"
    )


def event_to_json(event: Event) -> dict[str, Any]:
    data = {k: (sorted(v) if isinstance(v, set) else v) for k, v in vars(event).items()}
    return {"type": type(event).__name__, **data}


def event_from_json(data: dict[str, Any]) -> Event:
    kind = data.pop("type")
    if kind == "StateChange":
        return StateChange(
            data["entity"],
            data["at"],
            State(data["old"]),
            State(data["new"]),
            data["root_cause"],
            data["reason"],
        )
    if kind == "Incident":
        data["state"] = State(data["state"])
        data["affected"] = set(data["affected"])
        return Incident(**data)
    if kind == "Rollup":
        return Rollup(**data)
    if kind == "PollRecord":
        return PollRecord(**data)
    raise ValueError(f"unknown event type {kind!r}")
