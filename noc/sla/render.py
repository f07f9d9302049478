"""Render an SLA report as JSON, CSV or self-contained HTML (charts as inline SVG)."""

from __future__ import annotations

import csv
import html
import io
import json
import math
from typing import Any

from noc.flows.store import Talker
from noc.sla.compute import Availability
from noc.sla.i18n import Locale
from noc.sla.report import ComplianceLine, Report


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
        "alerts_by_site": report.alerts_by_site,
        "services": {k: figures(v) for k, v in report.services.items()},
        "uplink_busy_users": {
            "sites": [t.__dict__ for t in report.busy_sites],
            "applications": [t.__dict__ for t in report.busy_apps],
            "hours_with_flows": report.busy_flow_hours,
        },
        "compliance": None
        if report.compliance is None
        else {
            "at": report.compliance.at,
            "rules": report.compliance.rules,
            "checked": report.compliance.checked,
            "complying": report.compliance.complying,
            "violations": [v.__dict__ for v in report.compliance.violations],
        },
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


def _svg(width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(label)}">'
    )


def _fit(label: str, chars: int) -> str:
    return label if len(label) <= chars else label[: chars - 1].rstrip() + "…"


def _text(
    x: float, y: float, text: str, anchor: str = "start", size: int = 10, fill: str = ""
) -> str:
    colour = f' fill="{fill}"' if fill else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}"{colour}>'
        f"{html.escape(text)}</text>"
    )


def text_width(text: str, size: float) -> float:
    """About how wide DejaVu Sans sets `text` at `size` (0.62 em a character, a little over
    its average), to keep a label inside its chart."""
    return 0.62 * size * len(text)


def _inside(x: float, text: str, size: float, width: float) -> tuple[float, str]:
    """(x, anchor) of a label centred on `x` unless that would cut it at an edge of a chart
    `width` wide: then it ends (or starts) at the edge."""
    half = text_width(text, size) / 2
    if x + half > width - 2:
        return width - 2, "end"
    if x - half < 2:
        return 2, "start"
    return x, "middle"


def _bars(
    rows: list[tuple[str, float | None, float]], loc: Locale, title: str, low: float = 0.95
) -> str:
    """Horizontal bars of availability, an axis with its scale, each row's target as a dashed
    line, and a legend that says so."""
    width, row_h, left, right = 680, 15, 230, 70
    lows = [v for _, v, _ in rows if v is not None]
    low = min([low, *[max(0.0, v - 0.005) for v in lows]])
    low = math.floor(low * 100) / 100
    plot_w = width - left - right
    height = row_h * len(rows) + 52
    axis_y = 6 + row_h * len(rows)
    parts = [_svg(width, height, title)]

    def x(value: float) -> float:
        return left + max(0.0, min(1.0, (value - low) / (1 - low))) * plot_w

    for i, (label, value, target) in enumerate(rows):
        y = 5 + i * row_h
        colour = "#2e7d32" if value is not None and value >= target else "#c62828"
        parts.append(_text(left - 6, y + 12, _fit(label, 34), "end", 11))
        if value is not None:
            parts.append(
                f'<rect x="{left}" y="{y + 2}" width="{max(1.0, x(value) - left):.1f}" '
                f'height="{row_h - 5}" fill="{colour}"/>'
            )
            parts.append(_text(min(x(value) + 4, width - right + 2), y + 12, loc.percent(value, 2)))
        else:
            parts.append(_text(left + 4, y + 12, loc.t("no_data")))
        parts.append(
            f'<line x1="{x(target):.1f}" x2="{x(target):.1f}" y1="{y}" '
            f'y2="{y + row_h}" stroke="#000" stroke-dasharray="3,2"/>'
        )
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{axis_y}" y2="{axis_y}" stroke="#444"/>'
    )
    steps = 5
    for k in range(steps + 1):
        value = low + (1 - low) * k / steps
        parts.append(
            f'<line x1="{x(value):.1f}" x2="{x(value):.1f}" y1="{axis_y}" '
            f'y2="{axis_y + 4}" stroke="#444"/>'
        )
        parts.append(_text(x(value), axis_y + 15, loc.percent(value, 1), "middle"))
    parts.append(_text(left, height - 6, f"{loc.t('availability')} · {loc.t('target_line')}"))
    parts.append("</svg>")
    return "".join(parts)


