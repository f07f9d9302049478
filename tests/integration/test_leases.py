"""The fleet's leases on a real PostgreSQL: a collector stopped inside a transaction.

A collector renews its leases and writes under a lock on its lease rows. Stopped in the middle
(SIGSTOP, a paused VM, a link cut while the server keeps the connection), it still holds those
locks, and the others' takeover skips locked rows. Its engine asks the server to end a
transaction left idle for half a lease, so its domains are taken once the lease runs out, and
what it then tries to commit is refused."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from noc.collector.domains import plan
from noc.collector.events import PollRecord
from noc.store.db import make_engine, upgrade
from noc.store.leases import LeaseFence, Round, fleet_round
from tests.conftest import pg_database

pytestmark = pytest.mark.integration

LEASE_S = 2.0
DOMAINS = {"bts-01": 2, "bts-02": 3}
ENTITIES = {"bts-01": "bts-01", "kel-a": "bts-01", "bts-02": "bts-02", "kel-b": "bts-02"}


def round_of(engine: Engine, me: str, held: dict[str, int]) -> Round:
    return fleet_round(engine, me, "dc", f"http://{me}", LEASE_S, DOMAINS, held,
                       {}, {}, plan)  # fmt: skip


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
