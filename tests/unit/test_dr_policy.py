"""The failover policy over vantage-point combinations: split brain is never recommended."""

from __future__ import annotations

import pytest

from noc.dr.policy import Vantage, decide
from noc.dr.readiness import CheckResult, Readiness, Status, verdict

NOW = 10_000.0
R, D, N = Readiness.READY, Readiness.DEGRADED, Readiness.NOT_READY


@pytest.mark.parametrize(
    ("collector", "probe", "down_for", "dr", "failover", "because"),
    [
        (False, False, 600, R, True, "fail over"),
        (False, True, 600, R, False, "a partition"),  # the collector is cut off, not the DC
        (True, False, 600, R, False, "a partition"),  # the DR site is cut off
        (True, True, 600, R, False, "seen up"),
        (False, None, 600, R, False, "quorum is 2"),  # the probe is silent: no quorum
        (None, False, 600, R, False, "quorum is 2"),
        (None, None, 600, R, False, "quorum is 2"),
        (False, False, 120, R, False, "hold time is 300"),
        (False, False, None, R, False, "hold time"),
        (False, False, 600, D, False, "DEGRADED"),
        (False, False, 600, N, False, "NOT READY"),
    ],
)
def test_policy_table(
    collector: bool | None,
    probe: bool | None,
    down_for: float | None,
    dr: Readiness,
    failover: bool,
    because: str,
) -> None:
    vantages = [Vantage("collector", collector), Vantage("dr-probe", probe)]
    since = None if down_for is None else NOW - down_for
    decision = decide(vantages, since, NOW, hold_s=300, quorum=2, dr=dr)
    assert decision.failover is failover
    assert any(because in line for line in decision.explanation), decision.explanation


def test_a_partition_never_fails_over_whatever_else_holds() -> None:
    for dr in Readiness:
        for down_for in (0, 299, 301, 86_400):
            for views in ([False, True], [True, False], [False, True, False], [True, False, False]):
                vantages = [Vantage(f"v{i}", v) for i, v in enumerate(views)]
                decision = decide(vantages, NOW - down_for, NOW, 300, 2, dr)
                assert not decision.failover, (dr, down_for, views)


def test_readiness_verdict() -> None:
    ok = CheckResult("service", "website", Status.OK, "HTTP 200")
    warn = CheckResult("vantage", "dr-probe", Status.WARN, "no probe")
    fail = CheckResult("replication_lag_bytes", "siak", Status.FAIL, "replay is paused")
    assert verdict([ok]).readiness is Readiness.READY
    assert verdict([ok, warn]).readiness is Readiness.DEGRADED
    report = verdict([ok, warn, fail])
    assert report.readiness is Readiness.NOT_READY
    assert report.reason == "replication_lag_bytes siak: replay is paused"
