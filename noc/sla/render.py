"""Render an SLA report as JSON, CSV or self-contained HTML (charts as inline SVG)."""

from __future__ import annotations

import csv
import html
import io
import json
from typing import Any

from noc.sla.compute import Availability
from noc.sla.i18n import Locale
from noc.sla.report import Report


def figures(a: Availability) -> dict[str, Any]:
    return {
        "availability": a.availability,
        "target": a.target,
        "compliant": a.compliant,
        "scheduled_s": a.scheduled_s,
        "downtime_s": a.downtime_s,
        "maintenance_s": a.maintenance_s,
        "unknown_s": a.unknown_s,
        "unreachable_s": a.unreachable_s,
        "outages": len(a.outages),
        "longest_outage_s": a.longest_outage_s,
        "mttr_s": a.mttr_s,
        "mtbf_s": a.mtbf_s,
        "error_budget_s": a.budget_s,
        "error_budget_left_s": a.budget_left_s,
        "unknown_warning": a.unknown_warning,
    }


def to_json(report: Report) -> str:
    data = {
        "network": report.network,
        "timezone": report.timezone,
        "period": {"start": report.period.start, "end": report.period.end},
        "generated": report.generated,
        "coverage": report.coverage,
        "network_availability": figures(report.whole),
        "tiers": {k: figures(v) for k, v in sorted(report.tiers.items())},
        "sites": {k: figures(v) for k, v in sorted(report.sites.items())},
        "devices": {k: figures(v) for k, v in sorted(report.devices.items())},
        "links": {
            name: {
                "capacity_bps": u.capacity_bps,
                "avg_in_bps": u.avg_in_bps,
                "avg_out_bps": u.avg_out_bps,
                "peak_bps": u.peak_bps,
                "p95_in_bps": u.p95_in_bps,
                "p95_out_bps": u.p95_out_bps,
                "p95_bps": u.p95_bps,
                "hours_above_80_percent": u.hours_above_80,
                "samples": u.samples,
                "missing_samples": u.gap_samples,
            }
            for name, u in sorted(report.links.items())
        },
        "uplink": report.uplink,
        "uplink_daily_p95_bps": [[day, value] for day, value in report.uplink_daily_p95],
        "incidents": [i.__dict__ for i in report.incidents],
    }
    return json.dumps(data, indent=2)


def to_csv(report: Report, loc: Locale) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "# " + loc.t("title"),
            report.network,
            loc.t("period"),
            loc.date(report.period.start),
            loc.date(report.period.end - 1),
            loc.t("generated"),
            loc.date(report.generated, with_time=True),
            loc.t("coverage"),
            "" if report.coverage is None else f"{report.coverage:.4f}",
        ]
    )
    columns = ["kind", "name", *figures(report.whole)]
    writer.writerow(columns)
    for kind, items in (
        ("network", {"all": report.whole}),
        ("tier", report.tiers),
        ("site", report.sites),
        ("device", report.devices),
    ):
        for name, a in sorted(items.items()):
            row = figures(a)
            writer.writerow([kind, name, *(row[c] for c in columns[2:])])
    writer.writerow([])
    writer.writerow(
        [
            "kind",
            "name",
            "capacity_bps",
            "avg_in_bps",
            "avg_out_bps",
            "peak_bps",
            "p95_bps",
            "hours_above_80_percent",
            "samples",
            "missing_samples",
        ]
    )
    for name, u in sorted(report.links.items()):
        writer.writerow(
            [
                "link",
                name,
                u.capacity_bps,
                u.avg_in_bps,
                u.avg_out_bps,
                u.peak_bps,
                u.p95_bps,
                u.hours_above_80,
                u.samples,
                u.gap_samples,
            ]
        )
    return out.getvalue()


