"""A simulated month: the lab's scenarios driven through the collector's own fold
(`LiveState`: hysteresis, parent/child, flaps, maintenance, incidents) for 30-odd days,
without waiting in real time, writing into the store exactly the events the collector would.

What is skipped is only the SNMP round trip: a device's poll succeeds unless a scenario says it
is down, and link rates are the simulated traffic's exact averages over each 5-minute bucket.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from noc.flows.aggregate import Row
from noc.inventory import Inventory, Topology
from noc.inventory.model import Medium, Role
from noc.lab.builder import UPLOAD_SHARE, share
from noc.lab.flowexport import app_shares, site_shares
from noc.lab.traffic import curve_integral
from noc.polling.events import Event, Sink
from noc.polling.livestate import LiveState, entities
from noc.polling.rollup import BUCKET_S, Rollup
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
    inv: Inventory,
    period: Period,
    sink: Sink,
    plan: Plan | None = None,
    progress: Callable[[float], None] | None = None,
) -> Plan:
    plan = plan or plan_month(inv, period)
    failing = outage_schedule(inv, plan)
    traffic = Traffic(inv, plan, period)
    live = LiveState(inv)
    now = period.start
    while now < period.end:
        gap = plan.collector_gap
        if gap is not None and gap[0] <= now < gap[1]:
            if now < gap[0] + STEP_S:  # the collector stopped: UNKNOWN from here on
                sink.emit(live.stop(now))
            now += STEP_S
            continue
        down = {d.name for d in inv.devices if failing(d.name, now)}
        sink.emit(poll_step(live, now, _member_of(down)))
        sink.emit(traffic.rollups(now, down))
        if progress is not None:
            progress((now - period.start) / period.seconds)
        now += STEP_S
    return plan


def busy_flows(inv: Inventory, plan: Plan, period: Period) -> Iterator[list[Row]]:
    """The uplink's flows in its congested hours, an hour at a time in 5-minute rows (what a
    report reads for who filled it), split over the sites and applications as the lab's
    router exports them."""
    uplink = inv.uplink
    if uplink is None:
        return
    sites, apps = site_shares(inv), app_shares()
    down = uplink.capacity_bps * 0.97 * BUCKET_S / 8
    for day in sorted(plan.congested_days):
        for hour in range(8, 16):  # the congested working hours, as Traffic makes them
            start = int(period.start + day * 86400 + hour * 3600)
            rows = []
            for bucket in range(start, start + 3600, BUCKET_S):
                for site, _, site_share in sites:
                    for app, app_share in apps:
                        for direction, total in (("in", down), ("out", down * UPLOAD_SHARE)):
                            octets = int(total * site_share * app_share)
                            rows.append(
                                Row(bucket, site, app, direction, octets, octets // 1200, 5)
                            )
            yield rows


def poll_step(live: LiveState, now: float, failing: Callable[[str, float], bool]) -> list[Event]:
    """Every device polled once at `now`, in inventory order, each folded in as it lands."""
    events: list[Event] = []
    for d in live.inv.devices:
        reason = "no response (timeout)" if failing(d.name, now) else None
        events += live.fold_reachability(d.name, now, reason)
    return events


def _member_of(names: set[str]) -> Callable[[str, float], bool]:
    """`failing` for one step whose failing devices are already known."""
    return lambda name, _at: name in names


def outage_schedule(inv: Inventory, plan: Plan) -> Callable[[str, float], bool]:
    """Whether a device fails to answer at a time: down itself, behind a device that is, or in
    the down half of a flap."""
    topo = Topology.of(inv)
    _, policies = entities(inv)
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

    return failing


class Traffic:
    """Each link's 5-minute averages: its share of the contract along the daily curve, the
    uplink held at 97% in the working hours of the congested days."""

    def __init__(self, inv: Inventory, plan: Plan, period: Period) -> None:
        self.plan, self.period = plan, period
        # (name, device at the measuring end, peak bits/s, whether it is the ISP uplink)
        self.links = [
            (
                ln.name,
                ln.a.device,
                ln.capacity_bps * share(ln),
                ln.capacity_bps,
                ln.medium is Medium.ISP,
            )
            for ln in inv.links
        ]

    def rollups(self, now: float, down: set[str]) -> list[Event]:
        """The rollups of the bucket starting at `now`; none for a link whose device does not
        answer (no counters: a gap, not a zero)."""
        out: list[Event] = []
        day = int((now - self.period.start) // 86400)
        curve = curve_integral(now, now + BUCKET_S) / BUCKET_S  # the same for every link
        local_hour = ((now + 7 * 3600) % 86400) / 3600
        congested = day in self.plan.congested_days and 8 <= local_hour < 16
        for name, device, peak, capacity, isp in self.links:
            if device in down:
                continue
            rate = capacity * 0.97 if isp and congested else peak * curve
            out.append(
                Rollup("link", name, now, rate, rate, rate * UPLOAD_SHARE, rate * UPLOAD_SHARE, 1)
            )
        return out
