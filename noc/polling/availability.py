"""Availability: per-entity state with hysteresis, flap detection and parent/child reasoning.
Pure: observations and `now` in, verdicts and incident events out.

Entities are devices and links alike; a link's parent is the device whose counters measure it,
so "the link's device is unreachable" and "the BTS behind which a kelurahan sits is down" are
the same rule: a failing entity under a failing ancestor is UNREACHABLE, charged to the
topmost failing ancestor (the root cause), not DOWN.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum


class State(StrEnum):
    UP = "up"
    DOWN = "down"
    UNREACHABLE = "unreachable"
    UNKNOWN = "unknown"
    MAINTENANCE = "maintenance"
    FLAPPING = "flapping"


PROBLEM = frozenset({State.DOWN, State.FLAPPING})


@dataclass(frozen=True)
class Policy:
    down_after: int = 2  # consecutive failures before DOWN
    up_after: int = 2  # consecutive successes before UP again
    flap_count: int = 4  # this many confirmed transitions ...
    flap_window_s: float = 600.0  # ... within this window is FLAPPING
    # An entity that answers again ends FLAPPING once it has gone this long without a flip.
    flap_quiet_s: float = 300.0


@dataclass
class Health:
    """Hysteresis over raw poll outcomes for one entity."""

    confirmed_up: bool | None = None  # None until the first confirmation
    fail_streak: int = 0
    ok_streak: int = 0
    fail_since: float | None = None
    ok_since: float | None = None
    flips: list[float] = field(default_factory=list)
    reason: str | None = None
    last_seen: float | None = None  # when it was last observed

    @property
    def failing(self) -> bool:
        """Failing now or confirmed down: enough to suspect what sits behind it."""
        return self.fail_streak > 0 or self.confirmed_up is False

    def observe(
        self,
        ok: bool,
        now: float,
        policy: Policy,
        reason: str | None = None,
        witnessed: bool = False,
    ) -> None:
        """One poll's outcome. `witnessed`: the device itself or its neighbour said the same
        (a trap, a syslog line): with the poll agreeing, that is two witnesses, and one poll
        is enough to confirm. Without the poll's agreement a witness changes nothing."""
        if witnessed:
            policy = replace(policy, down_after=1, up_after=1)
        self.last_seen = now
        if ok:
            if self.ok_streak == 0:
                self.ok_since = now
            self.ok_streak += 1
            self.fail_streak = 0
            self.reason = None
            if self.confirmed_up is None or (
                self.confirmed_up is False and self.ok_streak >= policy.up_after
            ):
                if self.confirmed_up is False:
                    self.flips.append(now)
                self.confirmed_up = True
        else:
            if self.fail_streak == 0:
                self.fail_since = now
            self.fail_streak += 1
            self.ok_streak = 0
            self.reason = reason
            if self.confirmed_up is not False and self.fail_streak >= policy.down_after:
                if self.confirmed_up is True:
                    self.flips.append(now)
                self.confirmed_up = False
        if self.flips and now - self.flips[0] > policy.flap_window_s:  # oldest first
            self.flips = [t for t in self.flips if now - t <= policy.flap_window_s]

    def flapping(self, policy: Policy) -> bool:
        if len(self.flips) < policy.flap_count:
            return False
        if self.confirmed_up and self.last_seen is not None:  # answering: quiet long enough?
            return self.last_seen - self.flips[-1] < policy.flap_quiet_s
        return True


@dataclass(frozen=True)
class Verdict:
    state: State
    root_cause: str | None = None
    reason: str | None = None
    since: float | None = None  # when the condition behind this state began


def unseen_ancestors(
    entity: str, healths: Mapping[str, Health], parents: Mapping[str, str | None]
) -> list[str]:
    """Ancestors of a failing `entity` last polled before it began failing: until each has
    answered (or failed) since, the failure may be theirs. Devices are polled each at its own
    moment, so a ward office's timeouts can be confirmed before its BTS's next poll comes round.
    An ancestor never polled here (judged by another collector) is taken as it stands."""
    health = healths.get(entity)
    since = health.fail_since if health is not None else None
    if since is None:
        return []
    out: list[str] = []
    node, seen = parents.get(entity), {entity}
    while node is not None and node not in seen:
        seen.add(node)
        above = healths.get(node)
        if above is not None and above.last_seen is not None and above.last_seen < since:
            out.append(node)
        node = parents.get(node)
    return out


