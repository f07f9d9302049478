from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from noc.lab.traffic import DAY_INTEGRAL_S, curve_at, curve_integral

T0 = 1_795_000_000.0  # late 2026


def test_office_hours_are_busy_and_nights_quiet() -> None:
    # 10:00 and 03:00 in Asia/Jakarta are 03:00 and 20:00 UTC the day before.
    midnight_utc = 1_796_083_200.0  # 2026-12-01T00:00Z
    assert curve_at(midnight_utc + 3 * 3600) > 0.95  # 10:00 WIB
    assert curve_at(midnight_utc - 4 * 3600) < 0.1  # 03:00 WIB


def test_a_day_integrates_to_the_curves_area() -> None:
    assert abs(curve_integral(T0, T0 + 86400) - DAY_INTEGRAL_S) < 1e-6


@given(st.floats(0, 86400 * 3), st.floats(1, 600))
def test_integral_matches_numeric_sum(offset: float, width: float) -> None:
    start = T0 + offset
    steps = 400
    numeric = sum(curve_at(start + (k + 0.5) * width / steps) for k in range(steps)) * width / steps
    assert abs(curve_integral(start, start + width) - numeric) < 1e-3 * width
