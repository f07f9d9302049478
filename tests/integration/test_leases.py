"""The fleet's leases on a real PostgreSQL: a collector stopped inside a transaction.

A collector renews its leases and writes under a lock on its lease rows. Stopped in the middle
(SIGSTOP, a paused VM, a link cut while the server keeps the connection), it still holds those
locks, and the others' takeover skips locked rows. Its engine asks the server to end a
transaction left idle for half a lease, so its domains are taken once the lease runs out, and
what it then tries to commit is refused."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from noc.fleet import member as member_module
from noc.inventory import load_inventory
from noc.polling.domains import device_domains, plan
from noc.polling.events import PollRecord
from noc.service import build_service
from noc.settings import Settings
from noc.snmp.fake import FakeSnmpClient
from noc.store.db import make_engine, upgrade
from noc.store.leases import LeaseFence, Round, fleet_round
from noc.store.models import LeaseRow
from tests.conftest import INVENTORY, pg_database
from tests.shared import PG_ADMIN

pytestmark = pytest.mark.integration

LEASE_S = 2.0
DOMAINS = {"bts-01": 2, "bts-02": 3}
ENTITIES = {"bts-01": "bts-01", "kel-a": "bts-01", "bts-02": "bts-02", "kel-b": "bts-02"}


def round_of(engine: Engine, me: str, held: dict[str, int]) -> Round:
    return fleet_round(engine, me, "dc", f"http://{me}", LEASE_S, DOMAINS, held, {}, {}, plan)


def test_a_holder_stopped_inside_a_write_gives_its_domains_up_when_its_lease_ends() -> None:
    with pg_database("noc_leases") as db:
        a = make_engine(db.url, idle_in_transaction_s=LEASE_S / 2)
        b = make_engine(db.url, idle_in_transaction_s=LEASE_S / 2)
        try:
            upgrade(a)
            first = round_of(a, "dc-1", {})
            assert first.held == {"bts-01": 1, "bts-02": 1}
            fence = LeaseFence("dc-1", ENTITIES)
            fence.epochs = dict(first.held)
            # dc-1 begins a write: the fence locks its lease rows, then dc-1 stops.
            stopped = Session(a)
            stopped.begin()
            polls = [PollRecord(d, time.time(), 0.1, True, None, 1, 0, 0, 1) for d in ENTITIES]
            keep, fenced = fence.admit(stopped, polls)
            assert len(keep) == len(polls) and fenced == []
            paused_at = time.monotonic()

            held: dict[str, int] = {}
            while set(held) != set(DOMAINS):
                assert time.monotonic() - paused_at < 60, f"dc-2 holds only {held}"
                held = round_of(b, "dc-2", held).held
                time.sleep(LEASE_S / 4)
            waited = time.monotonic() - paused_at
            # Taken under new epochs, no sooner than the lease allowed.
            assert held == {"bts-01": 2, "bts-02": 2}
            assert waited >= LEASE_S * 0.9, waited
            # dc-1 wakes up and goes on with its write: the server ended that transaction.
            with pytest.raises(DBAPIError):
                stopped.commit()
            stopped.close()
            # Its next round finds the domains lost, and takes nothing back.
            again = round_of(a, "dc-1", dict(first.held))
            assert again.lost == ["bts-01", "bts-02"] and again.held == {}
            print(f"domains taken {waited:.2f} s after their holder stopped mid-write")
        finally:
            a.dispose()
            b.dispose()


def test_a_round_cut_short_by_the_store_never_ends_the_fleet_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Paused inside a read (a VM paused, SIGSTOP), a collector finds its connection ended by
    the server when it wakes. The read fails; the collector's round loop goes on, so it still
    renews its leases, or finds them lost and says so."""
    inv = load_inventory(INVENTORY)
    reads: list[int] = []

    def read_cut_off(engine: Engine, entities: Collection[str] | None = None) -> Any:
        """The server ends this connection between two statements of the read."""
        with Session(engine) as session:
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            with psycopg.connect(**PG_ADMIN, autocommit=True) as admin:  # type: ignore[arg-type]
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            reads.append(pid)
            session.execute(text("SELECT 1"))
        raise AssertionError("the connection was ended: the read cannot get here")

    with pg_database("noc_leases") as db:
        settings = Settings(
            database_url=db.url, collector_name="dc-1", lease_s=LEASE_S, var_dir=tmp_path
        )
        dc = build_service(inv, FakeSnmpClient({}), settings).member
        assert dc is not None
        try:
            dc.writer.prepare_now()
            assert asyncio.run(dc.step()) is not None and dc.held  # alone: it takes them all
            # Another collector takes the domain of the primary site's core, which the DR
            # checks ask about: from now on dc-1 reads its verdicts from the store.
            assert inv.dr is not None
            core = next(d.name for d in inv.devices if d.site == inv.dr.primary_site)
            taken = device_domains(inv)[core]
            with dc.engine.begin() as connection:
                give = (
                    "UPDATE leases SET owner = 'dr-1', epoch = epoch + 1, "
                    "expires = extract(epoch from now()) + 600 WHERE domain = :d"
                )
                connection.execute(text(give), {"d": taken})
            monkeypatch.setattr(member_module, "read_store", read_cut_off)
            # The others' verdicts cannot be read: the round itself still counts.
            kept = set(dc.held) - {taken}
            renewed = asyncio.run(dc.step())
            assert reads, "the round did not read the others' verdicts"
            assert renewed is not None and renewed.lost == [taken] and set(renewed.held) == kept
            # A round that fails outright: the loop says why and goes on with the next.
            failing = [RuntimeError("a bug in one round")]

            def drain(devices: int) -> None:
                if failing:
                    raise failing.pop()

            monkeypatch.setattr(dc, "_drain", drain)

            async def a_few_rounds() -> None:
                stop = asyncio.Event()
                loop = asyncio.create_task(dc.run(stop))
                await asyncio.sleep(LEASE_S * 1.5)  # six rounds
                stop.set()
                await loop

            asyncio.run(a_few_rounds())
            assert not failing and "fleet: round failed; trying again" in caplog.text
            with Session(dc.engine) as session:
                now = float(session.execute(text("SELECT extract(epoch from now())")).scalar_one())
                leases = {r.domain: r for r in session.scalars(select(LeaseRow))}
            for domain in kept:  # still dc-1's, renewed after the failed round
                assert leases[domain].owner == "dc-1" and leases[domain].expires > now, domain
        finally:
            dc.engine.dispose()


