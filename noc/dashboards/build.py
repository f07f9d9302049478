"""Grafana dashboards generated from the inventory (no hand-edited JSON).

`build(inventory)` returns {file name: dashboard}; `noc dashboards build` writes them to
`dashboards/`, where they are committed (a test fails when they are stale).
"""

from __future__ import annotations

from itertools import count
from typing import Any

from noc.inventory import Inventory
from noc.inventory.model import Medium, SiteKind, Tier

DATASOURCE = {"type": "prometheus", "uid": "noc-prometheus"}
Panel = dict[str, Any]


class Layout:
    """Places panels left to right on Grafana's 24-column grid."""

    def __init__(self) -> None:
        self.x = self.y = self.row_h = 0
        self.ids = count(1)

    def place(self, panel: Panel, w: int, h: int) -> Panel:
        if self.x + w > 24:
            self.x, self.y, self.row_h = 0, self.y + self.row_h, 0
        panel["gridPos"] = {"x": self.x, "y": self.y, "w": w, "h": h}
        panel["id"] = next(self.ids)
        self.x += w
        self.row_h = max(self.row_h, h)
        return panel


def target(expr: str, legend: str = "", *, instant: bool = False, ref: str = "A") -> dict[str, Any]:
    t: dict[str, Any] = {
        "datasource": DATASOURCE,
        "expr": expr,
        "refId": ref,
        "legendFormat": legend or "__auto",
    }
    if instant:
        t.update(instant=True, range=False, format="table")
    return t


def panel(
    kind: str,
    title: str,
    targets: list[dict[str, Any]],
    unit: str = "",
    thresholds: list[tuple[float | None, str]] | None = None,
    **extra: Any,
) -> Panel:
    steps = [{"value": v, "color": c} for v, c in (thresholds or [(None, "green")])]
    defaults: dict[str, Any] = {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps}}
    defaults.update(extra.pop("defaults", {}))
    return {
        "type": kind,
        "title": title,
        "datasource": DATASOURCE,
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": extra.pop("overrides", [])},
        "options": extra.pop("options", {}),
        **extra,
    }


PROBLEMS = '"down|flapping|unreachable"'
STATE_COLOURS = {
    "up": "green",
    "down": "red",
    "unreachable": "orange",
    "unknown": "text",
    "maintenance": "blue",
    "flapping": "purple",
}
STATE_MAPPING = [
    {
        "type": "value",
        "options": {s: {"color": c, "text": s.upper()} for s, c in STATE_COLOURS.items()},
    }
]


def dashboard(
    uid: str,
    title: str,
    panels: list[Panel],
    variables: list[dict[str, Any]] | None = None,
    tags: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "tags": ["noc", "kota-bogor", *tags],
        "timezone": "Asia/Jakarta",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": variables or []},
        "annotations": {"list": []},
        "panels": panels,
    }


def query_variable(name: str, label: str, expr: str) -> dict[str, Any]:
    return {
        "type": "query",
        "name": name,
        "label": label,
        "datasource": DATASOURCE,
        "query": {"query": f"label_values({expr}, {name})", "refId": "var"},
        "definition": f"label_values({expr}, {name})",
        "refresh": 2,
        "sort": 1,
        "includeAll": False,
        "multi": False,
    }


def uplink(inv: Inventory) -> str:
    return next(ln.name for ln in inv.links if ln.medium is Medium.ISP)


