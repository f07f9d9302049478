"""Availability: hysteresis, UNREACHABLE behind a failed parent, flapping, maintenance."""

from __future__ import annotations

import itertools

from noc.polling.availability import (
    Health,
    IncidentBook,
    Policy,
    State,
    StateChange,
    Verdict,
    evaluate,
    returned_at,
    unseen_ancestors,
)

PARENTS: dict[str, str | None] = {
    "core": None,
    "bts": "core",
    "kel1": "bts",
    "kel2": "bts",
    "link:kel1": "kel1",
}
POLICY = Policy(down_after=2, up_after=2, flap_count=4, flap_window_s=600)


class Net:
    """A tiny network driven poll by poll."""

    def __init__(self) -> None:
        self.healths: dict[str, Health] = {}
        self.verdicts: dict[str, Verdict] = {}
        self.book = IncidentBook()
        self.changes: list[tuple[str, State]] = []
        self.rows: list[StateChange] = []
        self.incidents: dict[str, object] = {}

    def poll(
        self, now: float, results: dict[str, bool], maint: frozenset[str] = frozenset()
    ) -> None:
        for entity, ok in results.items():
            self.healths.setdefault(entity, Health()).observe(
                ok, now, POLICY, None if ok else "timeout"
            )
        current = evaluate(self.healths, PARENTS, maint, self.verdicts, POLICY)
        changes, incidents = self.book.update(self.verdicts, current, now)
        self.verdicts = current
        self.changes += [(c.entity, c.new) for c in changes]
        self.rows += changes
        for incident in incidents:
            self.incidents[incident.id] = incident

    def state(self, entity: str) -> State:
        return self.verdicts[entity].state


ALL_UP = {"core": True, "bts": True, "kel1": True, "kel2": True, "link:kel1": True}


def test_unknown_until_polled_then_up() -> None:
    net = Net()
    net.poll(0, {"core": True})
    assert net.state("core") is State.UP
    assert net.state("bts") is State.UNKNOWN


def test_one_failure_is_not_an_outage() -> None:
    net = Net()
    net.poll(0, ALL_UP)
    net.poll(60, {**ALL_UP, "kel1": False})
    assert net.state("kel1") is State.UP
    net.poll(120, ALL_UP)
    assert not net.incidents


def test_bts_down_makes_children_unreachable_with_one_incident() -> None:
    net = Net()
    net.poll(0, ALL_UP)
    failing = {"core": True, "bts": False, "kel1": False, "kel2": False, "link:kel1": False}
    net.poll(60, failing)
    assert net.state("kel1") is State.UNREACHABLE  # suspected at once, never DOWN
    net.poll(120, failing)
    net.poll(180, failing)
    assert net.state("bts") is State.DOWN
    assert net.state("kel1") is State.UNREACHABLE
    assert net.state("kel2") is State.UNREACHABLE
    assert net.state("link:kel1") is State.UNREACHABLE
    assert net.verdicts["kel1"].root_cause == "bts"
    incidents = list(net.incidents.values())
    assert len(incidents) == 1
    incident = incidents[0]
    assert getattr(incident, "root_cause") == "bts"  # noqa: B009
    assert getattr(incident, "started") == 60  # noqa: B009  (the first failed poll)
    assert getattr(incident, "affected") == {"kel1", "kel2", "link:kel1"}  # noqa: B009
    assert ("kel1", State.DOWN) not in net.changes
    net.poll(240, ALL_UP)
    net.poll(300, ALL_UP)
    assert net.state("bts") is State.UP
    assert getattr(incident, "ended") == 240  # noqa: B009  (the first good poll)


def test_child_down_alone_is_down() -> None:
    net = Net()
    net.poll(0, ALL_UP)
    net.poll(60, {**ALL_UP, "kel2": False})
    net.poll(120, {**ALL_UP, "kel2": False})
    assert net.state("kel2") is State.DOWN
    assert net.verdicts["kel2"].root_cause == "kel2"