def _uplink_chart(report: Report, loc: Locale) -> str:
    """The uplink's daily 95th percentile: a value axis in Mbps, a day axis, each bar's value,
    and the contract as a labelled line."""
    capacity = report.links[report.uplink].capacity_bps
    days = report.uplink_daily_p95
    width, height, left, bottom, top_pad = 680, 250, 52, 40, 30
    top = capacity * 1.2
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    step = plot_w / max(1, len(days))
    parts = [_svg(width, height, loc.t("uplink_chart"))]

    def y(bps: float) -> float:
        return top_pad + plot_h - min(bps, top) / top * plot_h

    for k in range(7):  # value axis: 0 .. 120% of the contract
        bps = top * k / 6
        parts.append(
            f'<line x1="{left - 4}" x2="{left + plot_w}" y1="{y(bps):.1f}" '
            f'y2="{y(bps):.1f}" stroke="#ddd"/>'
        )
        parts.append(_text(left - 6, y(bps) + 3, loc.number(bps / 1e6, 0), "end"))
    parts.append(_text(4, top_pad - 8, "Mbps"))
    for i, (day, value) in enumerate(days):
        x0 = left + i * step
        if i % 5 == 0 or i == len(days) - 1:
            parts.append(
                _text(
                    x0 + step / 2,
                    height - bottom + 14,
                    str(int(loc.date(day).split()[0])),
                    "middle",
                )
            )
        if value is None:
            continue
        colour = "#c62828" if value > 0.8 * capacity else "#1565c0"
        bar_w = max(1.0, step - 2)
        parts.append(
            f'<rect x="{x0 + 1:.1f}" y="{y(value):.1f}" width="{bar_w:.1f}" '
            f'height="{top_pad + plot_h - y(value):.1f}" fill="{colour}">'
            f"<title>{html.escape(loc.date(day))}: {loc.mbps(value)}</title></rect>"
        )
        if step >= 18 and top_pad + plot_h - y(value) > 14:
            # Inside the bar's top, in white: never on the contract's line above it.
            parts.append(
                _text(x0 + step / 2, y(value) + 10, loc.number(value / 1e6, 0), "middle", 8, "#fff")
            )
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#444"/>'
    )
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{y(capacity):.1f}" '
        f'y2="{y(capacity):.1f}" stroke="#000" stroke-width="2"/>'
    )
    parts.append(
        f'<line x1="{left + plot_w - 250}" x2="{left + plot_w - 226}" y1="10" '
        'y2="10" stroke="#000" stroke-width="2"/>'
    )
    parts.append(
        _text(left + plot_w - 220, 14, f"{loc.t('capacity')} {loc.mbps(capacity)}", size=11)
    )
    parts.append(_text(left + plot_w / 2, height - 8, loc.t("day"), "middle"))
    parts.append("</svg>")
    return "".join(parts)