def overview(inv: Inventory) -> dict[str, Any]:
    lay = Layout()
    up = uplink(inv)
    centre = inv.site(inv.network.collector_site)
    bps = inv.network.uplink_bps
    geomap = panel(
        "geomap",
        "BTS sites",
        [
            target(
                'noc_site_info{kind="bts"} * on (site) group_left (state) '
                'max by (site, state) (noc_device_state{role="bts"} == 1)',
                instant=True,
            )
        ],
        defaults={"mappings": STATE_MAPPING, "color": {"mode": "fixed", "fixedColor": "green"}},
        options={
            "view": {"id": "coords", "lat": centre.lat, "lon": centre.lon, "zoom": 12},
            "controls": {"showZoom": True},
            "layers": [
                {
                    "type": "markers",
                    "name": "BTS",
                    "location": {
                        "mode": "coords",
                        "latitude": "latitude",
                        "longitude": "longitude",
                    },
                    "config": {
                        "style": {
                            "color": {"field": "state"},
                            "size": {"fixed": 8},
                            "text": {"field": "site", "mode": "field"},
                        }
                    },
                }
            ],
        },
    )
    uplink_panel = panel(
        "timeseries",
        f"Internet uplink ({bps / 1e6:g} Mbps contract)",
        [target(f'8 * noc_link_throughput_bytes_per_second{{link="{up}"}}', "{{direction}}")],
        unit="bps",
        thresholds=[(None, "green"), (0.8 * bps, "orange"), (float(bps), "red")],
        defaults={"custom": {"thresholdsStyle": {"mode": "line+area"}}, "max": bps * 1.1},
    )
    congested = panel(
        "bargauge",
        "Most congested links (share of contract)",
        [target("topk(10, noc:link_utilisation:ratio)", "{{link}}", instant=True)],
        unit="percentunit",
        thresholds=[(None, "green"), (0.8, "orange"), (0.95, "red")],
        options={"orientation": "horizontal", "displayMode": "gradient"},
        defaults={"min": 0, "max": 1},
    )
    incidents = panel(
        "stat",
        "Open incidents",
        [target("sum(noc_incidents_open)", instant=True)],
        thresholds=[(None, "green"), (1, "red")],
    )
    problems = panel(
        "table",
        "Devices and links with a problem",
        [
            target('noc_device_state{state=~"down|flapping|unreachable"} == 1', instant=True),
            target(
                'noc_link_state{state=~"down|flapping|unreachable"} == 1', instant=True, ref="B"
            ),
        ],
        defaults={"mappings": STATE_MAPPING},
    )
    targets = {t: inv.tiers[t].sla_target for t in Tier}
    availability = panel(
        "bargauge",
        "Availability, last 30 days, against each tier's target",
        [
            target(
                f'avg(noc:device_availability:ratio_30d{{tier="{t.value}"}})',
                f"{t.value} (target {targets[t]:.1%})",
                ref=chr(65 + i),
            )
            for i, t in enumerate(Tier)
        ],
        unit="percentunit",
        thresholds=[
            (None, "red"),
            (min(targets.values()), "orange"),
            (max(targets.values()), "green"),
        ],
        defaults={"min": 0.95, "max": 1, "decimals": 2},
    )
    return dashboard(
        "noc-overview",
        "NOC overview",
        [
            lay.place(geomap, 12, 12),
            lay.place(uplink_panel, 12, 12),
            lay.place(congested, 12, 10),
            lay.place(incidents, 4, 10),
            lay.place(problems, 8, 10),
            lay.place(availability, 24, 6),
        ],
    )


def state_table(title: str, selector: str) -> Panel:
    """The current state of every device the selector picks."""
    return panel(
        "table",
        title,
        [target(f"noc_device_state{{{selector}}} == 1", instant=True)],
        defaults={"mappings": STATE_MAPPING},
    )


def per_second(counter: str, selector: str) -> str:
    return f"sum by (device, interface) (rate({counter}{{{selector}}}[5m]))"


def site_detail(inv: Inventory) -> dict[str, Any]:
    lay = Layout()
    sel = 'site="$site"'
    return dashboard(
        "noc-site",
        "Site detail",
        [
            lay.place(state_table("Devices at the site", sel), 12, 8),
            lay.place(
                panel(
                    "stat",
                    "Uptime",
                    [target(f"noc_device_uptime_seconds{{{sel}}}", "{{device}}", instant=True)],
                    unit="s",
                ),
                12,
                8,
            ),
            lay.place(
                panel(
                    "timeseries",
                    "Interface throughput",
                    [
                        target(
                            f"8 * noc_interface_throughput_bytes_per_second{{{sel}}}",
                            "{{device}} {{interface}} {{direction}}",
                        )
                    ],
                    unit="bps",
                ),
                12,
                10,
            ),
            lay.place(
                panel(
                    "timeseries",
                    "Utilisation (contract, else port speed)",
                    [
                        target(
                            f"noc_interface_utilisation_ratio{{{sel}}}", "{{device}} {{interface}}"
                        )
                    ],
                    unit="percentunit",
                ),
                12,
                10,
            ),
            lay.place(
                panel(
                    "timeseries",
                    "Radio signal",
                    [target(f"noc_radio_signal_dbm{{{sel}}}", "{{device}} {{radio}}")],
                    unit="dBm",
                ),
                12,
                8,
            ),
            lay.place(
                panel(
                    "timeseries",
                    "Errors and discards per second",
                    [
                        target(
                            per_second("noc_interface_errors_total", sel),
                            "errors {{device}} {{interface}}",
                        ),
                        target(
                            per_second("noc_interface_discards_total", sel),
                            "discards {{device}} {{interface}}",
                            ref="B",
                        ),
                    ],
                ),
                12,
                8,
            ),
        ],
        [query_variable("site", "Site", "noc_device_state")],
    )