def test_flapping_is_one_incident() -> None:
    net = Net()
    net.poll(0, ALL_UP)
    t = 0
    for _ in range(4):  # down twice, up twice, four times over
        for ok in (False, False, True, True):
            t += 30
            net.poll(t, {**ALL_UP, "kel1": ok})
    assert net.state("kel1") is State.FLAPPING
    incidents = [i for i in net.incidents.values() if getattr(i, "entity") == "kel1"]  # noqa: B009
    assert len(incidents) == 1
    assert getattr(incidents[0], "ended") is None  # noqa: B009
    for _ in range(25):  # stable for longer than the window
        t += 30
        net.poll(t, {**ALL_UP, "kel1": True})
    assert net.state("kel1") is State.UP
    assert getattr(incidents[0], "ended") is not None  # noqa: B009


def test_maintenance_suppresses_incidents() -> None:
    net = Net()
    net.poll(0, ALL_UP)
    for t in (60, 120, 180):
        net.poll(t, {**ALL_UP, "kel2": False}, maint=frozenset({"kel2"}))
    assert net.state("kel2") is State.MAINTENANCE
    assert not net.incidents


def test_hysteresis_needs_n_successes_to_come_back() -> None:
    h = Health()
    for t in (0, 60):
        h.observe(False, t, POLICY)
    assert h.confirmed_up is False
    h.observe(True, 120, POLICY)
    assert h.confirmed_up is False
    h.observe(True, 180, POLICY)
    assert h.confirmed_up is True


def test_flapping_ends_after_the_quiet_period_and_rows_are_strictly_ordered() -> None:
    net = Net()
    net.poll(0, ALL_UP)
    t = 0
    at: list[float] = []
    for _ in range(2):  # down twice within ten minutes, answering again after each
        for ok in (False, False, True, True):
            t += 30
            net.poll(t, {**ALL_UP, "kel1": ok})
    assert net.state("kel1") is State.FLAPPING
    last_flip = t
    while net.state("kel1") is State.FLAPPING:
        t += 30
        net.poll(t, {**ALL_UP, "kel1": True})
        assert t < 2000, "FLAPPING never ended"
    assert net.state("kel1") is State.UP
    assert POLICY.flap_quiet_s <= t - last_flip <= POLICY.flap_quiet_s + 30
    incidents = [i for i in net.incidents.values() if getattr(i, "entity") == "kel1"]  # noqa: B009
    assert len(incidents) == 1 and getattr(incidents[0], "ended") is not None  # noqa: B009
    # The book's changes for kel1, with their times: strictly increasing.
    book = IncidentBook()
    healths: dict[str, Health] = {}
    verdicts: dict[str, Verdict] = {}
    t = 0
    for ok in (True, False, False, True, True, False, False, True, True, False, False):
        t += 30
        healths.setdefault("kel1", Health()).observe(ok, t, POLICY, None if ok else "x")
        current = evaluate(healths, {"kel1": None}, frozenset(), verdicts, POLICY)
        changes, _ = book.update(verdicts, current, t)
        verdicts = current
        at += [c.at for c in changes]
    assert len(at) >= 5
    assert all(b > a for a, b in itertools.pairwise(at)), at


def test_a_child_that_answered_all_along_comes_back_after_its_unreachable_row() -> None:
    """The lost `unreachable -> up` row: the child's UP verdict is dated from when its own
    answers began (long before), so its row sorted before the UNREACHABLE one and the store's
    latest state stayed UNREACHABLE. Each row is now dated after the entity's previous one."""
    healths: dict[str, Health] = {}
    verdicts: dict[str, Verdict] = {}
    book = IncidentBook()
    rows = []
    t = 0
    for step in range(12):
        t += 60
        results = {**ALL_UP, "bts": not 3 <= step < 6}  # the child answers all along
        for entity, ok in results.items():
            healths.setdefault(entity, Health()).observe(ok, t, POLICY, None if ok else "x")
        current = evaluate(healths, PARENTS, frozenset(), verdicts, POLICY)
        changes, _ = book.update(verdicts, current, t)
        verdicts = current
        rows += [c for c in changes if c.entity == "kel1"]
    assert [(c.old, c.new) for c in rows] == [
        (State.UNKNOWN, State.UP),
        (State.UP, State.UNREACHABLE),
        (State.UNREACHABLE, State.UP),
    ]
    assert rows[0].at < rows[1].at < rows[2].at
    latest = max(rows, key=lambda c: c.at)
    assert latest.new is State.UP is verdicts["kel1"].state