def _timeline(report: Report, loc: Locale) -> str:
    """Outages on a time axis of the month: names in their own column, bars to the right."""
    width, left, right, row_h = 680, 190, 10, 13
    rows = [i for i in report.incidents if i.state in ("down", "flapping")][:40]
    axis_y = 6 + row_h * len(rows)
    height = axis_y + 34
    span = report.period.end - report.period.start
    plot_w = width - left - right
    parts = [_svg(width, height, loc.t("timeline"))]

    def x(at: float) -> float:
        return (
            left
            + (min(max(at, report.period.start), report.period.end) - report.period.start)
            / span
            * plot_w
        )

    for n, inc in enumerate(rows):
        y = 4 + n * row_h
        name = report.titles.get(inc.entity, inc.entity)
        parts.append(_text(left - 6, y + 10, _fit(name, 32), "end"))
        x0, x1 = x(inc.started), x(inc.ended or report.period.end)
        parts.append(
            f'<rect x="{x0:.1f}" y="{y + 1}" width="{max(2.0, x1 - x0):.1f}" '
            f'height="10" fill="#c62828"><title>{html.escape(inc.entity)}: '
            f"{html.escape(loc.date(inc.started, True))}</title></rect>"
        )
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{axis_y}" y2="{axis_y}" stroke="#444"/>'
    )
    day = report.period.start
    n = 0
    while day < report.period.end:
        if n % 5 == 0:
            parts.append(
                f'<line x1="{x(day):.1f}" x2="{x(day):.1f}" y1="{axis_y}" '
                f'y2="{axis_y + 4}" stroke="#444"/>'
            )
            label = loc.date(day).rsplit(" ", 1)[0]
            at, anchor = _inside(x(day), label, 10, width)
            parts.append(_text(at, axis_y + 15, label, anchor))
        day += 86400
        n += 1
    parts.append(
        _text(left + plot_w / 2, height - 4, f"{loc.t('day')} ({loc.zone_name})", "middle")
    )
    parts.append("</svg>")
    return "".join(parts)


def _cols(*percent: int) -> str:
    """Each column's share of the page's width (A4 less its margins): set so that every
    header word fits its column and nothing is cut at the right edge."""
    return "<colgroup>" + "".join(f'<col style="width:{p}%">' for p in percent) + "</colgroup>"


ACCESS_LINKS_SHOWN = 15  # the busiest access links in the table; every link is in the CSV


def _targets_sentence(report: Report, loc: Locale) -> str:
    judged = {loc.tier(k): a for k, a in sorted(report.tiers.items()) if a.compliant is not None}
    if not judged:
        return loc.t("met_none")
    missed = [name for name, a in judged.items() if not a.compliant]
    if not missed:
        return loc.t("met_all")
    return loc.t("missed").format(names=", ".join(missed))


