"""The rate engine: counter deltas to bits/s, with wraps, reboots and discontinuities. Pure.

Time comes from the device's own clock (sysUpTime) where both readings have it, so a slow
response or a late poll does not distort the rate; the collector's clock is the fallback.
An interval we cannot trust yields no rate, never a spike.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

C32 = 1 << 32
C64 = 1 << 64
# A rate this much above the physical speed is impossible, not congestion.
SPEED_TOLERANCE = 1.05


class NoRate(StrEnum):
    FIRST = "first reading"
    REBOOT = "device rebooted"
    DISCONTINUITY = "counter discontinuity"
    WIDTH_CHANGED = "counter width changed"
    RESET = "counter went backwards"
    NO_TIME = "no time elapsed"
    MISSING = "counter missing"
    ABOVE_SPEED = "rate above physical speed (discarded)"


@dataclass(frozen=True)
class CounterPoint:
    """One reading of one counter, with the clocks it was read against."""

    value: int | None
    bits: int  # 32 or 64
    wall_s: float  # collector clock
    uptime_ticks: int | None = None  # device clock, 1/100 s
    discontinuity_ticks: int | None = None


@dataclass(frozen=True)
class Rate:
    bps: float | None
    why_not: NoRate | None = None

    @property
    def discarded(self) -> bool:
        return self.why_not is NoRate.ABOVE_SPEED


def elapsed_s(prev: CounterPoint, cur: CounterPoint) -> tuple[float | None, NoRate | None]:
    """Seconds between two readings, by the device's clock where possible."""
    wall = cur.wall_s - prev.wall_s
    if prev.uptime_ticks is not None and cur.uptime_ticks is not None:
        ticks = cur.uptime_ticks - prev.uptime_ticks
        if ticks < 0:
            # sysUpTime is a 32-bit TimeTicks: it wraps after 497 days without a reboot.
            wrapped = ticks + C32
            if prev.uptime_ticks > C32 - 100 * 3600 and abs(wrapped / 100 - wall) < 60:
                ticks = wrapped
            else:
                return None, NoRate.REBOOT
        seconds = ticks / 100
    else:
        seconds = wall
    if seconds <= 0:
        return None, NoRate.NO_TIME
    return seconds, None


def counter_delta(prev: CounterPoint, cur: CounterPoint) -> tuple[int | None, NoRate | None]:
    if prev.value is None or cur.value is None:
        return None, NoRate.MISSING
    if prev.bits != cur.bits:
        return None, NoRate.WIDTH_CHANGED
    if prev.discontinuity_ticks != cur.discontinuity_ticks:
        return None, NoRate.DISCONTINUITY
    if cur.value >= prev.value:
        return cur.value - prev.value, None
    if cur.bits == 32:
        return cur.value + C32 - prev.value, None  # one wrap of a 32-bit counter
    return None, NoRate.RESET  # a 64-bit counter does not wrap in practice


def counter_rate(prev: CounterPoint | None, cur: CounterPoint, speed_bps: int | None) -> Rate:
    """bits/s between two readings of an octet counter, or why there is none."""
    if prev is None:
        return Rate(None, NoRate.FIRST)
    seconds, why = elapsed_s(prev, cur)
    if seconds is None:
        return Rate(None, why)
    delta, why = counter_delta(prev, cur)
    if delta is None:
        return Rate(None, why)
    bps = delta * 8 / seconds
    if speed_bps and bps > speed_bps * SPEED_TOLERANCE:
        return Rate(None, NoRate.ABOVE_SPEED)
    return Rate(bps)


def per_second(prev: CounterPoint | None, cur: CounterPoint) -> float | None:
    """Events/s of a plain counter (errors, discards, packets), or None."""
    if prev is None:
        return None
    seconds, _ = elapsed_s(prev, cur)
    delta, _ = counter_delta(prev, cur)
    return None if seconds is None or delta is None else delta / seconds


def utilisation(
    bps: float | None, contracted_bps: int | None, speed_bps: int | None
) -> float | None:
    """Share of the contracted capacity in use; the port speed only where there is no contract."""
    capacity = contracted_bps or speed_bps
    if bps is None or not capacity:
        return None
    return bps / capacity
