"""Assemble an SLA report for a period from the store and the inventory."""

from __future__ import annotations

import gc
import time
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from noc.flows import store as flow_store
from noc.flows.store import Talker
from noc.inventory import Inventory
from noc.polling.events import service_key
from noc.polling.maintenance import Window, windows_between
from noc.polling.rollup import BUCKET_S
from noc.sla.compute import (
    Availability,
    Change,
    LinkUsage,
    Period,
    Point,
    availability,
    busy_spans,
    combine,
    link_usage,
)
from noc.sla.usage import link_usages
from noc.store import queries
from noc.store.maintenance import list_windows
from noc.store.models import AlertNotificationRow, IncidentRow, RollupRow, StateChangeRow


@dataclass(frozen=True)
class IncidentLine:
    entity: str
    state: str
    root_cause: str
    started: float
    ended: float | None
    affected: int


@dataclass(frozen=True)
class ComplianceLine:
    device: str
    rule: str
    text: str  # what the rule asks, in the rules file's words
    line: int | None  # the offending line (a forbidden one), else None (a required one missing)
    content: str | None
    text_id: str | None = None  # what the rule asks, in Bahasa Indonesia when the file says


@dataclass
class Compliance:
    """The configuration compliance section: the kept configurations as of the report."""

    at: float
    rules: int
    checked: list[str]  # devices whose configuration is kept
    violations: list[ComplianceLine]

    @property
    def complying(self) -> int:
        return len(set(self.checked) - {v.device for v in self.violations})


@dataclass
class Report:
    network: str
    timezone: str
    period: Period
    generated: float
    devices: dict[str, Availability]
    sites: dict[str, Availability]
    tiers: dict[str, Availability]
    whole: Availability
    links: dict[str, LinkUsage]
    uplink: str
    uplink_daily_p95: list[tuple[float, float | None]]
    incidents: list[IncidentLine] = field(default_factory=list)
    # The part of the period that has happened when the report was made: a month still
    # running is counted up to then, a month in the future not at all.
    elapsed: Period | None = None
    # What a manager recognises: each device's and site's title from the inventory.
    titles: dict[str, str] = field(default_factory=dict)
    # Alert notifications sent in the period, by site (from the alert history).
    alerts_by_site: dict[str, int] = field(default_factory=dict)
    # Each link's tier (uplink, backbone, access): the report lists every one that is not
    # access, and says how many access links it leaves out.
    link_tiers: dict[str, str] = field(default_factory=dict)
    # Configuration compliance, when the caller has the backups (None: not shown).
    compliance: Compliance | None = None
    # The e-government services (`service:NAME` entities), each against its own target.
    services: dict[str, Availability] = field(default_factory=dict)
    # Who filled the uplink in its hours above 80%, from the flows: by site and by application
    # (empty when no flows were kept for those hours).
    busy_sites: list[Talker] = field(default_factory=list)
    busy_apps: list[Talker] = field(default_factory=list)
    busy_flow_hours: float = 0.0  # of the hours above 80%, those the flows cover

    @property
    def coverage(self) -> float | None:
        """Share of elapsed device time outside maintenance that has data (not UNKNOWN); None
        when no such time has passed yet."""
        total = self.whole.period_s - self.whole.maintenance_s
        return 1 - self.whole.unknown_s / total if total > 0 else None


def _changes(session: Session, period: Period) -> dict[str, list[Change]]:
    """Changes inside the period, plus each entity's last change before it."""
    out: dict[str, list[Change]] = defaultdict(list)
    before = (
        select(StateChangeRow.entity, func.max(StateChangeRow.at))
        .where(StateChangeRow.at <= period.start)
        .group_by(StateChangeRow.entity)
    )
    for entity, at in session.execute(before):
        row = session.scalars(
            select(StateChangeRow).where(StateChangeRow.entity == entity, StateChangeRow.at == at)
        ).first()
        if row is not None:
            out[entity].append(Change(row.at, row.new))
    inside = select(StateChangeRow).where(
        StateChangeRow.at > period.start, StateChangeRow.at < period.end
    )
    for row in session.scalars(inside):
        out[row.entity].append(Change(row.at, row.new))
    return out


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off: the month's million rollup tuples hold no cycles, and
    collecting while they are made costs a sixth of the report's time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_report(
    engine: Engine, inv: Inventory, period: Period, now: float | None = None
) -> Report:
    with _collector_paused():
        return _build_report(engine, inv, period, now)