def to_html(report: Report, loc: Locale) -> str:
    t, esc = loc.t, html.escape
    w = report.whole
    devices = max(1, len(report.devices))
    tiers = sorted(report.tiers.items())
    rows_tier = [(loc.tier(tier), a.availability, a.target) for tier, a in tiers]
    lowest = sorted(
        (
            (s, a)
            for s, a in report.sites.items()
            if a.availability is not None and a.availability < 1.0
        ),
        key=lambda kv: kv[1].availability or 0.0,
    )[:25]
    rows_site = [(report.titles.get(site, site), a.availability, a.target) for site, a in lowest]
    down = sorted(
        ((n, a) for n, a in report.devices.items() if a.downtime_s > 0),
        key=lambda kv: -kv[1].downtime_s,
    )

    def row(cells: list[str]) -> str:
        return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"

    def head(cells: list[str]) -> str:
        return "<thead><tr>" + "".join(f"<th>{esc(c)}</th>" for c in cells) + "</tr></thead>"

    def named(code: str) -> str:
        title = report.titles.get(code)
        return f"{esc(title)}<br><small>{esc(code)}</small>" if title else esc(code)

    device_rows = "".join(
        row(
            [
                named(n),
                loc.percent(a.availability),
                loc.percent(a.target, 1),
                str(len(a.outages)),
                loc.duration(a.downtime_s),
                loc.duration(a.longest_outage_s),
                loc.duration(a.mttr_s),
                loc.duration(a.mtbf_s),
                loc.budget(a.budget_remaining_s),
                loc.verdict(a.compliant),
            ]
        )
        for n, a in down
    )
    uplink = report.links[report.uplink]

    def share(u: Any) -> float:
        return (u.p95_bps or 0.0) / u.capacity_bps if u.capacity_bps else 0.0

    tier_of = report.link_tiers
    ranked = sorted(report.links.items(), key=lambda kv: (kv[0] != report.uplink, -share(kv[1])))
    always = [
        kv for kv in ranked if kv[0] == report.uplink or tier_of.get(kv[0], "access") != "access"
    ]
    access = [kv for kv in ranked if kv not in always]
    ordered = always + access[: max(0, ACCESS_LINKS_SHOWN)]
    left_out = len(ranked) - len(ordered)
    link_rows = "".join(
        row(
            [
                esc(n),
                loc.mbps(u.capacity_bps),
                loc.mbps(u.avg_in_bps),
                loc.mbps(u.peak_bps),
                loc.mbps(u.p95_bps),
                loc.percent(share(u) if u.p95_bps is not None else None, 1),
                loc.number(u.hours_above_80, 1),
                str(u.gap_samples),
            ]
        )
        for n, u in ordered
    )
    incident_rows = "".join(
        row(
            [
                named(i.entity),
                esc(loc.state(i.state)),
                named(i.root_cause),
                loc.date(i.started, True),
                loc.date(i.ended, True) if i.ended else t("ongoing"),
                str(i.affected),
            ]
        )
        for i in report.incidents
    )
    uplink_sentence = t("uplink_summary").format(
        p95=loc.mbps(uplink.p95_bps),
        share=loc.percent(share(uplink) if uplink.p95_bps is not None else None, 0),
        capacity=loc.mbps(uplink.capacity_bps),
        hours=loc.number(uplink.hours_above_80, 1),
    )
    warning = f'<p class="warn">{esc(t("unknown_warning"))}</p>' if w.unknown_warning else ""
    # The month's real problem first: an uplink above 80% of its contract at the 95th
    # percentile is said before any availability target.
    hot = ""
    if uplink.p95_bps is not None and share(uplink) > 0.8:
        hot = (
            '<p class="verdict warn">'
            + esc(
                t("uplink_hot").format(
                    share=loc.percent(share(uplink), 0),
                    capacity=loc.mbps(uplink.capacity_bps),
                    hours=loc.number(uplink.hours_above_80, 1),
                )
            )
            + "</p>"
        )
    per = f"<small>{esc(t('per_device'))}</small>"
    return f"""<!DOCTYPE html>
<html lang="{loc.lang}"><head><meta charset="utf-8">
<title>{esc(t("title"))} — {esc(loc.month(report.period.start))}</title>
<style>
@page {{ size: A4; margin: 16mm 14mm; }}
body {{ font-family: "DejaVu Sans", Arial, sans-serif; margin: 0; color: #222; font-size: 12px; }}
h1 {{ font-size: 20px; margin: 0 0 4px; }} h2 {{ font-size: 15px; margin: 18px 0 6px;
  break-after: avoid; }}
table {{ border-collapse: collapse; margin: 6px 0; width: 100%; table-layout: fixed;
  font-size: 10.5px; }}
th, td {{ border: 1px solid #bbb; padding: 3px 5px; text-align: left; overflow-wrap: anywhere; }}
th {{ background: #eee; overflow-wrap: normal; word-break: keep-all; font-size: 8.5px; }}
thead {{ display: table-header-group; }}
tr, svg, .kpis, .uplink {{ break-inside: avoid; }}
.warn {{ color: #b71c1c; font-weight: bold; }} .verdict {{ font-size: 14px; font-weight: bold; }}
.kpi {{ display: inline-block; margin: 6px 20px 6px 0; vertical-align: top; }}
.kpi b {{ font-size: 18px; display: block; }} svg {{ max-width: 100%; height: auto; }}
</style></head><body>
<h1>{esc(t("title"))}: {esc(report.network)}</h1>
<p>{esc(t("period"))}: {loc.date(report.period.start)} – {loc.date(report.period.end - 1)} ·
{esc(t("generated"))}: {loc.date(report.generated, True)} ·
{esc(t("coverage"))}: {loc.percent(report.coverage, 2)} ·
{esc(t("times").format(zone=loc.zone_name))}</p>
{hot}<p class="verdict">{esc(_targets_sentence(report, loc))}</p>
{warning}
<div class="kpis">
<div class="kpi">{esc(t("network"))}<b>{loc.percent(w.availability)}</b></div>
<div class="kpi">{esc(t("outages"))}<b>{len(w.outages)}</b></div>
<div class="kpi">{esc(t("mttr"))}<b>{loc.duration(w.mttr_s)}</b></div>
<div class="kpi">{esc(t("maintenance"))}<b>{loc.duration(w.maintenance_s / devices)}</b>{per}</div>
<div class="kpi">{esc(t("unknown"))}<b>{loc.duration(w.unknown_s / devices)}</b>{per}</div>
</div>
<h2>{esc(t("tiers"))}</h2>{_bars(rows_tier, loc, t("tiers"))}
<table>{_cols(16, 14, 10, 11, 17, 19, 13)}{
        head(
            [
                t("tier"),
                t("availability"),
                t("target"),
                t("outages"),
                t("mttr"),
                t("budget_left") + " (" + t("per_device") + ")",
                t("compliant"),
            ]
        )
    }{
        "".join(
            row(
                [
                    esc(loc.tier(k)),
                    loc.percent(a.availability),
                    loc.percent(a.target, 1),
                    str(len(a.outages)),
                    loc.duration(a.mttr_s),
                    loc.budget(
                        None
                        if a.budget_remaining_s is None
                        else a.budget_remaining_s / devices_in(report, a)
                    ),
                    loc.verdict(a.compliant),
                ]
            )
            for k, a in tiers
        )
    }</table>
<h2>{esc(t("uplink_chart"))}</h2>
<div class="uplink"><p><b>{esc(t("uplink"))} {esc(report.uplink)}:</b>
{esc(uplink_sentence)}</p>{_uplink_chart(report, loc)}</div>
<h2>{esc(t("sites_chart"))}</h2>{
        _bars(rows_site, loc, t("sites_chart")) if rows_site else "<p>" + esc(t("met_all")) + "</p>"
    }
<h2>{esc(t("timeline"))}</h2>{_timeline(report, loc)}
<h2>{esc(t("devices"))}</h2>
<table>{_cols(17, 12, 7, 8, 9, 9, 9, 10, 10, 9)}{
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
<table>{_cols(22, 11, 11, 11, 11, 10, 12, 12)}{
        head(
            [
                t("link"),
                t("capacity"),
                t("avg"),
                t("peak"),
                t("p95"),
                t("share"),
                t("hours80"),
                t("gaps"),
            ]
        )
    }{link_rows}</table>{
        f"<p><small>{esc(t('links_left_out').format(n=left_out))}</small></p>" if left_out else ""
    }
<h2>{esc(t("outages"))}</h2>
<table>{_cols(22, 10, 22, 17, 17, 12)}{
        head([t("device"), t("state"), t("root_cause"), t("start"), t("end"), t("affected")])
    }{incident_rows}</table>
{_services(report, loc)}
{_busy_users(report, loc)}
{_alert_table(report, loc)}
{_compliance(report, loc)}
<p><small>{esc(t("method"))}</small></p>
</body></html>
"""