def test_every_name_the_check_accepts_makes_keys_the_store_holds(tmp_path: Path) -> None:
    """The data centre's site renamed to the longest name the inventory accepts (64): its poll
    domain is `site:` and that name (69 characters). On PostgreSQL, whose columns hold their
    length, the collector takes it and says it is fine; before, every lease round failed and
    it polled nothing while /healthz said ok."""
    import re

    from noc.exporter.fleet import FleetMetrics
    from noc.inventory.model import MAX_NAME

    long = "dc-" + "x" * (MAX_NAME - 3)
    text_ = re.sub(r"\bdc-balaikota\b(?!-)", long, INVENTORY.read_text())
    path = tmp_path / "inventory.yaml"
    path.write_text(text_)
    inv = load_inventory(path)
    assert f"site:{long}" in device_domains(inv).values()
    with pg_database("noc_names") as db:
        settings = Settings(
            database_url=db.url,
            collector_name="c" * 64,
            lease_s=30.0,
            collector_site="s" * 64,
            var_dir=tmp_path,
        )
        member = build_service(inv, FakeSnmpClient({}), settings).member
        assert member is not None
        try:
            member.writer.prepare_now()
            assert asyncio.run(member.step()) is not None
            assert f"site:{long}" in member.held and member.starved is None
            assert set(member.held) == set(member.domains)
            # Every collector and lease row is what was meant, not cut.
            with Session(member.engine) as session:
                domains = set(session.scalars(select(LeaseRow.domain)))
            assert f"site:{long}" in domains
        finally:
            member.engine.dispose()
    # And a collector whose rounds fail says so: in its metric and its health.
    member.round_error, member.held = "value too long for type character varying(64)", {}
    sample = {m.name: m.samples[0].value for m in FleetMetrics(member).collect()}
    assert sample["noc_fleet_starved"] == 1.0
    assert member.starved is not None and "lease rounds fail" in member.starved
