"""SLA arithmetic, with expected values computed by hand (October 2026 in Asia/Jakarta)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from noc.sla.compute import (
    Change,
    LinkUsage,
    availability,
    combine,
    link_usage,
    month,
    percentile,
)

JKT = ZoneInfo("Asia/Jakarta")
OCT = month(2026, 10)
DAYS_31 = 31 * 86400  # 2,678,400 s
H = 3600.0


def t(day: int, hour: float = 0, month_: int = 10) -> float:
    """Local (WIB) time in 2026 as epoch seconds."""
    whole = int(hour)
    return datetime(2026, month_, day, whole, round((hour - whole) * 60), tzinfo=JKT).timestamp()


def test_october_is_taken_in_jakarta_time() -> None:
    assert OCT.seconds == DAYS_31
    assert (
        datetime.fromtimestamp(OCT.start, ZoneInfo("UTC")).isoformat()
        == "2026-09-30T17:00:00+00:00"
    )


UP_ALL_ALONG = [Change(t(1, 0, 9), "up")]

CASES = [
    # name, changes, maintenance, expected (scheduled, downtime, maintenance, unknown, outages)
    ("no outages", UP_ALL_ALONG, [], (DAYS_31, 0, 0, 0, 0)),
    (
        "maintenance overlapping an outage",
        [*UP_ALL_ALONG, Change(t(5, 10), "down"), Change(t(5, 12), "up")],
        [(t(5, 11), t(5, 13))],
        (DAYS_31 - 2 * H, H, 2 * H, 0, 1),
    ),
    (
        "outage crossing the period's start",
        [Change(t(1, 0, 9), "up"), Change(t(30, 23, 9), "down"), Change(t(1, 1), "up")],
        [],
        (DAYS_31, H, 0, 0, 1),
    ),
    (
        "outage crossing the period's end",
        [*UP_ALL_ALONG, Change(t(31, 23.5), "down"), Change(t(1, 0.5, 11), "up")],
        [],
        (DAYS_31, 0.5 * H, 0, 0, 1),
    ),
    (
        "child behind a down parent is not charged",
        [*UP_ALL_ALONG, Change(t(7, 8), "unreachable"), Change(t(7, 10), "up")],
        [],
        (DAYS_31, 0, 0, 0, 0),
    ),
    (
        "unknown time is removed and reported",
        [Change(t(3, 0), "up")],
        [],
        (DAYS_31 - 2 * 86400, 0, 0, 2 * 86400, 0),
    ),
    (
        "a flapping stretch is one outage",
        [
            *UP_ALL_ALONG,
            Change(t(9, 9), "down"),
            Change(t(9, 9 + 1 / 6), "flapping"),
            Change(t(9, 9 + 4 / 6), "up"),
        ],
        [],
        (DAYS_31, 40 * 60, 0, 0, 1),
    ),
    (
        "two outages",
        [
            *UP_ALL_ALONG,
            Change(t(2, 8), "down"),
            Change(t(2, 9), "up"),
            Change(t(20, 8), "down"),
            Change(t(20, 11), "up"),
        ],
        [],
        (DAYS_31, 4 * H, 0, 0, 2),
    ),
]


@pytest.mark.parametrize(
    ("name", "changes", "windows", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_availability_cases(
    name: str,
    changes: list[Change],
    windows: list[tuple[float, float]],
    expected: tuple[float, float, float, float, int],
) -> None:
    a = availability(changes, windows, OCT, 0.999)
    scheduled, downtime, maintenance, unknown, outages = expected
    assert a.scheduled_s == pytest.approx(scheduled)
    assert a.downtime_s == pytest.approx(downtime)
    assert a.maintenance_s == pytest.approx(maintenance)
    assert a.unknown_s == pytest.approx(unknown)
    assert len(a.outages) == outages
    assert a.availability == pytest.approx((scheduled - downtime) / scheduled)


def test_mttr_mtbf_budget_and_compliance() -> None:
    a = availability(CASES[-1][1], [], OCT, 0.999)  # two outages, 1 h and 3 h
    assert a.mttr_s == pytest.approx(2 * H)
    assert a.mtbf_s == pytest.approx((DAYS_31 - 4 * H) / 2)
    assert a.longest_outage_s == pytest.approx(3 * H)
    assert a.budget_s == pytest.approx(2678.4)  # 0.1% of 31 days
    assert a.budget_left_s == pytest.approx(2678.4 - 4 * H)
    assert a.compliant is False
    quiet = availability(UP_ALL_ALONG, [], OCT, 0.999)
    assert quiet.mttr_s is None and quiet.mtbf_s is None
    assert quiet.compliant is True


def test_unknown_over_one_percent_warns() -> None:
    assert availability([Change(t(3, 0), "up")], [], OCT, 0.99).unknown_warning
    assert not availability([Change(t(1, 6), "up")], [], OCT, 0.99).unknown_warning  # 6 h = 0.8%


def test_group_availability_sums_times() -> None:
    parent = availability(
        [*UP_ALL_ALONG, Change(t(7, 8), "down"), Change(t(7, 10), "up")], [], OCT, 0.995
    )
    child = availability(CASES[4][1], [], OCT, 0.995)
    site = combine([parent, child], 0.995)
    assert site.downtime_s == pytest.approx(2 * H)
    assert site.availability == pytest.approx(1 - 2 * H / (2 * DAYS_31))


def test_95th_percentile_by_nearest_rank() -> None:
    assert percentile([float(v) for v in range(1, 101)]) == 95.0  # ceil(0.95 x 100) = rank 95
    assert percentile([float(v) for v in range(20, 0, -1)]) == 19.0  # rank ceil(19) = 19
    assert percentile([7.0]) == 7.0
    assert percentile([]) is None


def test_link_usage_reports_gaps_and_busy_hours() -> None:
    day = month(2026, 10)
    points = [
        (day.start + i * 300, float(i % 100) * 1e6, 1e6)  # start, in, out
        for i in range(0, 8000)
    ]
    usage: LinkUsage = link_usage(points, day, 40_000_000)
    assert usage.expected_samples == DAYS_31 // 300
    assert usage.samples == 8000
    assert usage.gap_samples == DAYS_31 // 300 - 8000
    assert usage.peak_bps == 99e6
    assert usage.p95_bps == usage.p95_in_bps == 94e6
    # in > 32 Mbps for i % 100 in 33..99: 67 of every 100 buckets
    assert usage.hours_above_80 == pytest.approx(8000 * 0.67 * 300 / 3600)