def _alert_table(report: Report, loc: Locale) -> str:
    if not report.alerts_by_site:
        return ""
    t, esc = loc.t, html.escape
    rows = "".join(
        f"<tr><td>{esc(report.titles.get(site, site))}<br><small>{esc(site)}</small></td>"
        f"<td>{count}</td></tr>"
        for site, count in sorted(report.alerts_by_site.items(), key=lambda kv: -kv[1])
    )
    return (
        f"<h2>{esc(t('alerts_by_site'))}</h2><table><thead><tr><th>{esc(t('site'))}</th>"
        f"<th>{esc(t('notifications'))}</th></tr></thead>{rows}</table>"
    )


def _services(report: Report, loc: Locale) -> str:
    """Each service against its own target: availability, downtime, outages, and whether the
    target was met."""
    if not report.services:
        return ""
    t, esc = loc.t, html.escape
    rows = "".join(
        f"<tr><td>{esc(report.titles.get(name, name))}<br><small>{esc(name)}</small></td>"
        f"<td>{loc.percent(a.availability)}</td><td>{loc.percent(a.target, 3)}</td>"
        f"<td>{loc.duration(a.downtime_s)}</td><td>{len(a.outages)}</td>"
        f"<td>{loc.budget(a.budget_remaining_s)}</td><td>{loc.verdict(a.compliant)}</td></tr>"
        for name, a in report.services.items()
    )
    heads = ("service", "availability", "target", "downtime", "outages", "budget_left", "compliant")
    return (
        f"<h2>{esc(t('services'))}</h2><p>{esc(t('services_note'))}</p><table>"
        + _cols(24, 13, 10, 15, 9, 16, 13)
        + "<thead><tr>"
        + "".join(f"<th>{esc(t(h))}</th>" for h in heads)
        + f"</tr></thead>{rows}</table>"
    )


