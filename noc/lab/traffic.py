"""The simulated network's traffic: a daily office-hours curve and its exact integral.

Rates follow a piecewise-linear curve through hourly points in Asia/Jakarta time (UTC+7, no
daylight saving), so octet counters are the closed-form integral of the rate and move in real
time exactly as the advertised rate says.
"""

from __future__ import annotations

import math

JAKARTA_OFFSET_S = 7 * 3600
DAY_S = 86400
HOUR_S = 3600

# Fraction of an interface's peak rate at each local hour 00:00..23:00 (and back to 00:00).
# Government offices: quiet nights, ramp from 07:00, busy 09-11 and 13-15, lunch dip, home at 16-17.
DAILY_CURVE: tuple[float, ...] = (
    0.08,
    0.06,
    0.05,
    0.05,
    0.05,
    0.06,
    0.10,
    0.30,
    0.75,
    0.95,
    0.98,
    0.97,
    0.80,
    0.95,
    0.98,
    0.96,
    0.70,
    0.40,
    0.22,
    0.18,
    0.15,
    0.12,
    0.10,
    0.09,
)

# Integral of the curve over one hour segment h..h+1, in hour-fractions, and the running sum.
_SEGMENT = tuple((DAILY_CURVE[h] + DAILY_CURVE[(h + 1) % 24]) / 2 for h in range(24))
_CUMULATIVE = tuple(sum(_SEGMENT[:h]) for h in range(25))
DAY_INTEGRAL_S = _CUMULATIVE[24] * HOUR_S


def curve_at(t: float) -> float:
    """The curve's value (0..1) at unix time t."""
    local = (t + JAKARTA_OFFSET_S) % DAY_S
    hour = int(local // HOUR_S)
    frac = (local - hour * HOUR_S) / HOUR_S
    a, b = DAILY_CURVE[hour], DAILY_CURVE[(hour + 1) % 24]
    return a + (b - a) * frac


def curve_integral_to(t: float) -> float:
    """Integral of the curve from the unix epoch (local midnight alignment) to t, in seconds."""
    local = t + JAKARTA_OFFSET_S
    days = math.floor(local / DAY_S)
    within = local - days * DAY_S
    hour = int(within // HOUR_S)
    frac = (within - hour * HOUR_S) / HOUR_S
    a, b = DAILY_CURVE[hour], DAILY_CURVE[(hour + 1) % 24]
    partial = (a + (a + (b - a) * frac)) / 2 * frac
    return days * DAY_INTEGRAL_S + (_CUMULATIVE[hour] + partial) * HOUR_S


def curve_integral(t0: float, t1: float) -> float:
    """Integral of the curve over [t0, t1], in seconds (the area under it)."""
    return curve_integral_to(t1) - curve_integral_to(t0)