def returned_at(entity: str, verdict: Verdict, healths: Mapping[str, Health]) -> float | None:
    """When the ancestor an UNREACHABLE `entity` sits behind answered again, while the entity
    has not been polled since: its failures were all seen while that ancestor was down, so
    they are not yet its own. None otherwise."""
    if verdict.state is not State.UNREACHABLE or verdict.root_cause is None:
        return None
    root, own = healths.get(verdict.root_cause), healths.get(entity)
    if root is None or root.failing or root.ok_since is None or own is None:
        return None
    if own.last_seen is None or own.last_seen >= root.ok_since:
        return None
    return root.ok_since


def evaluate(
    healths: Mapping[str, Health],
    parents: Mapping[str, str | None],
    in_maintenance: frozenset[str],
    previous: Mapping[str, Verdict],
    policy: Policy | Mapping[str, Policy],
    only: Iterable[str] | None = None,
) -> dict[str, Verdict]:
    """The state of every entity (or of those in `only`), given every entity's health."""

    def policy_of(entity: str) -> Policy:
        return policy if isinstance(policy, Policy) else policy.get(entity, Policy())

    def top_ancestor(entity: str, confirmed_only: bool) -> str | None:
        """The topmost ancestor that is failing (or, with `confirmed_only`, confirmed down)."""
        top, node, seen = None, parents.get(entity), {entity}
        while node is not None and node not in seen:
            seen.add(node)
            health = healths.get(node)
            if health is not None and (
                health.confirmed_up is False if confirmed_only else health.failing
            ):
                top = node
            node = parents.get(node)
        return top

    @functools.cache  # asked once per entity behind the root, the same answer each time
    def held(root: str) -> bool:
        """`root` is confirmed failing, but its own verdict is held (below) until what it sits
        behind has been polled since. What is behind it holds its last state too: nothing
        shows UNREACHABLE behind a root cause that does not show down itself."""
        health = healths[root]
        return (
            health.confirmed_up is False
            and root not in in_maintenance
            and top_ancestor(root, confirmed_only=False) is None
            and bool(unseen_ancestors(root, healths, parents))
        )

    out: dict[str, Verdict] = {}
    for entity in parents if only is None else only:
        health = healths.get(entity)
        pol = policy_of(entity)
        before = previous.get(entity, Verdict(State.UNKNOWN))
        behind = top_ancestor(entity, confirmed_only=True)
        if entity in in_maintenance:
            out[entity] = Verdict(State.MAINTENANCE)
        elif behind is not None and held(behind):
            out[entity] = before
        elif behind is not None:
            # Whatever its own last answer, nothing behind a device that is down can be seen.
            out[entity] = Verdict(
                State.UNREACHABLE, behind, f"{behind} is down", healths[behind].fail_since
            )
        elif health is None or (health.confirmed_up is None and not health.failing):
            out[entity] = Verdict(State.UNKNOWN)
        elif health.failing:
            top = top_ancestor(entity, confirmed_only=False)
            if top is not None and held(top):
                out[entity] = before
            elif top is not None:
                out[entity] = Verdict(
                    State.UNREACHABLE, top, f"{top} is down", healths[top].fail_since
                )
            elif returned_at(entity, before, healths) is not None:
                # What it sat behind is back, and it has not been polled since (the collector
                # polls it at once): its timeouts were that outage's, so it stays UNREACHABLE.
                out[entity] = before
            elif health.fail_streak == 0 and before.state is State.UNREACHABLE:
                # Answering again after what it sat behind came back, its own recovery not yet
                # confirmed: it was never down by itself, so it stays where it was until then.
                out[entity] = before
            elif health.confirmed_up is False and unseen_ancestors(entity, healths, parents):
                # Confirmed failing, but what it sits behind has not been polled since: hold
                # the last state until it has (the collector polls it at once), so a BTS going
                # down is never first reported as its offices going down.
                out[entity] = before
            elif health.confirmed_up is False:
                state = State.FLAPPING if health.flapping(pol) else State.DOWN
                since = health.fail_since
                if before.state in PROBLEM and before.root_cause == entity:
                    since = before.since  # the same outage: dated from its start, as before
                elif before.state is State.UNREACHABLE and before.root_cause is not None:
                    # Still failing once polled after what it sat behind came back: its own
                    # outage, dated from that return, not from the ancestor's.
                    root = healths.get(before.root_cause)
                    back = root.ok_since if root is not None else None
                    if back is not None and (since is None or back > since):
                        since = back
                out[entity] = Verdict(state, entity, health.reason, since)
            elif before.state is State.UNKNOWN and health.confirmed_up is None:
                out[entity] = Verdict(State.UNKNOWN, reason=health.reason)
            else:
                out[entity] = before  # a failure not yet confirmed: hold the last state
        elif health.flapping(pol):
            out[entity] = Verdict(State.FLAPPING, entity, "flapping", before.since)
        elif before.state is State.FLAPPING:
            # Up once quiet long enough: from the poll that found it so, as every view showed
            # it FLAPPING until then (not from its first good answer, which would count the
            # quiet period as UP in the store and as FLAPPING live).
            out[entity] = Verdict(State.UP, since=health.last_seen)
        else:
            out[entity] = Verdict(State.UP, since=health.ok_since)
    return out


