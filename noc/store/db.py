"""Database connection, migrations, and the inventory mirror."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, insert, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from noc.inventory import Inventory
from noc.store.models import DeviceRow, InterfaceRow, LinkRow

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str, idle_in_transaction_s: float | None = None) -> Engine:
    """An engine for `url`. With `idle_in_transaction_s`, PostgreSQL ends a session of this
    engine that sits inside a transaction longer than that: a process stopped mid-write (a
    paused VM, SIGSTOP, a cut link) then gives up its row locks, instead of keeping its
    leases from being taken until its connection dies."""
    if url.startswith("sqlite"):
        # A connection per use: cheap for SQLite, safe across the writer's thread, and a file
        # that went away is noticed at once instead of through a stale handle. WAL lets
        # readers (reports, the API) and the writer work at once; a busy writer is waited
        # for, not failed.
        engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA busy_timeout=30000")
            with contextlib.suppress(Exception):  # a read-only file keeps its journal mode
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    # pool_pre_ping: a database that restarted gives fresh connections, not stale errors. A
    # path that goes dead (a cut link drops packets, nothing answers) fails a connection in
    # seconds rather than at the kernel's retransmission limit (about 15 minutes): data left
    # unacknowledged for 10 s, or an idle connection whose keepalives go unanswered, ends it.
    connect: dict[str, Any] = dict(PG_CONNECT)
    if idle_in_transaction_s is not None:
        ms = max(1, round(idle_in_transaction_s * 1000))
        connect["options"] = f"-c idle_in_transaction_session_timeout={ms}"
    return create_engine(url, pool_pre_ping=True, connect_args=connect)


PG_CONNECT = {
    "connect_timeout": 3,
    "tcp_user_timeout": 10_000,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 2,
}


_REVISION = re.compile(r'^revision = "(\w+)"$', re.MULTILINE)
_DOWN_REVISION = re.compile(r'^down_revision = "(\w+)"$', re.MULTILINE)


@functools.cache
def head_revision() -> str:
    """The latest migration's id, read off the scripts: the one no other names as the one
    before it."""
    revisions: set[str] = set()
    before: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        script = path.read_text()
        revisions.update(_REVISION.findall(script))
        before.update(_DOWN_REVISION.findall(script))
    (head,) = revisions - before  # one line of migrations, one head
    return head


def current_revision(engine: Engine) -> str | None:
    """The store's schema revision; None for a store without one yet."""
    with engine.connect() as connection:  # a store that cannot be reached raises here
        try:
            found = connection.execute(text("SELECT version_num FROM alembic_version"))
            return found.scalar()
        except (OperationalError, ProgrammingError):  # no such table: a new store
            return None


def upgrade(engine: Engine) -> None:
    """Bring the schema to the latest revision. Processes starting together (`noc serve` and
    a `noc token create`, say) take turns: the second finds the schema already current.
    A store already at the latest revision (every start but the first) is left as it is
    without loading Alembic, a third of a second of every command's start."""
    if current_revision(engine) == head_revision():
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _migration_lock(engine), engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


_PG_LOCK_KEY = 0x6E6F63  # "noc"


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        lock = Path(database).with_name(Path(database).name + ".migrate-lock")
        with lock.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    elif engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK_KEY})
                connection.commit()
    else:
        yield


def sync_inventory(engine: Engine, inv: Inventory) -> None:
    """Mirror devices, interfaces and links from the inventory (the inventory wins). Collectors
    of a fleet starting together take turns (the migration lock), in bulk inserts."""
    devices = [
        {
            "name": d.name,
            "site": d.site,
            "kind": d.kind.value,
            "role": d.role.value,
            "tier": d.tier.value,
            "address": str(d.address),
            "parent": d.parent,
        }
        for d in inv.devices
    ]
    interfaces = [
        {"device": d.name, "name": i.name, "speed_bps": i.speed_bps, "description": i.description}
        for d in inv.devices
        for i in d.interfaces
    ]
    links = [
        {
            "name": ln.name,
            "medium": ln.medium.value,
            "tier": ln.tier.value,
            "a_device": ln.a.device,
            "a_interface": ln.a.interface,
            "b_device": ln.b.device if ln.b else None,
            "b_interface": ln.b.interface if ln.b else None,
            "capacity_bps": ln.capacity_bps,
        }
        for ln in inv.links
    ]
    with _migration_lock(engine), Session(engine) as session, session.begin():
        for table, rows in ((DeviceRow, devices), (InterfaceRow, interfaces), (LinkRow, links)):
            session.execute(delete(table))
            if rows:
                session.execute(insert(table), rows)
