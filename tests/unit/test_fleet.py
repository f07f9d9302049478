"""The fleet's pure parts: poll domains, each collector's moves, the snapshot a new owner
starts from, and a live state that judges only what it holds."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from noc.inventory import Inventory, load_inventory
from noc.polling.availability import Health, Incident, State, Verdict
from noc.polling.domains import (
    Moves,
    device_domains,
    entity_domains,
    pick,
    plan,
    restore,
    snapshot,
)
from noc.polling.events import link_key
from noc.polling.livestate import LiveState
from tests.conftest import INVENTORY

BEHIND_05 = {"kel-balumbangjaya", "kel-curug", "kel-margajaya", "kel-pasirmulya"}


@pytest.fixture(scope="session")
def inv() -> Inventory:
    return load_inventory(INVENTORY)


def test_a_bts_and_everything_behind_it_are_one_domain(inv: Inventory) -> None:
    domains = device_domains(inv)
    assert {d for d, dom in domains.items() if dom == "bts-05"} == {"bts-05", *BEHIND_05}
    assert domains["bts-04"] == "bts-01"  # a BTS behind a BTS stays with the one in front
    assert domains["core-1"] == domains["core-2"] == "site:dc-balaikota"
    assert domains["srv-dr-1"] == "site:dr-site"
    assert all(dom.startswith(("bts-", "fo-", "site:")) for dom in domains.values())
    # Every kelurahan sits behind a BTS or fibre point: judged with it.
    kel = [d for d in inv.devices if d.role.value == "kelurahan"]
    assert kel and all(not domains[d.name].startswith("site:") for d in kel)


def test_a_link_goes_with_the_device_that_measures_it(inv: Inventory) -> None:
    domains = entity_domains(inv)
    for ln in inv.links:
        assert domains[link_key(ln)] == domains[ln.a.device]


def test_a_lone_collector_takes_everything() -> None:
    assert plan(0, 148, {"a": 0}) == Moves(148, 0)


def test_free_domains_are_shared_evenly() -> None:
    owned = {"a": 0, "b": 0, "c": 0}
    assert plan(0, 148, owned) == Moves(50, 0)


def test_a_collector_joining_gets_load_gradually() -> None:
    # a holds everything; b has just joined: a gives back a quarter share per round at most.
    moves = plan(148, 148, {"a": 148, "b": 0})
    assert moves == Moves(0, 18)
    held = {"a": 148, "b": 0}
    rounds = 0
    while (move := plan(held["a"], 148, held)).release:
        held["a"] -= move.release
        held["b"] += move.release
        rounds += 1
    assert held == {"a": 74, "b": 74} and rounds == 5


def test_no_release_when_nobody_lacks_load() -> None:
    # c is above its share only by rounding; the others are at theirs: nothing moves.
    assert plan(50, 148, {"a": 49, "b": 49, "c": 50}) == Moves(0, 0)


def test_the_dead_collectors_domains_are_taken_at_once() -> None:
    # c died: 50 devices free; a and b each take up to their new share at once.
    assert plan(49, 148, {"a": 49, "b": 49}) == Moves(25, 0)


def test_pick_does_not_overshoot_unless_someone_must_poll() -> None:
    domains = [("bts-05", 5), ("bts-02", 1), ("fo-01", 4)]
    assert pick(domains, 3) == ["bts-02"]
    assert pick(domains, 3, overshoot=True) == ["bts-05"]
    assert pick(domains, 10) == ["bts-05", "bts-02", "fo-01"]


def test_snapshot_round_trip_and_garbage() -> None:
    health = Health(
        confirmed_up=False,
        fail_streak=3,
        fail_since=100.0,
        flips=[50.0, 90.0],
        reason="timeout",
        last_seen=120.0,
    )
    verdict = Verdict(State.DOWN, "bts-05", "timeout", 100.0)
    text = snapshot({"bts-05": health}, {"bts-05": verdict}, ["bts-05", "kel-curug"])
    healths, verdicts = restore(text)
    assert healths == {"bts-05": health} and verdicts == {"bts-05": verdict}
    assert restore("not json") == ({}, {})
    assert restore('{"bts-05": {"health": {"nonsense": 1}, "verdict": null}}') == ({}, {})


def _fail(live: LiveState, name: str, now: float) -> list[object]:
    return list(live.fold(name, now, None, "timeout"))


def test_a_parent_held_elsewhere_decides_unreachable_here(inv: Inventory) -> None:
    live = LiveState(inv)
    domains = entity_domains(inv)
    mine = {e for e, d in domains.items() if d == "bts-05"}
    live.take(mine, {}, {}, [], {})
    assert live.ancestors_elsewhere() == {"core-1"}
    live.foreign({"core-1": Verdict(State.DOWN, since=10.0)})
    for t in (20.0, 40.0, 60.0):
        _fail(live, "bts-05", t)
    verdict = live.state_of("bts-05")
    assert verdict.state is State.UNREACHABLE and verdict.root_cause == "core-1"
    assert "core-1" not in live.verdicts  # judged by its own collector, never here
    assert not live.book.open  # no incident here for what another collector's root explains
    # core-1 back up (as stored by its collector): bts-05 is its own root cause now.
    live.foreign({"core-1": Verdict(State.UP, since=70.0)})
    _fail(live, "bts-05", 80.0)
    assert live.state_of("bts-05").state is State.DOWN
    assert set(live.book.open) == {"bts-05"}


def test_a_taken_over_outage_goes_on_as_the_same_incident(inv: Inventory) -> None:
    domains = entity_domains(inv)
    mine = {e for e, d in domains.items() if d == "bts-05"}
    # The previous owner saw bts-05 down; its snapshot and open incident come with the lease.
    health = Health(confirmed_up=False, fail_streak=4, fail_since=100.0, last_seen=160.0)
    open_incident = Incident("i-1", "bts-05", State.DOWN, 100.0, "bts-05", "timeout")
    live = LiveState(inv)
    live.take(mine, {"bts-05": health}, {}, [open_incident], {"bts-05": 170.0})
    live.foreign({"core-1": Verdict(State.UP, since=0.0)})
    events = _fail(live, "bts-05", 200.0)
    changes = [e for e in events if hasattr(e, "new")]
    assert [(c.old, c.new) for c in changes if c.entity == "bts-05"] == [  # type: ignore[attr-defined]
        (State.UNKNOWN, State.DOWN)
    ]
    assert live.book.open["bts-05"].id == "i-1"  # adopted, not opened again
    incidents = [e for e in events if isinstance(e, Incident)]
    assert Counter(i.id for i in incidents) <= Counter({"i-1": 1})
    # Handed away: forgotten here, so nothing about it is judged or written any more.
    live.drop(mine)
    assert not live.owns("bts-05") and "bts-05" not in live.book.open
    assert "bts-05" not in live.verdicts


def test_a_worker_that_keeps_dying_is_restarted_later_each_time() -> None:
    from noc.fleet.workers import RESTART_AFTER_S, RESTART_MAX_S, STEADY_S, restart_delay

    delays = [restart_delay(None, 1.0)]
    for _ in range(7):
        delays.append(restart_delay(delays[-1], 1.5))  # dies 1.5 s after each start
    assert delays == [2, 4, 8, 16, 32, 60, 60, 60] and delays[0] == RESTART_AFTER_S
    assert max(delays) == RESTART_MAX_S
    # One that ran a minute had a real run: back to the first delay.
    assert restart_delay(RESTART_MAX_S, STEADY_S) == RESTART_AFTER_S


def test_the_supervisor_says_why_a_worker_ended(tmp_path: Path) -> None:
    import subprocess
    import sys

    from noc.fleet.workers import Worker, ended

    w = Worker("w-0", 9469, tmp_path, {})
    w.log.write_text(
        "metrics: http://127.0.0.1:9469/metrics\nnoc serve cannot run: cannot "
        "serve HTTP on 127.0.0.1:9469 (is the port taken?)\n\n"
    )
    w.proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(1)"])
    w.proc.wait()
    assert ended(w) == (
        "exited (1): noc serve cannot run: cannot serve HTTP on 127.0.0.1:9469 (is the port taken?)"
    )
    w.proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    w.proc.kill()
    w.proc.wait()
    assert ended(w) == "was killed by SIGKILL"


def test_every_key_derived_from_a_name_fits_its_column() -> None:
    """The longest names the inventory and the settings accept, made into the keys the store
    keeps: each within its column (PostgreSQL refuses what is longer)."""
    from noc.inventory.model import MAX_NAME
    from noc.polling.events import link_key
    from noc.store.models import (
        CollectorRow,
        IncidentRow,
        LeaseRow,
        PollStatRow,
        StateChangeRow,
    )

    name = "x" * MAX_NAME

    def width(column: object) -> int:
        length = getattr(getattr(column, "type", None), "length", None)
        assert isinstance(length, int)
        return length

    entity = link_key(name)
    assert len(entity) <= width(StateChangeRow.__table__.c.entity)
    assert len(entity) <= width(IncidentRow.__table__.c.entity)
    assert len(entity) <= width(IncidentRow.__table__.c.root_cause)
    assert len(f"site:{name}") <= width(LeaseRow.__table__.c.domain)
    assert len(name) <= width(LeaseRow.__table__.c.owner)
    assert len(name) <= width(CollectorRow.__table__.c.name)
    assert len(name) <= width(PollStatRow.__table__.c.collector)
