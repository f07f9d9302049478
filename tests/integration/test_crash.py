"""`noc serve` killed and restarted, on SQLite and PostgreSQL, against the lab:

- kill -9 with an incident open: after the restart there is one incident for the outage, the
  crash gap is UNKNOWN, and the incident closes when the device answers again;
- kill -9 while the store is away: the DOWN transition and its incident, held for the store,
  come back from the journal and reach the store after the restart;
- SIGTERM with slow polls in flight: every UNKNOWN marker of the clean stop is written."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from noc.store.db import make_engine
from noc.store.models import IncidentRow, StateChangeRow
from noc.store.recovery import CRASH_REASON
from tests.conftest import INVENTORY, LAB_PORT, ROOT, Database, Lab
from tests.ports import free_port
from tests.subset import subset_inventory

pytestmark = pytest.mark.integration

BTS = "bts-05"
BEHIND = {"kel-balumbangjaya", "kel-curug", "kel-margajaya", "kel-pasirmulya"}
KEEP = {"core-1", "bts-01", "bts-02", BTS, *BEHIND}


INTERVAL_S = 2  # every tier: the collector's clock, the test's waits follow from it


class Serve:
    """`noc serve` as a process that can be killed and started again on the same state."""

    def __init__(self, work: Path, url: str, **tiers: float) -> None:
        self.work = work
        self.var = work / "var"
        # One poll to turn DOWN or UP: what these tests follow is the record across a crash,
        # not the hysteresis (the unit tests and the lab tests have that).
        tiers = {"poll_interval_s": INTERVAL_S, "down_after": 1, "up_after": 1, **tiers}
        self.inventory = subset_inventory(
            INVENTORY, work / "inventory.yaml", KEEP, LAB_PORT, **tiers
        )
        self.env = {
            **os.environ,
            "NOC_VAR_DIR": str(self.var),
            "NOC_DATABASE_URL": url,
            "NOC_INVENTORY": str(self.inventory),
            "NOC_HTTP_PORT": str(free_port()),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def start(self) -> None:
        self.runs += 1
        log = (self.work / f"serve-{self.runs}.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "noc", "serve"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)
        self.proc.wait(timeout=60)

    @property
    def journal(self) -> Path:
        return self.var / "pending-events.jsonl"

    def log(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.work.glob("*.log")))


@pytest.fixture
def serve(database: Database, tmp_path: Path, lab: Lab) -> Iterator[Serve]:
    s = Serve(tmp_path, database.url)
    yield s
    if s.proc is not None and s.proc.poll() is None:
        s.kill()
    for device in KEEP:
        for scenario in ("down", "slow"):
            lab.scenario(device, scenario, on=False)


def wait_for(what: str, check: Callable[[], Any], timeout: float = 40.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
        except Exception:  # the store may be away or not prepared yet
            found = None
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def incidents(engine: Engine, entity: str) -> list[IncidentRow]:
    with Session(engine) as session:
        return list(session.scalars(select(IncidentRow).where(IncidentRow.entity == entity)))


def changes(engine: Engine, entity: str) -> list[StateChangeRow]:
    with Session(engine) as session:
        query = select(StateChangeRow).where(StateChangeRow.entity == entity)
        return list(session.scalars(query.order_by(StateChangeRow.at)))


def test_kill_9_with_an_incident_open(serve: Serve, database: Database, lab: Lab) -> None:
    engine = make_engine(database.url)
    serve.start()
    wait_for("bts-05 up", lambda: [c for c in changes(engine, BTS) if c.new == "up"])
    lab.scenario(BTS, "down")
    wait_for("an open incident", lambda: [i for i in incidents(engine, BTS) if i.ended is None])
    wait_for(
        "the offices behind it UNREACHABLE",
        lambda: all(changes(engine, k)[-1].new == "unreachable" for k in BEHIND),
    )
    killed_at = time.time()
    serve.kill()
    time.sleep(3)
    serve.start()

    def down_after_the_gap() -> bool:
        rows = [c.new for c in changes(engine, BTS)]
        return "down" in rows[rows.index("unknown", 1) :] if "unknown" in rows[1:] else False

    wait_for("bts-05 down again after the gap", down_after_the_gap)
    lab.scenario(BTS, "down", on=False)
    wait_for("the incident closed", lambda: all(i.ended for i in incidents(engine, BTS)))
    serve.kill(signal.SIGTERM)

    found = incidents(engine, BTS)
    assert len(found) == 1, [(i.started, i.ended) for i in found]
    assert found[0].ended is not None and found[0].ended > killed_at
    assert set(found[0].affected.split(",")) >= BEHIND
    rows = changes(engine, BTS)
    states = [(c.old, c.new) for c in rows]
    gap = [c for c in rows if c.reason == CRASH_REASON]
    assert len(gap) == 1 and (gap[0].old, gap[0].new) == ("down", "unknown"), states
    assert gap[0].at <= killed_at
    after = rows[rows.index(gap[0]) + 1 :]
    assert [c.new for c in after][:1] == ["down"] and "up" in [c.new for c in after], states
    assert all(b.at > a.at for a, b in itertools.pairwise(rows)), states
    for kel in BEHIND:  # the crash gap is UNKNOWN for what sat behind the BTS too
        assert any(c.reason == CRASH_REASON for c in changes(engine, kel)), kel


def test_kill_9_while_the_store_is_away_loses_nothing_journalled(
    serve: Serve,
    database: Database,
    lab: Lab,
) -> None:
    engine = make_engine(database.url)
    serve.start()
    wait_for("bts-05 up", lambda: [c for c in changes(engine, BTS) if c.new == "up"])
    database.down()
    try:
        lab.scenario(BTS, "down")

        def journalled_down() -> bool:
            lines = serve.journal.read_text().splitlines() if serve.journal.exists() else []
            events = [json.loads(line) for line in lines]
            return any(
                e["type"] == "StateChange" and e["entity"] == BTS and e["new"] == "down"
                for e in events
            ) and any(e["type"] == "Incident" and e["entity"] == BTS for e in events)

        wait_for("the DOWN transition in the journal", journalled_down)
        serve.kill()
    finally:
        database.up()
    serve.start()
    wait_for("the journal written", lambda: not serve.journal.exists(), timeout=60)
    down = [c for c in changes(engine, BTS) if c.new == "down" and c.old == "up"]
    assert len(down) == 1, [(c.old, c.new, c.reason) for c in changes(engine, BTS)]
    wait_for("one incident", lambda: len(incidents(engine, BTS)) == 1)
    serve.kill(signal.SIGTERM)
    assert len(incidents(engine, BTS)) == 1
    assert "taken back" in serve.log()


def test_sigterm_with_slow_polls_in_flight_writes_every_unknown_marker(
    serve: Serve,
    database: Database,
    lab: Lab,
) -> None:
    engine = make_engine(database.url)
    serve.start()
    for kel in BEHIND:
        lab.scenario(kel, "slow", param="1.5")
    wait_for("every entity seen", lambda: all(changes(engine, d) for d in KEEP))
    time.sleep(2)  # polls of the slow offices are in flight now and then
    serve.kill(signal.SIGTERM)
    entities = {c.entity for d in KEEP for c in changes(engine, d)}
    with Session(engine) as session:
        rows = list(session.scalars(select(StateChangeRow).order_by(StateChangeRow.at)))
    last: dict[str, str] = {}
    for row in rows:
        last[row.entity] = row.new
    entities = set(last)
    assert len(entities) >= len(KEEP)
    assert {e: s for e, s in last.items() if s != "unknown"} == {}
    assert "pending" in serve.log() and " 0 pending" in serve.log()