def test_what_was_behind_a_parent_that_came_back_first_is_never_down() -> None:
    """Polled one by one, the parent's recovery is confirmed before the child's: the child,
    answering again but not yet confirmed, stays UNREACHABLE until it is, never DOWN."""
    net = Net()
    net.poll(0, ALL_UP)
    failing = {"core": True, "bts": False, "kel1": False, "kel2": False, "link:kel1": False}
    for t in (60, 120, 180):
        net.poll(t, failing)
    assert net.state("kel1") is State.UNREACHABLE
    net.poll(240, ALL_UP)  # every one answers once: nothing confirmed yet
    net.poll(300, {"bts": True})  # the parent's second answer lands first: bts is UP
    assert net.state("bts") is State.UP
    assert net.state("kel1") is State.UNREACHABLE  # one answer of its own: held
    net.poll(310, {"kel1": True, "kel2": True, "link:kel1": True})
    assert net.state("kel1") is State.UP
    assert ("kel1", State.DOWN) not in net.changes
    assert {i.entity for i in net.incidents.values()} == {"bts"}  # type: ignore[attr-defined]


def test_offices_failing_before_their_bts_is_polled_wait_for_it() -> None:
    """Each device is polled at its own moment: the offices' timeouts can be confirmed before
    their BTS's poll comes round. They hold their state until it has been polled since."""
    net = Net()
    net.poll(0, ALL_UP)
    offices = {"kel1": False, "kel2": False, "link:kel1": False}
    net.poll(30, offices)
    net.poll(40, offices)  # confirmed (down_after 2), the BTS last seen at 0
    assert (net.state("kel1"), net.state("kel2")) == (State.UP, State.UP)
    assert net.verdicts["link:kel1"] == Verdict(State.UNREACHABLE, "kel1", "kel1 is down", 30)
    assert unseen_ancestors("kel1", net.healths, PARENTS) == ["bts", "core"]
    net.poll(45, {"bts": False})  # its first failure: they sit behind it
    assert {e: net.state(e) for e in offices} == dict.fromkeys(offices, State.UNREACHABLE)
    assert net.verdicts["kel1"].root_cause == net.verdicts["kel2"].root_cause == "bts"
    net.poll(60, {"bts": False})  # confirmed; the core, above it, last seen at 0
    assert net.state("bts") is State.UP
    net.poll(62, {"core": True})
    assert net.verdicts["bts"] == Verdict(State.DOWN, "bts", "timeout", 45)
    assert [e for e, s in net.changes if s is State.DOWN] == ["bts"]
    assert [getattr(i, "root_cause") for i in net.incidents.values()] == ["bts"]  # noqa: B009


def test_nothing_is_unreachable_behind_a_bts_that_is_held_until_its_core_is_polled() -> None:
    """A BTS confirmed failing waits for the core above it to be polled before it shows DOWN
    (the failure may be the core's). Meanwhile what sits behind it holds its state too: an
    office UNREACHABLE behind a BTS that still shows up is a picture that never was."""
    net = Net()
    net.poll(0, ALL_UP)
    net.poll(30, {"bts": False})
    net.poll(40, {"bts": False})  # confirmed (down_after 2); the core last seen at 0
    assert unseen_ancestors("bts", net.healths, PARENTS) == ["core"]
    assert {e: net.state(e) for e in ("bts", "kel1", "kel2", "link:kel1")} == dict.fromkeys(
        ("bts", "kel1", "kel2", "link:kel1"), State.UP
    )
    changes = len(net.changes)
    net.poll(45, {"core": True})  # the core answers: the outage is the BTS's, all at once
    assert net.verdicts["bts"] == Verdict(State.DOWN, "bts", "timeout", 30)
    for entity in ("kel1", "kel2", "link:kel1"):
        assert net.verdicts[entity] == Verdict(State.UNREACHABLE, "bts", "bts is down", 30)
    assert sorted(net.changes[changes:]) == [
        ("bts", State.DOWN),
        ("kel1", State.UNREACHABLE),
        ("kel2", State.UNREACHABLE),
        ("link:kel1", State.UNREACHABLE),
    ]