def _bars(rows: list[tuple[str, float | None, float]], loc: Locale, low: float = 0.95) -> str:
    """Horizontal bars of availability with each row's target marked."""
    width, row_h, left = 640, 18, 200
    height = row_h * len(rows) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">'
    ]

    def x(value: float) -> float:
        return left + max(0.0, min(1.0, (value - low) / (1 - low))) * (width - left - 80)

    for i, (label, value, target) in enumerate(rows):
        y = 5 + i * row_h
        colour = "#2e7d32" if value is not None and value >= target else "#c62828"
        parts.append(
            f'<text x="{left - 6}" y="{y + 12}" text-anchor="end" font-size="11">'
            f"{html.escape(label)}</text>"
        )
        if value is not None:
            parts.append(
                f'<rect x="{left}" y="{y + 2}" width="{x(value) - left:.1f}" '
                f'height="{row_h - 5}" fill="{colour}"/>'
            )
            parts.append(
                f'<text x="{x(value) + 4:.1f}" y="{y + 12}" font-size="10">'
                f"{loc.percent(value, 2)}</text>"
            )
        parts.append(
            f'<line x1="{x(target):.1f}" x2="{x(target):.1f}" y1="{y}" y2="{y + row_h}" '
            'stroke="#000" stroke-dasharray="3,2"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _uplink_chart(report: Report, loc: Locale) -> str:
    capacity = report.links[report.uplink].capacity_bps
    days = report.uplink_daily_p95
    width, height, pad = 640, 200, 40
    top = capacity * 1.2
    step = (width - 2 * pad) / max(1, len(days))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">'
    ]

    def y(bps: float) -> float:
        return height - pad - bps / top * (height - 2 * pad)

    for i, (_, value) in enumerate(days):
        if value is None:
            continue
        colour = "#c62828" if value > 0.8 * capacity else "#1565c0"
        parts.append(
            f'<rect x="{pad + i * step + 1:.1f}" y="{y(value):.1f}" width="{step - 2:.1f}" '
            f'height="{height - pad - y(value):.1f}" fill="{colour}"/>'
        )
    parts.append(
        f'<line x1="{pad}" x2="{width - pad}" y1="{y(capacity):.1f}" y2="{y(capacity):.1f}" '
        'stroke="#000" stroke-width="2"/>'
    )
    parts.append(
        f'<text x="{width - pad}" y="{y(capacity) - 4:.1f}" text-anchor="end" '
        f'font-size="11">{loc.mbps(capacity)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _timeline(report: Report, loc: Locale) -> str:
    width, pad = 640, 40
    rows = [i for i in report.incidents if i.state in ("down", "flapping")][:40]
    height = 16 * len(rows) + 20
    span = report.period.end - report.period.start
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">'
    ]
    for n, inc in enumerate(rows):
        start = max(inc.started, report.period.start)
        end = min(inc.ended or report.period.end, report.period.end)
        x0 = pad + (start - report.period.start) / span * (width - 2 * pad)
        w = max(2.0, (end - start) / span * (width - 2 * pad))
        parts.append(
            f'<rect x="{x0:.1f}" y="{4 + n * 16}" width="{w:.1f}" height="10" '
            f'fill="#c62828"><title>{html.escape(inc.entity)}</title></rect>'
        )
        parts.append(
            f'<text x="{min(x0 + w + 4, width - 120):.1f}" y="{13 + n * 16}" '
            f'font-size="10">{html.escape(inc.entity)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def to_html(report: Report, loc: Locale) -> str:
    t, esc = loc.t, html.escape
    w = report.whole
    rows_tier = [(tier, a.availability, a.target) for tier, a in sorted(report.tiers.items())]
    lowest = sorted(report.sites.items(), key=lambda kv: kv[1].availability or 1.0)[:25]
    rows_site = [(site, a.availability, a.target) for site, a in lowest]
    down = sorted(
        ((n, a) for n, a in report.devices.items() if a.downtime_s > 0),
        key=lambda kv: -kv[1].downtime_s,
    )

    def row(cells: list[str]) -> str:
        return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"

    def head(cells: list[str]) -> str:
        return "<tr>" + "".join(f"<th>{esc(c)}</th>" for c in cells) + "</tr>"

    device_rows = "".join(
        row(
            [
                esc(n),
                loc.percent(a.availability),
                loc.percent(a.target, 1),
                str(len(a.outages)),
                loc.duration(a.downtime_s),
                loc.duration(a.longest_outage_s),
                loc.duration(a.mttr_s),
                loc.duration(a.mtbf_s),
                loc.duration(max(a.budget_left_s, 0)),
                loc.verdict(a.compliant),
            ]
        )
        for n, a in down
    )
    link_rows = "".join(
        row(
            [
                esc(n),
                loc.mbps(u.capacity_bps),
                loc.mbps(u.avg_in_bps),
                loc.mbps(u.peak_bps),
                loc.mbps(u.p95_bps),
                loc.number(u.hours_above_80, 1),
                str(u.gap_samples),
            ]
        )
        for n, u in sorted(report.links.items(), key=lambda kv: -(kv[1].p95_bps or 0))[:30]
    )
    incident_rows = "".join(
        row(
            [
                esc(i.entity),
                esc(i.state),
                esc(i.root_cause),
                loc.date(i.started, True),
                loc.date(i.ended, True) if i.ended else t("ongoing"),
                str(i.affected),
            ]
        )
        for i in report.incidents
    )
    warning = f'<p class="warn">{esc(t("unknown_warning"))}</p>' if w.unknown_warning else ""
    return f"""<!DOCTYPE html>
<html lang="{loc.lang}"><head><meta charset="utf-8">
<title>{esc(t("title"))} — {esc(loc.month(report.period.start))}</title>
<style>
body {{ font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 12px; }}
th, td {{ border: 1px solid #bbb; padding: 3px 6px; text-align: left; }}
th {{ background: #eee; }} .warn {{ color: #b71c1c; font-weight: bold; }}
.kpi {{ display: inline-block; margin-right: 2em; }} .kpi b {{ font-size: 20px; display: block; }}
</style></head><body>
<h1>{esc(t("title"))}: {esc(report.network)}</h1>
<p>{esc(t("period"))}: {loc.date(report.period.start)} – {loc.date(report.period.end - 1)}
({esc(report.timezone)}) · {esc(t("generated"))}: {loc.date(report.generated, True)} ·
{esc(t("coverage"))}: {loc.percent(report.coverage, 2)}</p>
{warning}
<div class="kpi">{esc(t("network"))}<b>{loc.percent(w.availability)}</b></div>
<div class="kpi">{esc(t("outages"))}<b>{len(w.outages)}</b></div>
<div class="kpi">{esc(t("mttr"))}<b>{loc.duration(w.mttr_s)}</b></div>
<div class="kpi">{esc(t("maintenance"))}<b>{loc.duration(w.maintenance_s)}</b></div>
<div class="kpi">{esc(t("unknown"))}<b>{loc.duration(w.unknown_s)}</b></div>
<h2>{esc(t("tiers"))}</h2>{_bars(rows_tier, loc)}
<h2>{esc(t("sites_chart"))}</h2>{_bars(rows_site, loc)}
<h2>{esc(t("uplink_chart"))}</h2>{_uplink_chart(report, loc)}
<h2>{esc(t("timeline"))}</h2>{_timeline(report, loc)}
<h2>{esc(t("devices"))}</h2>
<table>{
        head(
            [
                t("device"),
                t("availability"),
                t("target"),
                t("outages"),
                t("downtime"),
                t("longest"),
                t("mttr"),
                t("mtbf"),
                t("budget_left"),
                t("compliant"),
            ]
        )
    }
{device_rows}</table>
<h2>{esc(t("links"))}</h2>
<table>{head([t("link"), t("capacity"), t("avg"), t("peak"), t("p95"), t("hours80"), t("gaps")])}{
        link_rows
    }</table>
<h2>{esc(t("outages"))}</h2>
<table>{head([t("device"), t("state"), t("root_cause"), t("start"), t("end"), t("affected")])}{
        incident_rows
    }</table>
<p><small>{esc(t("method"))}</small></p>
</body></html>
"""
