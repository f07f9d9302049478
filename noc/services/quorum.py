"""A service's verdict from its vantage points' votes: pure, `now` passed in.

Every vantage point (each collector of the fleet, and each `noc probe` outside the city's
network) checks the service and votes: up, or down with its reason. A vantage point whose own
uplink is down (its canary fails) abstains: what it cannot reach says nothing of the service.
A vote older than three of the service's intervals is not counted. The service is DOWN when a
quorum of the voting vantage points fails it (default: a majority); the reason names the
split, so the NOC reads at once whether the server or the way to it is at fault.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

STALE_INTERVALS = 3


@dataclass(frozen=True)
class Vote:
    vantage: str
    at: float
    ok: bool
    reason: str | None = None  # the first failing check's
    abstain: bool = False  # its own uplink is down
    external: bool = False  # outside the city's network (`noc probe`)


@dataclass(frozen=True)
class Judgement:
    up: bool | None  # None: no vantage point can tell
    reason: str | None
    voters: int
    failing: int
    abstaining: tuple[str, ...]


def _names(votes: Sequence[Vote]) -> str:
    names = sorted(v.vantage for v in votes)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def judge(
    votes: Sequence[Vote], now: float, interval_s: float, quorum: int | None = None
) -> Judgement:
    """The verdict of the fresh votes; `quorum` failing votes make it DOWN (default: more
    than half of those who vote)."""
    fresh = [v for v in votes if now - v.at <= STALE_INTERVALS * interval_s]
    abstaining = tuple(sorted(v.vantage for v in fresh if v.abstain))
    voting = [v for v in fresh if not v.abstain]
    if not voting:
        why = f"no vantage point can see it ({_names(fresh)}: uplink down)" if fresh else None
        return Judgement(None, why or "no vantage point has checked it yet", 0, 0, abstaining)
    failing = [v for v in voting if not v.ok]
    passing = [v for v in voting if v.ok]
    need = quorum if quorum is not None else len(voting) // 2 + 1
    need = max(1, min(need, len(voting)))
    cause = next((v.reason for v in sorted(failing, key=lambda v: v.vantage) if v.reason), None)
    if len(failing) >= need:
        reason = f"down from {_names(failing)}"
        began = min(v.at for v in failing)
        if passing:
            earlier = all(v.at < began for v in passing)
            reason += f"; up from {_names(passing)}" + (" (before that)" if earlier else "")
        if cause:
            reason += f": {cause}"
        kinds = {v.external for v in failing}
        # What passed before the failures began says nothing of where they come from.
        if kinds == {False} and any(v.external and v.at >= began for v in passing):
            reason += " (the outside reaches it: the way from the city's network, not the server)"
        elif kinds == {False, True}:
            reason += " (inside and outside: the server, not the uplink)"
    else:
        reason = None
        if failing:
            reason = f"up by quorum; down from {_names(failing)} only"
            if all(v.external for v in failing):
                reason += " (outside only: the city's uplink, not the server)"
            if cause:
                reason += f": {cause}"
    if abstaining and reason is not None:
        reason += f"; {_names([v for v in fresh if v.abstain])} not voting (uplink down)"
    return Judgement(len(failing) < need, reason, len(voting), len(failing), abstaining)