def _build_report(engine: Engine, inv: Inventory, period: Period, now: float | None) -> Report:
    now = time.time() if now is None else now
    whole_period = period
    # Only time that has passed is counted: what has not happened yet is neither up nor down.
    period = Period(period.start, min(period.end, max(period.start, now)))
    uplink = inv.uplink
    if uplink is None:
        raise ValueError("the inventory has no ISP link: the report needs the uplink")
    with Session(engine) as session:
        changes = _changes(session, period)
        # The uplink's buckets themselves (its daily p95 and its busy hours need them); every
        # other link's figures are added up by the store (`usage.link_usages`).
        query = (
            select(RollupRow.bucket_start, RollupRow.in_avg_bps, RollupRow.out_avg_bps)
            .where(
                RollupRow.kind == "link",
                RollupRow.name == uplink.name,
                RollupRow.bucket_start >= period.start,
                RollupRow.bucket_start < period.end,
            )
            .order_by(RollupRow.bucket_start)
        )
        uplink_points: list[Point] = [tuple(row) for row in session.execute(query)]  # type: ignore[misc]
        incidents = [
            IncidentLine(
                i.entity,
                i.state,
                i.root_cause,
                i.started,
                i.ended,
                len([a for a in i.affected.split(",") if a]),
            )
            for i in session.scalars(
                select(IncidentRow)
                .where(IncidentRow.started < period.end)
                .where((IncidentRow.ended.is_(None)) | (IncidentRow.ended > period.start))
                .order_by(IncidentRow.started)
            )
        ]
    stored = list_windows(engine, period.start, period.end)
    alerts_by_site = _alerts_by_site(engine, inv, period)
    devices, sites, tiers, whole = availabilities(inv, changes, stored, period)
    links = link_usages(engine, [ln for ln in inv.links if ln.name != uplink.name], period)
    links[uplink.name] = link_usage(uplink_points, period, uplink.capacity_bps)
    links = {ln.name: links[ln.name] for ln in inv.links}  # in the inventory's order
    daily = []
    starts = [p[0] for p in uplink_points]
    day = period.start
    while day < period.end:
        span = Period(day, min(day + 86400, period.end))
        that_day = uplink_points[bisect_left(starts, span.start) : bisect_left(starts, span.end)]
        daily.append((day, link_usage(that_day, span, uplink.capacity_bps).p95_bps))
        day += 86400
    services = {
        svc.name: availability(
            changes.get(service_key(svc.name), []),
            windows_between(inv, svc.runs_on[0], period.start, period.end, stored)
            if svc.runs_on
            else [],
            period,
            svc.target / 100,
        )
        for svc in inv.services
    }
    busy = busy_spans(uplink_points, uplink.capacity_bps)
    busy_sites = flow_store.during(engine, busy, "site") if busy else []
    busy_apps = flow_store.during(engine, busy, "app") if busy_sites else []
    covered = flow_store.minutes_within(engine, busy) if busy_sites else set()
    busy_flow_hours = len({m - m % BUCKET_S for m in covered}) * BUCKET_S / 3600
    return Report(
        network=inv.network.name,
        timezone=inv.network.timezone,
        period=whole_period,
        generated=now,
        devices=devices,
        sites=sites,
        tiers=tiers,
        whole=whole,
        links=links,
        uplink=uplink.name,
        uplink_daily_p95=daily,
        incidents=incidents,
        elapsed=period,
        titles=_titles(inv),
        alerts_by_site=alerts_by_site,
        link_tiers={ln.name: ln.tier.value for ln in inv.links},
        services=services,
        busy_sites=busy_sites,
        busy_apps=busy_apps,
        busy_flow_hours=busy_flow_hours,
    )


Availabilities = tuple[
    dict[str, Availability], dict[str, Availability], dict[str, Availability], Availability
]


def availabilities(
    inv: Inventory,
    changes: dict[str, list[Change]],
    stored: list[Window],
    period: Period,
) -> Availabilities:
    """Every device's availability over the period, and by site, by tier and in all."""
    devices = {
        d.name: availability(
            changes.get(d.name, []),
            windows_between(inv, d.name, period.start, period.end, stored),
            period,
            inv.tiers[d.tier].sla_target,
        )
        for d in inv.devices
    }
    sites: dict[str, list[Availability]] = defaultdict(list)
    tiers: dict[str, list[Availability]] = defaultdict(list)
    for d in inv.devices:
        sites[d.site].append(devices[d.name])
        tiers[d.tier.value].append(devices[d.name])
    strictest = max(p.sla_target for p in inv.tiers.values())
    return (
        devices,
        {s: combine(parts, min(p.target for p in parts)) for s, parts in sites.items()},
        {t: combine(parts, inv.tiers[t].sla_target) for t, parts in tiers.items()},  # type: ignore[index]
        combine(list(devices.values()), strictest),
    )


def read_changes(engine: Engine, period: Period) -> dict[str, list[Change]]:
    with Session(engine) as session:
        return _changes(session, period)


def _alerts_by_site(engine: Engine, inv: Inventory, period: Period) -> dict[str, int]:
    """Firing notifications in the period, counted once per device alert per notification
    sent to the history receiver, by the device's site."""
    from sqlalchemy.exc import SQLAlchemyError

    counts: dict[str, int] = defaultdict(int)
    try:
        with Session(engine) as session:
            rows = session.scalars(
                select(AlertNotificationRow).where(
                    AlertNotificationRow.received >= period.start,
                    AlertNotificationRow.received < period.end,
                    AlertNotificationRow.status == "firing",
                )
            )
            for row in rows:
                for alert in queries.stored_alerts(row.alerts):
                    device = inv.devices_by_name.get(alert["labels"].get("device", ""))
                    if device is not None and alert.get("status") == "firing":
                        counts[device.site] += 1
    except SQLAlchemyError:  # a store from before alert history: no counts to give
        return {}
    return dict(counts)


def _titles(inv: Inventory) -> dict[str, str]:
    titles = {s.name: s.title for s in inv.sites}
    for d in inv.devices:
        site = inv.sites_by_name.get(d.site)
        if site is not None:
            titles[d.name] = site.title
    for svc in inv.services:  # incidents name a service by its entity
        titles[svc.name] = titles[service_key(svc.name)] = svc.title
    return titles
