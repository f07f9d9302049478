"""The store on SQLite and on the PostgreSQL running on this machine: migrations, writes, and an
outage in the middle of an incident that loses nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select
from sqlalchemy.orm import Session

from noc.inventory import load_inventory
from noc.polling.availability import State
from noc.polling.poller import Poller
from noc.snmp.lean_client import LeanClient
from noc.store.db import (
    MIGRATIONS,
    current_revision,
    head_revision,
    make_engine,
    sync_inventory,
    upgrade,
)
from noc.store.models import Base, IncidentRow, PollStatRow, RollupRow, StateChangeRow
from noc.store.writer import StoreWriter
from tests.conftest import Database, Lab, Loop

pytestmark = pytest.mark.integration


def test_migrations_match_the_models(database: Database) -> None:
    engine = make_engine(database.url)
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    engine.dispose()


# A second process (a CLI command, a collector's restart) on a current store: it is left as it
# is, and Alembic is not even loaded.
_AGAIN = """
import sys
from noc.store.db import current_revision, head_revision, make_engine, upgrade
engine = make_engine(sys.argv[1])
assert current_revision(engine) == head_revision()
upgrade(engine)
print("alembic" in sys.modules)
"""


def test_a_current_store_is_left_alone_and_an_old_one_upgraded(database: Database) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()
    engine = make_engine(database.url)
    assert current_revision(engine) is None  # a new store
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    loads = subprocess.run(
        [sys.executable, "-c", _AGAIN, database.url], capture_output=True, text=True, check=True
    ).stdout
    assert loads.strip() == "False"
    # An older store: taken back to 0008 by the migrations' own downgrades, then upgraded.
    from alembic import command

    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
    assert current_revision(engine) == "0008"
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()


def test_an_outage_mid_incident_loses_nothing(database: Database, lab: Lab, loop: Loop) -> None:
    inv = load_inventory(lab.inventory)
    engine = make_engine(database.url)
    upgrade(engine)
    sync_inventory(engine, inv)
    writer = StoreWriter(engine)

    async def make() -> Poller:
        return Poller(inv, LeanClient(), writer)

    poller = loop.run(make())
    try:
        check_outage(database, lab, loop, poller, writer)
    finally:
        loop.run(poller.client.close())


def check_outage(
    database: Database, lab: Lab, loop: Loop, poller: Poller, writer: StoreWriter
) -> None:
    device = "kel-gudang"
    loop.run(poller.poll_all([device]))
    assert writer.flush()

    database.down()
    lab.scenario(device, "down")
    try:
        for _ in range(3):  # access tier: down after 3 failed polls
            loop.run(poller.poll_all([device]))
        assert poller.state_of(device).state is State.DOWN
        assert not writer.flush()
        assert writer.stats.failures >= 1
        held = writer.pending
        assert held > 0
    finally:
        lab.scenario(device, "down", on=False)
    for _ in range(2):
        loop.run(poller.poll_all([device]))
    assert poller.state_of(device).state is State.UP
    assert not writer.flush()  # still down: everything is held
    assert writer.pending > held

    database.up()
    writer.emit(poller.live.rollups.flush())
    assert writer.flush()
    assert writer.pending == 0
    assert writer.stats.dropped == 0

    with Session(make_engine(database.url)) as session:
        incidents = session.scalars(select(IncidentRow).where(IncidentRow.entity == device)).all()
        assert len(incidents) == 1
        incident = incidents[0]
        assert incident.root_cause == device
        assert incident.ended is not None and incident.ended > incident.started
        states = [
            c.new
            for c in session.scalars(
                select(StateChangeRow)
                .where(StateChangeRow.entity == device)
                .order_by(StateChangeRow.at)
            )
        ]
        assert states == ["up", "down", "up"]
        stats = session.get(PollStatRow, device)
        assert stats is not None and stats.polls_total == 6 and stats.failures_total == 3
        rollups = session.scalars(
            select(RollupRow).where(RollupRow.name == f"{device}/wlan1")
        ).all()
        assert sum(r.samples for r in rollups) >= 1


def test_buffer_is_bounded_and_counts_what_it_drops(database: Database) -> None:
    from noc.polling.poller import PollRecord

    writer = StoreWriter(make_engine(database.url), max_buffer=100)
    writer.emit([PollRecord("x", float(i), 0.1, True, None, 1, 0, 0, 1) for i in range(150)])
    assert writer.pending == 100
    assert writer.stats.dropped == 50