BUSY_ROWS = 10


def _busy_users(report: Report, loc: Locale) -> str:
    """The sites and applications that filled the uplink in its hours above 80%."""
    if not report.busy_sites:
        return ""
    t, esc = loc.t, html.escape
    uplink = report.links.get(report.uplink)
    hours = loc.number(uplink.hours_above_80, 1) if uplink is not None else "?"
    covered = loc.number(report.busy_flow_hours, 1)

    def table(label: str, talkers: list[Talker], titled: bool) -> str:
        total = sum(x.octets for x in talkers) or 1
        rows = "".join(
            f"<tr><td>{esc(report.titles.get(x.name, x.name) if titled else x.name)}"
            + (f"<br><small>{esc(x.name)}</small>" if titled else "")
            + f"</td><td>{esc(_volume(x.octets, loc))}</td>"
            f"<td>{loc.percent(x.octets / total, 1)}</td></tr>"
            for x in talkers[:BUSY_ROWS]
        )
        return (
            f"<table>{_cols(60, 20, 20)}<thead><tr><th>{esc(t(label))}</th>"
            f"<th>{esc(t('volume'))}</th><th>{esc(t('traffic_share'))}</th></tr></thead>"
            f"{rows}</table>"
        )

    return (
        f"<h2>{esc(t('busy_users'))}</h2><p>"
        + esc(t("busy_users_note").format(hours=hours, covered=covered))
        + "</p>"
        + table("site", report.busy_sites, True)
        + table("application", report.busy_apps, False)
    )


def _volume(octets: int, loc: Locale) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if octets >= size:
            return f"{loc.number(octets / size, 1)} {unit}"
    return f"{loc.number(octets / 1e3, 1)} kB"


def _compliance(report: Report, loc: Locale) -> str:
    c = report.compliance
    if c is None:
        return ""
    t, esc = loc.t, html.escape
    head = f"<h2>{esc(t('compliance'))}</h2>"
    if not c.checked:
        return head + f"<p>{esc(t('compliance_none'))}</p>"
    summary = t("compliance_summary").format(
        ok=c.complying, checked=len(c.checked), rules=c.rules, date=loc.date(c.at, with_time=True)
    )
    rows = "".join(
        f"<tr><td>{esc(report.titles.get(v.device, v.device))}<br><small>{esc(v.device)}</small>"
        f"</td><td>{esc(_rule_text(v, loc))}<br><small>{esc(v.rule)}</small></td><td>"
        + (
            esc(t("line_no").format(n=v.line))
            + f"<br><small><code>{esc(v.content or '')}</code></small>"
            if v.line is not None
            else esc(t("required_missing"))
        )
        + "</td></tr>"
        for v in c.violations
    )
    table = (
        f"<table><thead><tr><th>{esc(t('device'))}</th><th>{esc(t('rule'))}</th>"
        f"<th>{esc(t('finding'))}</th></tr></thead>{rows}</table>"
        if c.violations
        else ""
    )
    return head + f"<p>{esc(summary)}</p>" + table


def _rule_text(v: ComplianceLine, loc: Locale) -> str:
    text = v.text_id if loc.lang == "id" and v.text_id else v.text
    return text.replace("`", "")  # the rules file's code marks


def devices_in(report: Report, group: Availability) -> int:
    """How many devices a group's figures add up (each device contributes one period)."""
    if not report.whole.period_s:
        return 1
    return max(1, round(group.period_s / report.whole.period_s * len(report.devices)))
