"""A simulated month: the lab's scenarios driven through the collector's pure pipeline
(hysteresis, parent/child, flaps, maintenance, incidents, rollups) for 30-odd days, without
waiting in real time, writing into the store exactly the events the collector would.

What is skipped is only the SNMP round trip: a device's poll succeeds unless a scenario says it
is down, and link rates are the simulated traffic's exact averages over each 5-minute bucket.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from noc.collector.availability import (
    Health,
    IncidentBook,
    State,
    StateChange,
    Verdict,
    evaluate,
)
from noc.collector.engine import Event, Sink, entities, link_key
from noc.collector.maintenance import in_maintenance
from noc.collector.rollup import BUCKET_S, Rollup
from noc.inventory import Inventory, Topology
from noc.inventory.model import Medium, Role
from noc.lab.builder import UPLOAD_SHARE, share
from noc.lab.traffic import curve_integral
from noc.sla.compute import Period

STEP_S = 300  # one poll per device every 5 minutes of simulated time


@dataclass(frozen=True)
class Outage:
    device: str
    start: float
    end: float
    flapping: bool = False


@dataclass
class Plan:
    """What happens during the month: outages, congested hours, and a collector gap."""

    outages: list[Outage] = field(default_factory=list)
    congested_days: set[int] = field(default_factory=set)
    collector_gap: tuple[float, float] | None = None


def plan_month(inv: Inventory, period: Period, seed: int = 2026) -> Plan:
    rng = random.Random(seed)
    days = int(period.seconds // 86400)
    bts = [d.name for d in inv.devices if d.role is Role.BTS]
    access = [d.name for d in inv.devices if d.role in (Role.KELURAHAN, Role.SKPD)]
    plan = Plan()
    for _ in range(4):  # a BTS down a few hours: everything behind it UNREACHABLE
        day, hour = rng.randrange(days), rng.choice([2, 9, 14, 20])
        start = period.start + day * 86400 + hour * 3600
        plan.outages.append(Outage(rng.choice(bts), start, start + rng.choice([1, 2, 3]) * 3600))
    for _ in range(25):  # ward and agency routers down on their own
        start = period.start + rng.uniform(0, period.seconds - 86400)
        plan.outages.append(Outage(rng.choice(access), start, start + rng.uniform(900, 4 * 3600)))
    start = period.start + rng.randrange(days) * 86400 + 10 * 3600
    plan.outages.append(Outage(rng.choice(access), start, start + 3600, flapping=True))
    plan.congested_days = set(rng.sample(range(days), k=min(6, days)))
    gap = period.start + rng.randrange(1, days) * 86400 + 3 * 3600
    plan.collector_gap = (gap, gap + 3 * 3600)
    return plan


def simulate_month(
    inv: Inventory, period: Period, sink: Sink, plan: Plan | None = None,
    progress: Callable[[float], None] | None = None,
) -> Plan:  # fmt: skip
    plan = plan or plan_month(inv, period)
    topo = Topology.of(inv)
    parents, policies = entities(inv)
    healths: dict[str, Health] = {}
    verdicts: dict[str, Verdict] = {}
    links_of: dict[str, list[str]] = {}
    for ln in inv.links:
        links_of.setdefault(ln.a.device, []).append(link_key(ln))
    book = IncidentBook()
    down_behind: dict[str, list[Outage]] = {}
    for o in plan.outages:
        for name in [o.device, *topo.descendants(o.device)]:
            down_behind.setdefault(name, []).append(o)

    def cycle(device: str) -> tuple[int, int]:
        """Polls down, then up, of a flapping device: each half long enough to be confirmed
        by the tier's hysteresis, so every swing is a real DOWN and a real recovery."""
        policy = policies[device]
        return policy.down_after + 1, policy.up_after

    def failing(name: str, now: float) -> bool:
        for o in down_behind.get(name, []):
            if o.start <= now < o.end:
                if not o.flapping:
                    return True
                down, up = cycle(o.device)
                return int((now - o.start) // STEP_S) % (down + up) < down
        return False

    now = period.start
    while now < period.end:
        events: list[Event] = []
        gap = plan.collector_gap
        if gap is not None and gap[0] <= now < gap[1]:
            if now < gap[0] + STEP_S:  # the collector stopped: UNKNOWN from here on
                events += [
                    StateChange(e, now, v.state, State.UNKNOWN, None, "collector stopped")
                    for e, v in verdicts.items()
                    if v.state is not State.UNKNOWN
                ]
                verdicts = {}
                healths = {}
            sink.emit(events)
            now += STEP_S
            continue
        for d in inv.devices:
            ok = not failing(d.name, now)
            reason = None if ok else "no response (timeout)"
            healths.setdefault(d.name, Health()).observe(ok, now, policies[d.name], reason)
            if ok:
                for key in links_of.get(d.name, []):
                    healths.setdefault(key, Health()).observe(True, now, policies[key])
        current = evaluate(healths, parents, in_maintenance(inv, now), verdicts, policies)
        changes, incidents = book.update(verdicts, current, now)
        verdicts = current
        events += [*changes, *incidents]
        events += _rollups(inv, plan, period, now, failing)
        sink.emit(events)
        if progress is not None:
            progress((now - period.start) / period.seconds)
        now += STEP_S
    return plan


def _rollups(
    inv: Inventory, plan: Plan, period: Period, now: float, failing: Callable[[str, float], bool]
) -> list[Event]:
    out: list[Event] = []
    day = int((now - period.start) // 86400)
    for ln in inv.links:
        if failing(ln.a.device, now):
            continue  # no counters from a device that does not answer: a gap, not a zero
        down = ln.capacity_bps * share(ln) * curve_integral(now, now + BUCKET_S) / BUCKET_S
        if ln.medium is Medium.ISP and day in plan.congested_days:
            local_hour = ((now + 7 * 3600) % 86400) / 3600
            if 8 <= local_hour < 16:
                down = ln.capacity_bps * 0.97
        out.append(Rollup("link", ln.name, now, down, down, down * UPLOAD_SHARE,
                          down * UPLOAD_SHARE, 1))  # fmt: skip
    return out
