"""The live state: a pure fold of poll outcomes into interface rates, verdicts, incidents and
rollups, with `now` passed in. The poller (`engine.Collector`) does the SNMP work and feeds it;
the simulated month (`lab/month.py`) feeds it the same way without the network.

`fold(name, now, sample, reason)` takes one poll's outcome (a sample, or the reason there is
none) and returns the events it caused; `stop(now)` is the collector stopping.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from noc.inventory import Inventory
from noc.inventory.model import Link
from noc.polling.availability import (
    PROBLEM,
    Health,
    Incident,
    IncidentBook,
    Policy,
    State,
    StateChange,
    Verdict,
    evaluate,
    returned_at,
    unseen_ancestors,
)
from noc.polling.events import Event, PollRecord, link_key, rollup_entity, service_key
from noc.polling.maintenance import Coverage, Window
from noc.polling.rates import CounterPoint, counter_rate, per_second, utilisation
from noc.polling.rollup import Rollups
from noc.polling.samples import DetailCache, DeviceSample, oper_name
from noc.snmp.client import RequestStats


@dataclass
class InterfaceState:
    """Latest view of one interface: counters, rates and why a rate may be missing."""

    index: int
    name: str
    oper_status: int | None = None
    admin_status: int | None = None
    speed_bps: int | None = None
    contracted_bps: int | None = None
    in_bps: float | None = None
    out_bps: float | None = None
    utilisation: float | None = None
    errors_per_s: float | None = None
    discards_per_s: float | None = None
    no_rate: str | None = None
    in_octets: int | None = None
    out_octets: int | None = None
    points: dict[str, CounterPoint] = field(default_factory=dict)


@dataclass
class DeviceState:
    name: str
    details: DetailCache | None = None
    sample: DeviceSample | None = None
    interfaces: dict[int, InterfaceState] = field(default_factory=dict)
    last_success: float | None = None
    last_error: str | None = None
    last_duration_s: float | None = None
    last_stats: RequestStats = field(default_factory=RequestStats)
    polls: int = 0
    failures: int = 0
    discarded_rates: int = 0

    def interface_named(self, name: str) -> InterfaceState | None:
        return next((i for i in self.interfaces.values() if i.name == name), None)


@dataclass(frozen=True)
class Snapshot:
    """The live state as it stood between two changes, copied under the lock: what every reader
    on another thread (the API, the wall screen) reads, never the live dictionaries."""

    verdicts: dict[str, Verdict]
    since: dict[str, float]  # when each entity's current state began, as stored
    interfaces: dict[str, dict[str, InterfaceState]]  # device -> interface name -> a copy
    sampled_at: dict[str, float]  # device -> when its last sample arrived
    open_incidents: int

    def interface(self, device: str, name: str) -> InterfaceState | None:
        return self.interfaces.get(device, {}).get(name)

    def verdict(self, entity: str) -> Verdict:
        return self.verdicts.get(entity) or Verdict(State.UNKNOWN)


def entities(inv: Inventory) -> tuple[dict[str, str | None], dict[str, Policy]]:
    """Every device and link with what it depends on and its hysteresis policy."""
    parents: dict[str, str | None] = {d.name: d.parent for d in inv.devices}
    parents.update({link_key(ln): ln.a.device for ln in inv.links})
    policies = {
        d.name: Policy(inv.tiers[d.tier].down_after, inv.tiers[d.tier].up_after)
        for d in inv.devices
    }
    # A link is down when its device, answering, says the interface is down: authoritative
    # at once, unlike a lost request. Coming back still takes the tier's `up_after`.
    policies.update({link_key(ln): Policy(1, policies[ln.a.device].up_after) for ln in inv.links})
    # A service stands behind the first device it runs on. Its judgement is already a quorum
    # of vantage points (several witnesses): one is enough either way.
    for svc in inv.services:
        parents[service_key(svc.name)] = svc.runs_on[0] if svc.runs_on else None
        policies[service_key(svc.name)] = Policy(1, 1)
    return parents, policies


class LiveState:
    """Everything the collector knows now, changed only by `fold` and `stop`."""

    def __init__(self, inv: Inventory) -> None:
        self.inv = inv
        self.devices = {d.name: DeviceState(d.name) for d in inv.devices}
        self.healths: dict[str, Health] = {}
        self.parents, self.policies = entities(inv)
        self.verdicts: dict[str, Verdict] = {}
        self._children: dict[str, list[str]] = {}
        for entity, parent in self.parents.items():
            if parent is not None:
                self._children.setdefault(parent, []).append(entity)
        self._dirty: set[str] = set()
        # Confirmed failing, held until what they sit behind is polled again (evaluated again
        # at every poll until then), and the devices whose poll that waits for.
        self._held: set[str] = set()
        self.wanted: set[str] = set()
        self._last_windows: frozenset[str] | None = None
        # Maintenance windows added at run time; the service refreshes them from the store.
        self.stored_windows: list[Window] = []
        self.coverage = Coverage(inv)
        self.book = IncidentBook()
        self.rollups = Rollups()
        self.contracts = {(ln.a.device, ln.a.interface): ln.capacity_bps for ln in inv.links}
        self.links_by_device: dict[str, list[Link]] = {}
        for ln in inv.links:
            self.links_by_device.setdefault(ln.a.device, []).append(ln)
        # The entities this collector judges (in a fleet, those of the poll domains it holds);
        # None: all of them. What another collector judges, as the store has it.
        self.owned: set[str] | None = None
        # What a trap or a syslog line said of an entity (up or not), until when it counts:
        # a poll that agrees confirms at once (`Health.observe`).
        self.claims: dict[str, tuple[bool, float]] = {}
        self.elsewhere: dict[str, Verdict] = {}
        # The state changes on the poll side and is read for /metrics in a worker thread.
        # Whoever changes it there holds `lock` until the events are handed on, and whoever
        # reads it from another thread holds it too, so a reader sees the state between two
        # changes, never in the middle of one (a BTS still up beside the offices it has
        # already made UNREACHABLE).
        self.lock = threading.Lock()

    # --- a fleet: what this collector holds -----------------------------------------------

    def claim(self, entity: str, ok: bool, until: float) -> None:
        """A message said `entity` is up (`ok`) or not; it counts until `until`. Only the
        inventory's entities are claimed, so this holds at most one claim for each."""
        if entity in self.policies:
            self.claims[entity] = (ok, until)

    def owns(self, entity: str) -> bool:
        return self.owned is None or entity in self.owned

    def take(
        self,
        entities: Iterable[str],
        healths: Mapping[str, Health],
        verdicts: Mapping[str, Verdict],
        incidents: Iterable[Incident],
        last_change: Mapping[str, float],
    ) -> None:
        """Start judging `entities`, from where their previous owner left them: hysteresis,
        verdicts, open incidents (adopted, not opened again) and the time of each one's last
        recorded change (the next one comes strictly after)."""
        taken = set(entities)
        self.owned = (self.owned or set()) | taken
        for entity in taken:
            self.healths.pop(entity, None)
            self.verdicts.pop(entity, None)
            self.elsewhere.pop(entity, None)
            if entity in healths:
                self.healths[entity] = copy.deepcopy(healths[entity])
            if entity in verdicts:
                self.verdicts[entity] = verdicts[entity]
            if entity in last_change:
                self.book.last_change[entity] = last_change[entity]
            self._dirty.add(entity)
        self.book.open.update({i.entity: i for i in incidents if i.entity in taken})

    def drop(self, entities: Iterable[str]) -> None:
        """Stop judging `entities` (another collector holds them now): forget what was known,
        open incidents and unfinished rollups included; their new owner carries them on."""
        gone = set(entities)
        if self.owned is None:
            self.owned = set(self.parents)
        self.owned -= gone
        for entity in gone:
            self.healths.pop(entity, None)
            self.verdicts.pop(entity, None)
            self.book.open.pop(entity, None)
            self.book.recent.pop(entity, None)
            if entity in self.devices:
                self.devices[entity] = DeviceState(entity)
        self.rollups.discard(lambda kind, name: rollup_entity(kind, name) in gone)

    def foreign(self, verdicts: Mapping[str, Verdict]) -> None:
        """The stored verdicts of entities another collector judges: what is behind them is
        UNREACHABLE when they are down, as if they were judged here, and `state_of` answers
        for them (the DR checks ask about the whole network)."""
        for entity, verdict in verdicts.items():
            if self.owns(entity):
                continue
            self.elsewhere[entity] = verdict
            down = verdict.state in PROBLEM or verdict.state is State.UNREACHABLE
            health = Health(
                confirmed_up=not down,
                fail_streak=int(down),
                fail_since=verdict.since if down else None,
                reason=verdict.reason,
            )
            old = self.healths.get(entity)
            if old is None or old.confirmed_up != health.confirmed_up:
                self._dirty.update(self._children.get(entity, ()))
            self.healths[entity] = health

    def ancestors_elsewhere(self) -> set[str]:
        """Ancestors of what this collector judges that it does not judge itself."""
        out: set[str] = set()
        for entity in self.owned or ():
            node = self.parents.get(entity)
            while node is not None and node not in out:
                if not self.owns(node):
                    out.add(node)
                node = self.parents.get(node)
        return out

    def fold(
        self,
        name: str,
        now: float,
        sample: DeviceSample | None,
        reason: str | None = None,
        record: PollRecord | None = None,
    ) -> list[Event]:
        """One poll of `name` ended at `now`: with a sample, or with the reason there is none."""
        state = self.devices[name]
        events: list[Event] = []
        if record is not None:
            state.polls += 1
            state.last_duration_s = record.duration_s
            events.append(record)
        if sample is not None:
            events += self._absorb(state, sample)
        return events + self._outcome(state, sample is not None, now, reason)

    def fold_service(self, name: str, now: float, up: bool, reason: str | None) -> list[Event]:
        """A service judged by its vantage points' quorum: up, or down with the reason."""
        self._observe(service_key(name), up, now, reason)
        return self._reevaluate(now)

    def fold_reachability(self, name: str, now: float, reason: str | None) -> list[Event]:
        """A poll outcome known only as answered (`reason` None: its links up) or not, with no
        counters: the simulated month's polls."""
        if reason is None:
            for ln in self.links_by_device.get(name, []):
                self._observe(link_key(ln), True, now, None)
        return self._outcome(self.devices[name], reason is None, now, reason)

    def _outcome(self, state: DeviceState, ok: bool, now: float, reason: str | None) -> list[Event]:
        """The device answered (`ok`) or not: its counters, its health, and every verdict that
        can have changed."""
        if ok:
            state.last_success, state.last_error = now, None
        else:
            state.failures += 1
            state.last_error = reason
        self._observe(state.name, ok, now, reason)
        return self._reevaluate(now)

    def _absorb(self, state: DeviceState, sample: DeviceSample) -> list[Event]:
        events: list[Event] = []
        seen = set()
        for index, counters in sample.counters.items():
            details = sample.details.get(index)
            name = details.name if details else f"ifIndex {index}"
            iface = state.interfaces.get(index)
            if iface is None or iface.name != name:
                iface = state.interfaces[index] = InterfaceState(index, name)
            seen.add(index)
            iface.oper_status = counters.oper_status
            iface.admin_status = counters.admin_status
            iface.speed_bps = details.speed_bps if details else None
            iface.contracted_bps = self.contracts.get((state.name, name))
            iface.in_octets, iface.out_octets = counters.in_octets, counters.out_octets
            rates = {}
            why: list[str] = []
            for direction, value in (("in", counters.in_octets), ("out", counters.out_octets)):
                point = CounterPoint(
                    value,
                    counters.counter_bits,
                    sample.timestamp,
                    sample.uptime_ticks,
                    counters.discontinuity_ticks,
                )
                rate = counter_rate(iface.points.get(direction), point, iface.speed_bps)
                if rate.discarded:
                    state.discarded_rates += 1
                if rate.why_not is not None:
                    why.append(f"{direction}: {rate.why_not.value}")
                rates[direction] = rate.bps
                iface.points[direction] = point
            errors = _sum_or_none(counters.in_errors, counters.out_errors)
            discards = _sum_or_none(counters.in_discards, counters.out_discards)
            for key, value in (("errors", errors), ("discards", discards)):
                point = CounterPoint(
                    value, 32, sample.timestamp, sample.uptime_ticks, counters.discontinuity_ticks
                )
                setattr(iface, f"{key}_per_s", per_second(iface.points.get(key), point))
                iface.points[key] = point
            iface.in_bps, iface.out_bps = rates["in"], rates["out"]
            iface.no_rate = "; ".join(why) or None
            peak = max(iface.in_bps or 0.0, iface.out_bps or 0.0)
            iface.utilisation = (
                utilisation(peak, iface.contracted_bps, iface.speed_bps)
                if iface.in_bps is not None or iface.out_bps is not None
                else None
            )
            if iface.in_bps is not None and iface.out_bps is not None:
                events += self.rollups.add(
                    "interface",
                    f"{state.name}/{name}",
                    sample.timestamp,
                    iface.in_bps,
                    iface.out_bps,
                )
        for index in set(state.interfaces) - seen:
            del state.interfaces[index]  # ifIndex gone (re-numbered after a reboot)
        state.sample = sample
        for ln in self.links_by_device.get(state.name, []):
            iface = state.interface_named(ln.a.interface)
            ok = iface is not None and iface.oper_status == 1
            reason = None if ok else f"{ln.a.interface} is {_oper(iface)} on {state.name}"
            self._observe(link_key(ln), ok, sample.timestamp, reason)
            if iface is not None and iface.in_bps is not None and iface.out_bps is not None:
                events += self.rollups.add(
                    "link", ln.name, sample.timestamp, iface.in_bps, iface.out_bps
                )
        return events

    def _observe(self, entity: str, ok: bool, now: float, reason: str | None) -> None:
        # get, not setdefault(entity, Health()): a default argument is built on every call,
        # and this runs for every device and link of every poll.
        health = self.healths.get(entity)
        if health is None:
            health = self.healths[entity] = Health()
        # Another answer from an entity that is UP and answered last time changes nothing: not
        # its verdict (UP since the same moment), nor what is behind it (it was not failing).
        steady = (
            ok
            and health.confirmed_up is True
            and health.fail_streak == 0
            and entity in self.verdicts
            and self.verdicts[entity].state is State.UP
        )
        policy = self.policies.get(entity)
        claim = self.claims.get(entity)
        witnessed = claim is not None and claim[0] is ok and now <= claim[1]
        health.observe(ok, now, policy if policy is not None else Policy(), reason, witnessed)
        if not steady:
            self._dirty.add(entity)

    def _reevaluate(self, now: float) -> list[Event]:
        """Verdicts of what this poll can have changed: the entities observed, those whose
        maintenance began or ended, and everything behind them (their UNREACHABLE depends on
        it). A verdict depends on nothing else, so this equals evaluating every entity, at a
        cost that does not grow with the network for each poll."""
        windows = self.coverage.at(now, self.stored_windows)
        if self._last_windows is None:
            affected: set[str] | None = None  # the first time: every entity
        else:
            affected = set()
            stack = [*self._dirty, *self._held, *(windows ^ self._last_windows)]
            while stack:
                entity = stack.pop()
                if entity not in affected and entity in self.parents:
                    affected.add(entity)
                    stack.extend(self._children.get(entity, ()))
        self._dirty.clear()
        self._last_windows = windows
        if affected is not None and not affected:
            return []  # nothing observed can change a verdict (most polls of a steady network)
        if self.owned is not None:
            affected = self.owned if affected is None else affected & self.owned
        current = evaluate(
            self.healths, self.parents, windows, self.verdicts, self.policies, affected
        )
        self._hold(current)
        previous = {e: self.verdicts[e] for e in current if e in self.verdicts}
        changes, incidents = self.book.update(previous, current, now)
        self.verdicts.update(current)
        return [*changes, *(copy.deepcopy(i) for i in incidents)]

    def _hold(self, current: Mapping[str, Verdict]) -> None:
        """Note the entities `evaluate` held back (confirmed failing, an ancestor not polled
        since) and the devices to poll soon to settle them."""
        for entity, verdict in current.items():
            health = self.healths.get(entity)
            waiting = (
                unseen_ancestors(entity, self.healths, self.parents)
                if health is not None
                and health.confirmed_up is False
                and verdict.state not in PROBLEM
                and verdict.state is not State.UNREACHABLE
                and verdict.state is not State.MAINTENANCE
                else []
            )
            if waiting:
                self._held.add(entity)
                self.wanted.update(a for a in waiting if a in self.devices)
            elif returned_at(entity, verdict, self.healths) is not None:
                # Behind an ancestor that came back: polled now, not at its turn.
                device = entity if entity in self.devices else self.parents[entity]
                if device is not None:
                    self.wanted.add(device)
            else:
                self._held.discard(entity)

    def take_wanted(self) -> list[str]:
        """Devices to poll now rather than at their turn (see `_hold`); asked once."""
        if not self.wanted:  # (asked after every poll)
            return []
        wanted, self.wanted = sorted(self.wanted), set()
        return wanted

    def stop(self, now: float) -> list[Event]:
        """The collector stops at `now`: the open rollups close and every entity is UNKNOWN
        from now. What it knew is forgotten; open incidents stay in the book."""
        events: list[Event] = list(self.rollups.flush())
        for entity, verdict in self.verdicts.items():
            if verdict.state is not State.UNKNOWN:
                events.append(
                    StateChange(
                        entity, now, verdict.state, State.UNKNOWN, None, "collector stopped"
                    )
                )
        self.verdicts = {}
        self.healths = {}
        self._dirty.clear()
        self._held.clear()
        self.wanted.clear()
        self._last_windows = None
        return events

    def snapshot(self, devices: Iterable[str] | None = None) -> Snapshot:
        """One moment of the live state, taken under `lock`: the verdicts and since-times of
        every entity, and the interfaces of `devices` (all of them when None)."""
        with self.lock:
            verdicts = dict(self.verdicts)
            names = list(self.devices) if devices is None else list(devices)
            interfaces: dict[str, dict[str, InterfaceState]] = {}
            sampled: dict[str, float] = {}
            for name in names:
                dev = self.devices.get(name)
                if dev is None:
                    continue
                interfaces[name] = {i.name: replace(i, points={}) for i in dev.interfaces.values()}
                if dev.sample is not None:
                    sampled[name] = dev.sample.timestamp
            return Snapshot(
                verdicts, dict(self.book.last_change), interfaces, sampled, len(self.book.open)
            )

    def state_of(self, entity: str) -> Verdict:
        """What this collector judges, else (in a fleet) what the store says, else UNKNOWN."""
        found = self.verdicts.get(entity)
        if found is None and not self.owns(entity):
            found = self.elsewhere.get(entity)
        return found or Verdict(State.UNKNOWN)


def _sum_or_none(a: int | None, b: int | None) -> int | None:
    return None if a is None and b is None else (a or 0) + (b or 0)


def _oper(iface: InterfaceState | None) -> str:
    if iface is None:
        return "absent"
    return oper_name(iface.oper_status)
