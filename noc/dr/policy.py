"""When to recommend failover (pure). Only when the primary is down as seen by a quorum of
vantage points, for longer than the hold time, and the DR site is READY; never when the
vantage points disagree, which is what a partition looks like from inside it."""

from __future__ import annotations

from dataclasses import dataclass, field

from noc.dr.readiness import Readiness


@dataclass(frozen=True)
class Vantage:
    name: str
    sees_primary: bool | None  # None: this vantage point did not report


@dataclass(frozen=True)
class Decision:
    failover: bool
    explanation: list[str] = field(default_factory=list)


def decide(
    vantages: list[Vantage],
    primary_down_since: float | None,
    now: float,
    hold_s: float,
    quorum: int,
    dr: Readiness,
) -> Decision:
    why: list[str] = []
    reporting = [v for v in vantages if v.sees_primary is not None]
    silent = [v.name for v in vantages if v.sees_primary is None]
    if silent:
        why.append(f"no report from {', '.join(silent)}")
    if len(reporting) < quorum:
        why.append(f"{len(reporting)} of {len(vantages)} vantage points report; quorum is {quorum}")
        return Decision(False, why)
    down = [v.name for v in reporting if v.sees_primary is False]
    up = [v.name for v in reporting if v.sees_primary]
    if not down:
        why.append(f"the primary is seen up by {', '.join(up)}")
        return Decision(False, why)
    if up:
        why.append(
            f"{', '.join(down)} cannot see the primary but {', '.join(up)} can: "
            "a partition, not a primary failure"
        )
        return Decision(False, why)
    why.append(f"the primary is down as seen by {', '.join(down)} (quorum {quorum})")
    if primary_down_since is None or now - primary_down_since < hold_s:
        held = 0.0 if primary_down_since is None else now - primary_down_since
        why.append(f"down for {held:.0f} s; the hold time is {hold_s:.0f} s")
        return Decision(False, why)
    why.append(f"down for {now - primary_down_since:.0f} s, longer than the {hold_s:.0f} s hold")
    if dr is not Readiness.READY:
        why.append(f"the DR site is {dr.value.replace('_', ' ').upper()}")
        return Decision(False, why)
    why.append("the DR site is READY: fail over")
    return Decision(True, why)
