"""The year's report for the city's annual review: availability by tier and by device,
incidents by month, each link's year from its stored days, and the uplink's monthly 95th
percentile against the contract. It reads the daily rollups (365 rows a link), the 5-minute
ones only for the uplink's monthly percentiles and for days not closed yet.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from noc.inventory import Inventory
from noc.polling.rollup import BUCKET_S
from noc.sla.compute import Availability, Period, Point, link_usage
from noc.sla.daily import Day, days, read_day, read_days, summarise
from noc.sla.i18n import Locale
from noc.sla.render import figures
from noc.sla.report import availabilities, read_changes
from noc.store.maintenance import list_windows
from noc.store.models import IncidentRow, RollupRow


@dataclass(frozen=True)
class LinkYear:
    capacity_bps: int
    samples: int
    avg_in_bps: float | None
    avg_out_bps: float | None
    peak_bps: float | None
    worst_daily_p95_bps: float | None  # the highest of its days' 95th percentiles
    hours_above_80: float


@dataclass
class YearReport:
    network: str
    timezone: str
    year: int
    period: Period  # what has elapsed of it
    devices: dict[str, Availability]
    tiers: dict[str, Availability]
    whole: Availability
    incidents_by_month: dict[int, int]  # month (1-12) -> incidents started
    links: dict[str, LinkYear]
    uplink: str
    uplink_monthly_p95: dict[int, float | None]  # month -> bits/s
    titles: dict[str, str] = field(default_factory=dict)
    days_from_store: int = 0  # days read from the daily rollups
    days_computed: int = 0  # days not closed yet, made from the 5-minute rollups


def year_period(year: int, zone: str) -> Period:
    tz = ZoneInfo(zone)
    return Period(
        datetime(year, 1, 1, tzinfo=tz).timestamp(), datetime(year + 1, 1, 1, tzinfo=tz).timestamp()
    )


def _month_of(t: float, zone: str) -> int:
    return datetime.fromtimestamp(t, ZoneInfo(zone)).month


def _link_year(cap: int, parts: list[Day]) -> LinkYear:
    samples = sum(d.samples for d in parts)

    def mean(values: list[tuple[float | None, int]]) -> float | None:
        weighted = [(v, n) for v, n in values if v is not None and n]
        total = sum(n for _, n in weighted)
        return sum(v * n for v, n in weighted) / total if total else None

    p95s = [
        high
        for d in parts
        if (high := max((x for x in (d.p95_in_bps, d.p95_out_bps) if x is not None), default=None))
        is not None
    ]
    peaks = [d.peak_bps for d in parts if d.peak_bps is not None]
    return LinkYear(
        cap,
        samples,
        mean([(d.in_avg_bps, d.samples) for d in parts]),
        mean([(d.out_avg_bps, d.samples) for d in parts]),
        max(peaks, default=None),
        max(p95s, default=None),
        sum(d.busy_buckets for d in parts) * BUCKET_S / 3600,
    )


def build_year(engine: Engine, inv: Inventory, year: int, now: float) -> YearReport:
    zone = inv.network.timezone
    whole_year = year_period(year, zone)
    period = Period(whole_year.start, min(whole_year.end, max(whole_year.start, now)))
    uplink = inv.uplink
    if uplink is None:
        raise ValueError("the inventory has no ISP link: the report needs the uplink")
    changes = read_changes(engine, period)
    stored = list_windows(engine, period.start, period.end)
    devices, _, tiers, whole = availabilities(inv, changes, stored, period)
    # Each link's days: stored where closed, else made now from the 5-minute rollups.
    by_link = read_days(engine, period)
    have = {d.day_start for parts in by_link.values() for d in parts}
    computed = 0
    for day in days(period.start, whole_year.end, zone):
        if day.start >= period.end or day.start in have:
            continue
        for d in summarise(inv, day, read_day(engine, Period(day.start, min(day.end, period.end)))):
            by_link.setdefault(d.name, []).append(d)
        computed += 1
    links = {ln.name: _link_year(ln.capacity_bps, by_link.get(ln.name, [])) for ln in inv.links}
    # The uplink's monthly 95th percentile needs its 5-minute rollups (one link: 105,120 rows).
    q = (
        select(RollupRow.bucket_start, RollupRow.in_avg_bps, RollupRow.out_avg_bps)
        .where(
            RollupRow.kind == "link",
            RollupRow.name == uplink.name,
            RollupRow.bucket_start >= period.start,
            RollupRow.bucket_start < period.end,
        )
        .order_by(RollupRow.bucket_start)
    )
    months: dict[int, list[Point]] = {m: [] for m in range(1, 13)}
    with engine.connect() as conn:
        for start, i, o in conn.execute(q):
            months[_month_of(start, zone)].append((start, i, o))
        started = [
            at
            for (at,) in conn.execute(
                select(IncidentRow.started).where(
                    IncidentRow.started >= period.start, IncidentRow.started < period.end
                )
            )
        ]
    monthly = {
        m: link_usage(points, period, uplink.capacity_bps).p95_bps if points else None
        for m, points in months.items()
    }
    per_month = Counter(_month_of(at, zone) for at in started)
    return YearReport(
        network=inv.network.name,
        timezone=zone,
        year=year,
        period=period,
        devices=devices,
        tiers=tiers,
        whole=whole,
        incidents_by_month={m: per_month.get(m, 0) for m in range(1, 13)},
        links=links,
        uplink=uplink.name,
        uplink_monthly_p95=monthly,
        titles={d.name: inv.site(d.site).title for d in inv.devices},
        days_from_store=len(have),
        days_computed=computed,
    )


def year_json(r: YearReport) -> str:
    return json.dumps(
        {
            "network": r.network,
            "year": r.year,
            "period": {"start": r.period.start, "end": r.period.end},
            "network_availability": figures(r.whole),
            "tiers": {k: figures(v) for k, v in sorted(r.tiers.items())},
            "devices": {k: figures(v) for k, v in sorted(r.devices.items())},
            "incidents_by_month": r.incidents_by_month,
            "links": {k: vars(v) for k, v in sorted(r.links.items())},
            "uplink": r.uplink,
            "uplink_monthly_p95_bps": r.uplink_monthly_p95,
            "days_from_store": r.days_from_store,
            "days_computed": r.days_computed,
        },
        indent=2,
    )


def year_html(r: YearReport, loc: Locale) -> str:
    t, esc = loc.t, html.escape
    cap = r.links[r.uplink].capacity_bps if r.uplink in r.links else 0
    tier_rows = "".join(
        f"<tr><td>{esc(loc.tier(k))}</td><td>{loc.percent(a.availability)}</td>"
        f"<td>{loc.percent(a.target, 1)}</td><td>{loc.duration(a.downtime_s)}</td>"
        f"<td>{len(a.outages)}</td><td>{loc.verdict(a.compliant)}</td></tr>"
        for k, a in sorted(r.tiers.items())
    )
    worst = sorted(r.devices.items(), key=lambda kv: (kv[1].availability or 1.0, kv[0]))[:20]
    device_rows = "".join(
        f"<tr><td>{esc(r.titles.get(n, n))}<br><small>{esc(n)}</small></td>"
        f"<td>{loc.percent(a.availability)}</td><td>{loc.duration(a.downtime_s)}</td>"
        f"<td>{len(a.outages)}</td></tr>"
        for n, a in worst
    )
    tz = ZoneInfo(r.timezone)

    def month_row(m: int) -> str:
        p95 = r.uplink_monthly_p95[m]
        share = loc.percent(p95 / cap, 0) if p95 is not None and cap else "—"
        name = loc.month(datetime(r.year, m, 15, tzinfo=tz).timestamp())
        return (
            f"<tr><td>{esc(name)}</td><td>{r.incidents_by_month[m]}</td>"
            f"<td>{loc.mbps(p95)}</td><td>{share}</td></tr>"
        )

    month_rows = "".join(month_row(m) for m in range(1, 13))

    def heads(*keys: str) -> str:
        return "".join(f"<th>{esc(t(k))}</th>" for k in keys)

    title = f"{esc(t('year_title'))} {r.year}"
    whole = (
        f"{esc(t('network'))}: <b>{loc.percent(r.whole.availability)}</b> "
        f"({esc(t('target'))} {loc.percent(r.whole.target, 1)})"
    )
    style = (
        "body{font-family:sans-serif;margin:2em}"
        "table{border-collapse:collapse;width:100%;margin-bottom:1.5em}"
        "td,th{border:1px solid #bbb;padding:4px 6px;text-align:left}th{background:#eee}"
    )
    tiers_head = heads("tier", "availability", "target", "downtime", "outages", "compliant")
    return (
        f'<!doctype html><html lang="{loc.lang}"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{style}</style></head><body>\n"
        f"<h1>{title}: {esc(r.network)}</h1>\n<p>{whole}</p>\n"
        f"<h2>{esc(t('tiers'))}</h2><table><thead><tr>{tiers_head}</tr></thead>"
        f"{tier_rows}</table>\n"
        f"<h2>{esc(t('year_months'))}</h2><table><thead><tr>"
        f"{heads('month', 'outages', 'p95', 'share')}</tr></thead>{month_rows}</table>\n"
        f"<h2>{esc(t('year_devices'))}</h2><table><thead><tr>"
        f"{heads('device', 'availability', 'downtime', 'outages')}</tr></thead>"
        f"{device_rows}</table>\n"
        f"<p><small>{esc(t('year_method'))}</small></p>\n</body></html>\n"
    )
