"""A service's verdict from its vantage points' votes (pure)."""

from __future__ import annotations

from noc.inventory import load_inventory
from noc.polling.availability import State
from noc.polling.livestate import LiveState
from noc.services.quorum import Vote, judge
from tests.conftest import INVENTORY

NOW = 1_800_000_000.0


def test_a_majority_down_is_down_and_names_the_split() -> None:
    votes = [
        Vote("dc-1", NOW - 5, False, "status 503 from lpse.kotabogor.go.id"),
        Vote("dr-1", NOW - 8, False, "status 503 from lpse.kotabogor.go.id"),
        Vote("ext-1", NOW - 3, False, "status 503 from lpse.kotabogor.go.id", external=True),
    ]
    j = judge(votes, NOW, 30)
    assert j.up is False and (j.voters, j.failing) == (3, 3)
    assert j.reason == (
        "down from dc-1, dr-1 and ext-1: status 503 from lpse.kotabogor.go.id"
        " (inside and outside: the server, not the uplink)"
    )


def test_one_vantage_points_cut_uplink_is_no_vote_and_no_outage() -> None:
    votes = [
        Vote("dc-1", NOW - 5, True),
        Vote("dr-1", NOW - 5, False, "connection refused", abstain=True),
        Vote("ext-1", NOW - 5, True, external=True),
    ]
    j = judge(votes, NOW, 30)
    assert j.up is True and j.reason is None and j.abstaining == ("dr-1",)


def test_only_the_outside_failing_blames_the_uplink_and_stays_up() -> None:
    votes = [
        Vote("dc-1", NOW, True),
        Vote("dr-1", NOW, True),
        Vote("ext-1", NOW, False, "no answer within 5 s", external=True),
    ]
    j = judge(votes, NOW, 30)
    assert j.up is True
    assert j.reason == (
        "up by quorum; down from ext-1 only (outside only: the city's uplink, not the server)"
        ": no answer within 5 s"
    )


def test_inside_down_outside_up_points_at_the_way_in() -> None:
    votes = [
        Vote("dc-1", NOW, False, "no answer"),
        Vote("dr-1", NOW, False, "no answer"),
        Vote("ext-1", NOW, True, external=True),
    ]
    j = judge(votes, NOW, 30)
    assert j.up is False and j.reason is not None
    assert j.reason.startswith("down from dc-1 and dr-1; up from ext-1: no answer")
    assert "the way from the city's network" in j.reason


def test_stale_votes_do_not_count_and_none_left_is_unknown() -> None:
    votes = [Vote("dc-1", NOW - 91, False, "refused"), Vote("dr-1", NOW - 10, True)]
    assert judge(votes, NOW, 30).up is True
    assert judge([Vote("dc-1", NOW - 91, False)], NOW, 30).up is None
    cut = judge([Vote("dc-1", NOW, False, abstain=True)], NOW, 30)
    assert cut.up is None and cut.reason == "no vantage point can see it (dc-1: uplink down)"


def test_a_quorum_of_two_in_three() -> None:
    votes = [Vote("a", NOW, False, "x"), Vote("b", NOW, True), Vote("c", NOW, True)]
    assert judge(votes, NOW, 30).up is True
    assert judge(votes, NOW, 30, quorum=1).up is False


def test_an_outside_pass_from_before_the_failures_explains_nothing() -> None:
    votes = [
        Vote("dc-1", NOW - 2, False, "the page lacks 'SIM Kantaya'"),
        Vote("dr-1", NOW - 1, False, "the page lacks 'SIM Kantaya'"),
        Vote("ext-1", NOW - 8, True, external=True),
    ]
    j = judge(votes, NOW, 30)
    assert j.up is False and j.reason == (
        "down from dc-1 and dr-1; up from ext-1 (before that): the page lacks 'SIM Kantaya'"
    )


def test_a_service_behind_its_dead_server_is_unreachable_with_the_server_as_root_cause() -> None:
    """The fold's own rule for services: `service:lpse` stands behind srv-web-1. With the server
    not answering, lpse failing its quorum is UNREACHABLE, its root cause srv-web-1; with the
    server up, the same failure is lpse's own DOWN."""
    inv = load_inventory(INVENTORY)
    live = LiveState(inv)
    for name in ("core-1", "srv-web-1"):
        live.fold_reachability(name, NOW, None)
    live.fold_service("lpse", NOW, False, "down from dc-1 and dr-1")
    assert live.state_of("service:lpse").state is State.DOWN
    assert live.state_of("service:lpse").root_cause == "service:lpse"
    for step in range(1, 4):  # the backbone tier's misses
        live.fold_reachability("srv-web-1", NOW + 60 * step, "timeout")
    live.fold_service("lpse", NOW + 200, False, "down from dc-1 and dr-1")
    verdict = live.state_of("service:lpse")
    assert verdict.state is State.UNREACHABLE and verdict.root_cause == "srv-web-1", verdict