def test_an_office_failing_alone_is_down_once_its_bts_has_answered() -> None:
    net = Net()
    net.poll(0, ALL_UP)
    net.poll(30, {"kel2": False})
    net.poll(40, {"kel2": False})
    assert net.state("kel2") is State.UP  # the BTS and the core not polled since 30
    assert unseen_ancestors("kel2", net.healths, PARENTS) == ["bts", "core"]
    net.poll(50, {"bts": True, "core": True})
    assert net.state("kel2") is State.DOWN
    assert net.verdicts["kel2"].since == 30  # back-dated to its first failed poll
    assert [(e, s) for e, s in net.changes if e == "kel2"] == [
        ("kel2", State.UP),
        ("kel2", State.DOWN),
    ]


def test_offices_behind_a_bts_that_came_back_are_unreachable_until_polled_again() -> None:
    """The BTS's return is confirmed before its offices are polled again: their last timeouts
    were seen while it was down, so they stay UNREACHABLE behind it. Polled again, one that
    answers comes back and one that still times out is down from the BTS's return, not from
    the BTS's outage."""
    net = Net()
    net.poll(0, ALL_UP)
    failing = {"bts": False, "kel1": False, "kel2": False, "link:kel1": False}
    for t in (60, 70, 120, 130):
        net.poll(t, {"core": True, **failing})
    assert net.verdicts["kel1"] == Verdict(State.UNREACHABLE, "bts", "bts is down", 60)
    net.poll(180, {"core": True, "bts": True})
    net.poll(240, {"bts": True})  # confirmed (up_after 2); the offices last seen at 130
    assert net.state("bts") is State.UP
    assert returned_at("kel1", net.verdicts["kel1"], net.healths) == 180
    assert {e: net.state(e) for e in failing if e != "bts"} == dict.fromkeys(
        ("kel1", "kel2", "link:kel1"), State.UNREACHABLE
    )
    net.poll(245, {"kel1": True, "link:kel1": True, "kel2": False})
    assert returned_at("kel1", net.verdicts["kel1"], net.healths) is None
    assert net.state("kel1") is State.UNREACHABLE  # one answer of its own: held, as before
    assert net.verdicts["kel2"] == Verdict(State.DOWN, "kel2", "timeout", 180)
    net.poll(300, {"kel1": True, "link:kel1": True, "kel2": True})
    assert net.state("kel1") is State.UP
    assert net.verdicts["kel2"].since == 180  # the same outage, still dated from its start
    assert [e for e, s in net.changes if s is State.DOWN] == ["bts", "kel2"]


def test_an_incident_adopted_by_a_clock_behind_never_ends_before_it_starts() -> None:
    """An incident opened at t=10,000 by one collector, adopted by another whose clock reads
    an hour earlier: the UP verdict it dates at 6,484 still ends the incident at its start at
    the earliest, never 3,516 s before."""
    from noc.polling.availability import Incident

    book = IncidentBook()
    book.open["bts-01"] = Incident(
        id="i", entity="bts-01", state=State.DOWN, root_cause="bts-01", reason="x", started=10_000.0
    )
    _, closed = book.update(
        {"bts-01": Verdict(State.DOWN)}, {"bts-01": Verdict(State.UP, since=6_484.0)}, 6_484.0
    )
    assert closed and closed[0].ended is not None and closed[0].ended >= closed[0].started


def test_the_store_ends_flapping_when_the_live_view_does() -> None:
    """One fold, one truth: the stored FLAPPING -> UP row is dated by the poll at which the
    live verdict stopped being FLAPPING, not by the first good answer (which counted the quiet
    period as UP in the SLA while the API and the wall showed FLAPPING)."""
    net = Net()
    net.poll(0, ALL_UP)
    t = 0
    for _ in range(3):  # FLAPPING from the fourth flip; a fifth and sixth while FLAPPING
        for ok in (False, False, True, True):
            t += 30
            net.poll(t, {**ALL_UP, "kel1": ok})
    live_until = None
    while live_until is None:
        t += 30
        net.poll(t, {**ALL_UP, "kel1": True})
        if net.state("kel1") is not State.FLAPPING:
            live_until = t
    ended = [r for r in net.rows if r.entity == "kel1" and r.old is State.FLAPPING]
    assert [r.new for r in ended] == [State.UP]
    assert ended[0].at == live_until