def link_detail(inv: Inventory) -> dict[str, Any]:
    lay = Layout()
    sel = 'link="$link"'
    return dashboard(
        "noc-link",
        "Link detail",
        [
            lay.place(
                panel(
                    "timeseries",
                    "Throughput against the contract",
                    [
                        target(
                            f"8 * noc_link_throughput_bytes_per_second{{{sel}}}", "{{direction}}"
                        ),
                        target(
                            f"8 * noc_link_contracted_bytes_per_second{{{sel}}}",
                            "contract",
                            ref="B",
                        ),
                    ],
                    unit="bps",
                ),
                16,
                10,
            ),
            lay.place(
                panel(
                    "gauge",
                    "Utilisation now",
                    [target(f"noc:link_utilisation:ratio{{{sel}}}", instant=True)],
                    unit="percentunit",
                    thresholds=[(None, "green"), (0.8, "orange"), (0.95, "red")],
                    defaults={"min": 0, "max": 1},
                ),
                8,
                10,
            ),
            lay.place(
                panel(
                    "state-timeline",
                    "State",
                    [target(f"noc_link_state{{{sel}}} == 1", "{{state}}")],
                    defaults={"mappings": STATE_MAPPING},
                ),
                16,
                6,
            ),
            lay.place(
                panel(
                    "stat",
                    "Availability 1 h / 1 d / 30 d",
                    [
                        target(f"noc:link_availability:ratio_1h{{{sel}}}", "1 h"),
                        target(f"noc:link_availability:ratio_1d{{{sel}}}", "1 d", ref="B"),
                        target(f"noc:link_availability:ratio_30d{{{sel}}}", "30 d", ref="C"),
                    ],
                    unit="percentunit",
                    defaults={"decimals": 3},
                ),
                8,
                6,
            ),
        ],
        [query_variable("link", "Link", "noc_link_state")],
    )


def sla_overview(inv: Inventory) -> dict[str, Any]:
    lay = Layout()
    return dashboard(
        "noc-sla",
        "SLA overview",
        [
            lay.place(
                panel(
                    "table",
                    "Device availability, last 30 days (lowest first)",
                    [target("sort(noc:device_availability:ratio_30d)", instant=True)],
                    unit="percentunit",
                    defaults={"decimals": 3},
                ),
                12,
                14,
            ),
            lay.place(
                panel(
                    "table",
                    "Link availability, last 30 days (lowest first)",
                    [target("sort(noc:link_availability:ratio_30d)", instant=True)],
                    unit="percentunit",
                    defaults={"decimals": 3},
                ),
                12,
                14,
            ),
            lay.place(
                panel(
                    "timeseries",
                    "Availability by tier, 1 h",
                    [target("avg by (tier) (noc:device_availability:ratio_1h)", "{{tier}}")],
                    unit="percentunit",
                ),
                24,
                8,
            ),
        ],
    )


def dr_status(inv: Inventory) -> dict[str, Any]:
    lay = Layout()
    dr_sites = [s.name for s in inv.sites if s.kind is SiteKind.DR]
    sel = f'site=~"{"|".join(dr_sites)}"'
    return dashboard(
        "noc-dr",
        "DR status",
        [
            lay.place(
                panel(
                    "stat",
                    "DR readiness",
                    [target("noc_dr_state == 1", "{{state}}", instant=True)],
                    defaults={
                        "mappings": [
                            {
                                "type": "value",
                                "options": {
                                    "ready": {"color": "green"},
                                    "degraded": {"color": "orange"},
                                    "not_ready": {"color": "red"},
                                },
                            }
                        ]
                    },
                ),
                8,
                6,
            ),
            lay.place(state_table("DR site devices", sel), 16, 6),
            lay.place(
                panel(
                    "timeseries",
                    "DR links: utilisation",
                    [target(f"noc:link_utilisation:ratio{{{sel}}}", "{{link}}")],
                    unit="percentunit",
                ),
                24,
                8,
            ),
        ],
    )


def collector_health(inv: Inventory) -> dict[str, Any]:
    lay = Layout()
    return dashboard(
        "noc-collector",
        "Collector health",
        [
            lay.place(
                panel(
                    "stat",
                    "Seconds since the last successful poll",
                    [target("time() - noc_collector_last_success_timestamp_seconds", instant=True)],
                    unit="s",
                    thresholds=[(None, "green"), (120, "orange"), (180, "red")],
                ),
                6,
                6,
            ),
            lay.place(
                panel(
                    "stat",
                    "Store: events waiting",
                    [target("noc_store_pending_events", instant=True)],
                    thresholds=[(None, "green"), (1000, "orange")],
                ),
                6,
                6,
            ),
            lay.place(
                panel(
                    "stat",
                    "Late polls per minute",
                    [target("60 * rate(noc_collector_late_polls_total[5m])", instant=True)],
                ),
                6,
                6,
            ),
            lay.place(
                panel(
                    "stat",
                    "Varbinds per poll cycle",
                    [target("sum(noc_device_poll_varbinds)", instant=True)],
                ),
                6,
                6,
            ),
            lay.place(
                panel(
                    "timeseries",
                    "Slowest devices (last poll)",
                    [target("topk(10, noc_device_poll_duration_seconds)", "{{device}}")],
                    unit="s",
                ),
                12,
                10,
            ),
            lay.place(
                panel(
                    "timeseries",
                    "Failed polls per minute",
                    [
                        target(
                            "60 * sum by (tier) (rate(noc_device_poll_failures_total[5m]))",
                            "{{tier}}",
                        )
                    ],
                ),
                12,
                10,
            ),
        ],
    )


def build(inv: Inventory) -> dict[str, dict[str, Any]]:
    """Every dashboard, by file name."""
    boards = (overview, site_detail, link_detail, sla_overview, dr_status, collector_health)
    return {f"{b['uid']}.json": b for b in (make(inv) for make in boards)}