@dataclass
class Incident:
    """A problem with a start, an end once over, and its root cause."""

    id: str
    entity: str
    state: State
    started: float
    root_cause: str
    reason: str | None
    ended: float | None = None
    affected: set[str] = field(default_factory=set)
    flaps: int = 0


@dataclass(frozen=True)
class StateChange:
    entity: str
    at: float
    old: State
    new: State
    root_cause: str | None
    reason: str | None


@dataclass
class IncidentBook:
    """Turns successive verdicts into state changes and incidents (one per root cause).

    A problem that returns within `reopen_within_s` of its incident's end reopens that incident
    (counting a flap) instead of opening another: a flapping link is one incident, not K."""

    open: dict[str, Incident] = field(default_factory=dict)
    reopen_within_s: float = 600.0
    recent: dict[str, Incident] = field(default_factory=dict)
    last_change: dict[str, float] = field(default_factory=dict)  # per entity: strictly later

    def update(
        self, previous: Mapping[str, Verdict], current: Mapping[str, Verdict], now: float
    ) -> tuple[list[StateChange], list[Incident]]:
        """State changes, and the incidents opened, changed or closed by this update."""
        changes: list[StateChange] = []
        touched: dict[str, Incident] = {}
        for entity, verdict in current.items():
            old = previous.get(entity, Verdict(State.UNKNOWN)).state
            if verdict.state is not old:
                # Back-dated to when the condition began, but never to or before the entity's
                # previous change: its rows stay strictly ordered.
                at = verdict.since if verdict.since is not None else now
                last = self.last_change.get(entity)
                if last is not None and at <= last:
                    at = now if now > last else last + 0.001
                self.last_change[entity] = at
                changes.append(
                    StateChange(entity, at, old, verdict.state, verdict.root_cause, verdict.reason)
                )
            incident = self.open.get(entity)
            if verdict.state in PROBLEM:
                closed = self.recent.get(entity)
                if (
                    incident is None
                    and closed is not None
                    and closed.ended is not None
                    and (now - closed.ended <= self.reopen_within_s)
                ):
                    incident = self.open[entity] = self.recent.pop(entity)
                    incident.ended = None
                    incident.flaps += 1
                    incident.state = verdict.state
                    touched[entity] = incident
                elif incident is None:
                    incident = Incident(
                        id=str(uuid.uuid4()),
                        entity=entity,
                        state=verdict.state,
                        started=verdict.since if verdict.since is not None else now,
                        root_cause=entity,
                        reason=verdict.reason,
                    )
                    self.open[entity] = incident
                    touched[entity] = incident
                elif incident.state is not verdict.state:
                    incident.state = verdict.state
                    incident.flaps += 1
                    touched[entity] = incident
            elif incident is not None and verdict.state in (State.UP, State.MAINTENANCE):
                incident.ended = verdict.since if verdict.since is not None else now
                if verdict.state is State.MAINTENANCE:
                    incident.ended = now
                # Never before it started (a clock behind the one that opened it).
                incident.ended = max(incident.ended, incident.started)
                del self.open[entity]
                self.recent[entity] = incident
                touched[entity] = incident
        # After every root's incident of this update is open: what sits behind it.
        for entity, verdict in current.items():
            if verdict.state is State.UNREACHABLE and verdict.root_cause in self.open:
                root = self.open[verdict.root_cause]
                if entity not in root.affected:
                    root.affected.add(entity)
                    touched[root.entity] = root
        return changes, list(touched.values())
