"""Grafana dashboards generated from the inventory with Grafana's own typed builders
(grafana-foundation-sdk, the release for Grafana 11), never hand-written JSON.

`build(inventory)` returns {file name: dashboard JSON}; `noc dashboards build` writes them to
`dashboards/`, where they are committed (a test fails when they are stale).

What a panel shows is decided here, in the query and its transformations, so it can be checked
without Grafana: states and readiness are numbers mapped to text and colour; a bar gauge gets
one series per link; tables get aggregated series (no `instance`, `job` or `__name__`) merged
into one frame; thresholds come from each tier's target; radios are named; the map reads
numeric coordinates.
"""

from __future__ import annotations

import json
import re
from itertools import count
from typing import Any

from grafana_foundation_sdk.builders import (
    bargauge,
    gauge,
    geomap,
    prometheus,
    stat,
    statetimeline,
    table,
    timeseries,
)
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders.common import (
    FrameGeometrySource,
    GraphThresholdsStyleConfig,
    MapLayerOptions,
    ReduceDataOptions,
)
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

from noc.inventory import Inventory
from noc.inventory.model import Link, SiteKind, Tier

DATASOURCE = dm.DataSourceRef(type_val="prometheus", uid="noc-prometheus")
STATE_COLOURS = {
    "up": "green",
    "down": "red",
    "unreachable": "orange",
    "unknown": "text",
    "maintenance": "blue",
    "flapping": "purple",
}
# DR readiness as a number the stat can map: 2 ready, 1 degraded, 0 not ready.
DR_READINESS = (
    '2 * max(noc_dr_state{state="ready"}) + max(noc_dr_state{state="degraded"}) or on() vector(-1)'
)
DR_MAPPING = {
    "2": ("READY", "green"),
    "1": ("DEGRADED", "orange"),
    "0": ("NOT READY", "red"),
    "-1": ("NOT CHECKED", "text"),
}
INTERNAL = {"instance": True, "job": True, "__name__": True, "Time": True, "Value": True}


def value_map(entries: dict[str, tuple[str, str]]) -> dm.ValueMap:
    return dm.ValueMap(
        options={
            k: dm.ValueMappingResult(text=t, color=c, index=i)
            for i, (k, (t, c)) in enumerate(entries.items())
        }
    )


STATE_MAP = value_map({s: (s.upper(), c) for s, c in STATE_COLOURS.items()})


def query(
    expr: str, legend: str = "", *, instant: bool = False, ref: str = "A", tabular: bool = False
) -> prometheus.Dataquery:
    """A PromQL query; `tabular` for a table's instant query (one row per series)."""
    q = prometheus.Dataquery().expr(expr).ref_id(ref).datasource(DATASOURCE)
    q = q.legend_format(legend or "__auto")
    if instant:
        q = q.instant().format(PromQueryFormat.TABLE if tabular else PromQueryFormat.TIME_SERIES)
    return q


def big(title: str) -> stat.Panel:
    """A stat showing the last value of its query."""
    return stat.Panel().title(title).reduce_options(ReduceDataOptions().calcs(["lastNotNull"]))


def steps(*pairs: tuple[float | None, str]) -> dash.ThresholdsConfig:
    return (
        dash.ThresholdsConfig()
        .mode(dm.ThresholdsMode.ABSOLUTE)
        .steps([dm.Threshold(value=v, color=c) for v, c in pairs])
    )


def organise(exclude: dict[str, bool], rename: dict[str, str] | None = None) -> Any:
    return dm.DataTransformerConfig(
        id_val="organize", options={"excludeByName": exclude, "renameByName": rename or {}}
    )


MERGE = dm.DataTransformerConfig(id_val="merge", options={})


class Layout:
    """Places panels left to right on Grafana's 24-column grid, with unique ids."""

    def __init__(self) -> None:
        self.x = self.y = self.row_h = 0
        self.ids = count(1)

    def place(self, panel: Any, w: int, h: int) -> Any:
        if self.x + w > 24:
            self.x, self.y, self.row_h = 0, self.y + self.row_h, 0
        panel.grid_pos(dm.GridPos(h=h, w=w, x=self.x, y=self.y)).id(next(self.ids))
        panel.datasource(DATASOURCE)
        self.x += w
        self.row_h = max(self.row_h, h)
        return panel


def board(uid: str, title: str, tags: tuple[str, ...] = ()) -> dash.Dashboard:
    return (
        dash.Dashboard(title)
        .uid(uid)
        .tags(["noc", "kota-bogor", *tags])
        .timezone("Asia/Jakarta")
        .editable()
        .readonly()
        .refresh("30s")
        .time("now-6h", "now")
    )


def link_to(title: str, uid: str) -> dash.DashboardLink:
    return (
        dash.DashboardLink(title)
        .type(dm.DashboardLinkType.LINK)
        .url(f"/d/{uid}")
        .keep_time(True)
        .include_vars(False)
        .target_blank(False)
        .as_dropdown(False)
        .tooltip(title)
        .icon("dashboard")
    )


def query_variable(name: str, label: str, expr: str) -> dash.QueryVariable:
    return (
        dash.QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(f"label_values({expr}, {name})")
        .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dm.VariableSort.ALPHABETICAL_ASC)
        .include_all(False)
        .multi(False)
    )


def state_table(title: str, selector: str) -> table.Panel:
    """The current state of every device the selector picks, one row each."""
    return (
        table.Panel()
        .title(title)
        .with_target(
            query(
                f"max by (device, site, role, state) (noc_device_state{{{selector}}} == 1)",
                instant=True,
                tabular=True,
            )
        )
        .with_transformation(organise({"Time": True, "Value": True}))
        .override_by_name(
            "state",
            [
                dm.DynamicConfigValue(id_val="mappings", value=[STATE_MAP]),
                dm.DynamicConfigValue(
                    id_val="custom.cellOptions", value={"type": "color-background"}
                ),
            ],
        )
    )


def detail(
    uid: str,
    title: str,
    lay: Layout,
    panels: list[tuple[Any, int, int]],
    variable: dash.QueryVariable | None = None,
) -> dash.Dashboard:
    """A dashboard below the overview: its panels placed in order, a link back up."""
    out = board(uid, title).link(link_to("NOC overview", "noc-overview"))
    if variable is not None:
        out.with_variable(variable)
    for panel, w, h in panels:
        out.with_panel(lay.place(panel, w, h))
    return out


def uplink(inv: Inventory) -> Link:
    if inv.uplink is None:
        raise ValueError("the inventory has no ISP link: the overview needs the uplink")
    return inv.uplink


def overview(inv: Inventory) -> dash.Dashboard:
    lay = Layout()
    the_uplink = uplink(inv)
    up, bps = the_uplink.name, the_uplink.capacity_bps
    centre = inv.site(inv.network.collector_site)
    # State per BTS site (2 down .. 0 up) joined with the site's numeric coordinates.
    geo = (
        geomap.Panel()
        .title("BTS sites")
        .with_target(
            query(
                'max by (site) (2 * (noc_device_state{role="bts", '
                'state="down"} == 1) or 1 * (noc_device_state{role="bts", '
                'state="unreachable"} == 1) or 0 * (noc_device_state{role="bts", '
                'state="up"} == 1))',
                instant=True,
                tabular=True,
            )
        )
        .with_target(
            query(
                'max by (site) (noc_site_latitude_degrees{kind="bts"})',
                instant=True,
                tabular=True,
                ref="B",
            )
        )
        .with_target(
            query(
                'max by (site) (noc_site_longitude_degrees{kind="bts"})',
                instant=True,
                tabular=True,
                ref="C",
            )
        )
        .with_transformation(
            dm.DataTransformerConfig(
                id_val="joinByField", options={"byField": "site", "mode": "outer"}
            )
        )
        .with_transformation(
            organise(
                {"Time 1": True, "Time 2": True, "Time 3": True},
                {"Value #A": "state", "Value #B": "latitude", "Value #C": "longitude"},
            )
        )
        .mappings(
            [
                value_map(
                    {"0": ("UP", "green"), "1": ("UNREACHABLE", "orange"), "2": ("DOWN", "red")}
                )
            ]
        )
        .view(
            geomap.MapViewConfig()
            .id("coords")
            .lat(centre.lat)  # type: ignore[arg-type]
            .lon(centre.lon)  # type: ignore[arg-type]
            .zoom(12)
        )
        .controls(geomap.ControlsOptions().show_zoom(True))
        .layers(
            [
                MapLayerOptions()
                .type("markers")
                .name("BTS")
                .location(
                    FrameGeometrySource()
                    .mode(cm.FrameGeometrySourceMode.COORDS)
                    .latitude("latitude")
                    .longitude("longitude")
                )
                .config(
                    {
                        "style": {
                            "color": {"field": "state"},
                            "size": {"fixed": 8},
                            "text": {"field": "site", "mode": "field"},
                        }
                    }
                )
            ]
        )
    )
    uplink_panel = (
        timeseries.Panel()
        .title(f"Internet uplink ({bps / 1e6:g} Mbps contract)")
        .with_target(
            query(f'8 * noc_link_throughput_bytes_per_second{{link="{up}"}}', "{{direction}}")
        )
        .unit("bps")
        .max(bps * 1.1)
        .thresholds(steps((None, "green"), (0.8 * bps, "orange"), (float(bps), "red")))
        .thresholds_style(
            GraphThresholdsStyleConfig().mode(cm.GraphThresholdsStyleMode.LINE_AND_AREA)
        )
    )
    congested = (
        bargauge.Panel()
        .title("Most congested links (share of contract)")
        .with_target(
            query("topk(10, max by (link) (noc:link_utilisation:ratio))", "{{link}}", instant=True)
        )
        .unit("percentunit")
        .min(0)
        .max(1)
        .thresholds(steps((None, "green"), (0.8, "orange"), (0.95, "red")))
        .orientation(cm.VizOrientation.HORIZONTAL)
        .display_mode(cm.BarGaugeDisplayMode.GRADIENT)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
    talkers = (
        bargauge.Panel()
        .title("Top users of the uplink (flows, last 5 minutes)")
        .with_target(
            query(
                "topk(10, sum by (site) (noc_flow_site_bits_per_second))",
                "{{site}}",
                instant=True,
            )
        )
        .unit("bps")
        .min(0)
        .max(bps)
        .thresholds(steps((None, "blue"), (0.25 * bps, "orange")))
        .orientation(cm.VizOrientation.HORIZONTAL)
        .display_mode(cm.BarGaugeDisplayMode.GRADIENT)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
    incidents = (
        big("Open incidents")
        .with_target(query("sum(noc_incidents_open)", instant=True))
        .thresholds(steps((None, "green"), (1, "red")))
    )
    problems = (
        table.Panel()
        .title("Devices and links with a problem")
        .with_target(
            query(
                "max by (device, site, state) (noc_device_state{state=~"
                '"down|flapping|unreachable"} == 1)',
                instant=True,
                tabular=True,
            )
        )
        .with_target(
            query(
                "max by (link, site, state) (noc_link_state{state=~"
                '"down|flapping|unreachable"} == 1)',
                instant=True,
                tabular=True,
                ref="B",
            )
        )
        .with_transformation(MERGE)
        .with_transformation(organise(INTERNAL))
        .override_by_name("state", [dm.DynamicConfigValue(id_val="mappings", value=[STATE_MAP])])
    )
    availability = (
        bargauge.Panel()
        .title("Availability, last 30 days, against each tier's target")
        .unit("percentunit")
        .min(0.95)
        .max(1)
        .decimals(2)
        .orientation(cm.VizOrientation.HORIZONTAL)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
    for i, tier in enumerate(Tier):
        target = inv.tiers[tier].sla_target
        name = f"{tier.value} (target {target:.1%})"
        expr = f'avg(noc:device_availability:ratio_30d{{tier="{tier.value}"}})'
        availability.with_target(query(expr, name, ref=chr(65 + i)))
        # Red below the tier's target, orange within half of its allowance above, green.
        margin = (1 - target) / 2
        availability.override_by_name(
            name,
            [
                dm.DynamicConfigValue(
                    id_val="thresholds",
                    value=steps(
                        (None, "red"), (target, "orange"), (target + margin, "green")
                    ).build(),
                )
            ],
        )
    return (
        board("noc-overview", "NOC overview")
        .link(link_to("Site detail", "noc-site"))
        .link(link_to("Link detail", "noc-link"))
        .with_panel(lay.place(geo, 12, 12))
        .with_panel(lay.place(uplink_panel, 12, 12))
        .with_panel(lay.place(congested, 12, 10))
        .with_panel(lay.place(talkers, 12, 10))
        .with_panel(lay.place(incidents, 4, 10))
        .with_panel(lay.place(problems, 20, 10))
        .with_panel(lay.place(availability, 24, 6))
    )


def per_second(counter: str, selector: str) -> str:
    """An interface counter's rate on the devices `selector` picks by their inventory labels:
    interface series carry device and interface only, the rest joins from noc_device_info."""
    return (
        f"sum by (device, interface) (rate({counter}[5m]) "
        f"* on (device) group_left () group by (device) (noc_device_info{{{selector}}}))"
    )


def site_detail(inv: Inventory) -> dash.Dashboard:
    lay = Layout()
    sel = 'site="$site"'
    panels = [
        (state_table("Devices at the site", sel), 12, 8),
        (
            big("Uptime")
            .unit("s")
            .with_target(query(f"noc_device_uptime_seconds{{{sel}}}", "{{device}}", instant=True)),
            12,
            8,
        ),
        (
            timeseries.Panel()
            .title("Interface throughput")
            .unit("bps")
            .with_target(
                query(
                    f"noc:interface_throughput:bits_per_second{{{sel}}}",
                    "{{device}} {{interface}} {{direction}}",
                )
            ),
            12,
            10,
        ),
        (
            timeseries.Panel()
            .title("Utilisation of the port speed")
            .unit("percentunit")
            .with_target(
                query(f"noc:interface_utilisation:ratio{{{sel}}}", "{{device}} {{interface}}")
            ),
            12,
            10,
        ),
        (
            timeseries.Panel()
            .title("Radio signal")
            .unit("dBm")
            .with_target(query(f"noc_radio_signal_dbm{{{sel}}}", "{{device}} {{radio_name}}")),
            12,
            8,
        ),
        (
            timeseries.Panel()
            .title("Errors and discards per second")
            .with_target(
                query(
                    per_second("noc_interface_errors_total", sel), "errors {{device}} {{interface}}"
                )
            )
            .with_target(
                query(
                    per_second("noc_interface_discards_total", sel),
                    "discards {{device}} {{interface}}",
                    ref="B",
                )
            ),
            12,
            8,
        ),
    ]
    return detail(
        "noc-site", "Site detail", lay, panels, query_variable("site", "Site", "noc_device_state")
    )


def link_detail(inv: Inventory) -> dash.Dashboard:
    lay = Layout()
    sel = 'link="$link"'
    panels = [
        (
            timeseries.Panel()
            .title("Throughput against the contract")
            .unit("bps")
            .with_target(
                query(f"8 * noc_link_throughput_bytes_per_second{{{sel}}}", "{{direction}}")
            )
            .with_target(
                query(
                    f"8 * max(noc_link_contracted_bytes_per_second{{{sel}}})", "contract", ref="B"
                )
            ),
            16,
            10,
        ),
        (
            gauge.Panel()
            .title("Utilisation now")
            .unit("percentunit")
            .min(0)
            .max(1)
            .with_target(query(f"max(noc:link_utilisation:ratio{{{sel}}})", instant=True))
            .thresholds(steps((None, "green"), (0.8, "orange"), (0.95, "red"))),
            8,
            10,
        ),
        (
            statetimeline.Panel()
            .title("State")
            .mappings([STATE_MAP])
            .with_target(query(f"max by (state) (noc_link_state{{{sel}}} == 1)", "{{state}}")),
            16,
            6,
        ),
        (
            big("Availability 1 h / 1 d / 30 d")
            .unit("percentunit")
            .decimals(3)
            .with_target(query(f"max(noc:link_availability:ratio_1h{{{sel}}})", "1 h"))
            .with_target(query(f"max(noc:link_availability:ratio_1d{{{sel}}})", "1 d", ref="B"))
            .with_target(query(f"max(noc:link_availability:ratio_30d{{{sel}}})", "30 d", ref="C")),
            8,
            6,
        ),
    ]
    return detail(
        "noc-link", "Link detail", lay, panels, query_variable("link", "Link", "noc_link_state")
    )


def sla_overview(inv: Inventory) -> dash.Dashboard:
    lay = Layout()
    lowest = [dm.DynamicConfigValue(id_val="unit", value="percentunit")]
    panels = [
        (
            table.Panel()
            .title("Device availability, last 30 days (lowest first)")
            .decimals(3)
            .with_target(
                query(
                    "sort(max by (device, tier) (noc:device_availability:ratio_30d))",
                    instant=True,
                    tabular=True,
                )
            )
            .with_transformation(organise({"Time": True}, {"Value": "availability"}))
            .override_by_name("availability", lowest),
            12,
            14,
        ),
        (
            table.Panel()
            .title("Link availability, last 30 days (lowest first)")
            .decimals(3)
            .with_target(
                query(
                    "sort(max by (link, tier) (noc:link_availability:ratio_30d))",
                    instant=True,
                    tabular=True,
                )
            )
            .with_transformation(organise({"Time": True}, {"Value": "availability"}))
            .override_by_name("availability", lowest),
            12,
            14,
        ),
        (
            timeseries.Panel()
            .title("Availability by tier, 1 h")
            .unit("percentunit")
            .with_target(query("avg by (tier) (noc:device_availability:ratio_1h)", "{{tier}}")),
            24,
            8,
        ),
    ]
    return detail("noc-sla", "SLA overview", lay, panels)


def dr_status(inv: Inventory) -> dash.Dashboard:
    lay = Layout()
    dr_sites = [s.name for s in inv.sites if s.kind is SiteKind.DR]
    sel = f'site=~"{"|".join(dr_sites)}"'
    panels = [
        (
            big("DR readiness")
            .mappings([value_map(DR_MAPPING)])
            .with_target(query(DR_READINESS, "readiness", instant=True))
            .color_mode(cm.BigValueColorMode.BACKGROUND)
            .text_mode(cm.BigValueTextMode.VALUE),
            8,
            6,
        ),
        (state_table("DR site devices", sel), 16, 6),
        (
            timeseries.Panel()
            .title("DR links: utilisation")
            .unit("percentunit")
            .with_target(query(f"max by (link) (noc:link_utilisation:ratio{{{sel}}})", "{{link}}")),
            24,
            8,
        ),
    ]
    return detail("noc-dr", "DR status", lay, panels)


def collector_health(inv: Inventory) -> dash.Dashboard:
    lay = Layout()
    panels = [
        (
            big("Seconds since the last successful poll")
            .unit("s")
            .with_target(
                query("time() - max(noc_collector_last_success_timestamp_seconds)", instant=True)
            )
            .thresholds(steps((None, "green"), (120, "orange"), (180, "red"))),
            6,
            6,
        ),
        (
            big("Store: events waiting")
            .with_target(query("max(noc_store_pending_events)", instant=True))
            .thresholds(steps((None, "green"), (1000, "orange"))),
            6,
            6,
        ),
        (
            big("Late polls per minute").with_target(
                query("60 * sum(rate(noc_collector_late_polls_total[5m]))", instant=True)
            ),
            6,
            6,
        ),
        (
            big("Varbinds per poll cycle").with_target(
                query("sum(noc_device_poll_varbinds)", instant=True)
            ),
            6,
            6,
        ),
        (
            timeseries.Panel()
            .title("Slowest devices (last poll)")
            .unit("s")
            .with_target(
                query("topk(10, max by (device) (noc_device_poll_duration_seconds))", "{{device}}")
            ),
            12,
            10,
        ),
        (
            timeseries.Panel()
            .title("Failed polls per minute")
            .with_target(
                query("60 * sum by (tier) (rate(noc_device_poll_failures_total[5m]))", "{{tier}}")
            ),
            12,
            10,
        ),
    ]
    return detail("noc-collector", "Collector health", lay, panels)


def to_json(builder: dash.Dashboard) -> dict[str, Any]:
    """The dashboard as Grafana's JSON model, through the SDK's own encoder."""
    data: dict[str, Any] = json.loads(json.dumps(builder.build(), cls=JSONEncoder))
    return data


# Every word a person reads on the dashboards, in Bahasa Indonesia as a Diskominfo screen
# writes it. A dashboard in Indonesian has the uid of the English one with `-id`.
INDONESIAN = {
    "Availability 1 h / 1 d / 30 d": "Ketersediaan 1 jam / 1 hari / 30 hari",
    "Availability by tier, 1 h": "Ketersediaan per tingkat, 1 jam",
    "Availability, last 30 days, against each tier's target": (
        "Ketersediaan 30 hari terakhir terhadap target tiap tingkat"
    ),
    "BTS sites": "Situs BTS",
    "Collector health": "Kesehatan kolektor",
    "DEGRADED": "TERBATAS",
    "DOWN": "MATI",
    "DR links: utilisation": "Jalur DR: pemakaian",
    "DR readiness": "Kesiapan DR",
    "DR site devices": "Perangkat situs DR",
    "DR status": "Status DR",
    "Device availability, last 30 days (lowest first)": (
        "Ketersediaan perangkat 30 hari terakhir (terendah lebih dulu)"
    ),
    "Devices and links with a problem": "Perangkat dan jalur yang bermasalah",
    "Devices at the site": "Perangkat di situs",
    "Errors and discards per second": "Galat dan paket dibuang per detik",
    "FLAPPING": "TIDAK STABIL",
    "Failed polls per minute": "Polling gagal per menit",
    "Interface throughput": "Lalu lintas antarmuka",
    "Late polls per minute": "Polling terlambat per menit",
    "Link": "Jalur",
    "Link availability, last 30 days (lowest first)": (
        "Ketersediaan jalur 30 hari terakhir (terendah lebih dulu)"
    ),
    "Link detail": "Rincian jalur",
    "MAINTENANCE": "PEMELIHARAAN",
    "Most congested links (share of contract)": "Jalur terpadat (bagian dari kapasitas kontrak)",
    "NOC overview": "Ringkasan NOC",
    "NOT CHECKED": "BELUM DIPERIKSA",
    "NOT READY": "TIDAK SIAP",
    "Open incidents": "Gangguan terbuka",
    "Top users of the uplink (flows, last 5 minutes)": (
        "Pemakai terbesar uplink (flow, 5 menit terakhir)"
    ),
    "READY": "SIAP",
    "Radio signal": "Sinyal radio",
    "SLA overview": "Ringkasan SLA",
    "Seconds since the last successful poll": "Detik sejak polling berhasil terakhir",
    "Site": "Situs",
    "Site detail": "Rincian situs",
    "Slowest devices (last poll)": "Perangkat paling lambat (polling terakhir)",
    "State": "Status",
    "Store: events waiting": "Penyimpanan: kejadian menunggu",
    "Throughput against the contract": "Lalu lintas terhadap kapasitas kontrak",
    "UNKNOWN": "BELUM DIKETAHUI",
    "UNREACHABLE": "TAK TERJANGKAU",
    "UP": "NORMAL",
    "Uptime": "Lama menyala",
    "Utilisation of the port speed": ("Pemakaian terhadap kecepatan port"),
    "Utilisation now": "Pemakaian sekarang",
    "Varbinds per poll cycle": "Varbind per siklus polling",
    "availability": "ketersediaan",
}
_UPLINK_TITLE = re.compile(r"^Internet uplink \(([\d.]+) Mbps contract\)$")
_READ = frozenset({"title", "displayName", "text", "tooltip", "label", "description"})


def indonesian(text: str) -> str:
    """The words of a dashboard in Bahasa Indonesia; KeyError names one with none."""
    uplink_title = _UPLINK_TITLE.match(text)
    if uplink_title:
        return f"Uplink internet (kapasitas kontrak {uplink_title.group(1)} Mbps)"
    return INDONESIAN[text]


def in_indonesian(board: dict[str, Any], uids: set[str]) -> dict[str, Any]:
    """The same dashboard with every word a person reads in Bahasa Indonesia (titles, value
    mappings, column names, links), its uid and its links to the others ending in `-id`."""

    def walk(node: Any, key: str = "") -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for k, v in node.items():
                if k == "renameByName" and isinstance(v, dict):
                    # Columns a person reads; those a panel reads by name (the map's latitude,
                    # longitude and state) keep theirs.
                    out[k] = {name: INDONESIAN.get(shown, shown) for name, shown in v.items()}
                elif k in _READ and isinstance(v, str) and v and not v.startswith("$"):
                    out[k] = indonesian(v)
                elif k == "url" and isinstance(v, str) and v.startswith("/d/"):
                    out[k] = v + "-id" if v[3:] in uids else v
                elif k == "uid" and v in uids:
                    out[k] = f"{v}-id"
                else:
                    out[k] = walk(v, k)
            return out
        if isinstance(node, list):
            return [walk(v, key) for v in node]
        return node

    translated: dict[str, Any] = walk(board)
    translated["tags"] = [*board.get("tags", []), "bahasa-indonesia"]
    return translated


def build(inv: Inventory, lang: str = "en") -> dict[str, dict[str, Any]]:
    """Every dashboard, by file name: in English, or (`lang="id"`) in Bahasa Indonesia."""
    boards = (overview, site_detail, link_detail, sla_overview, dr_status, collector_health)
    made = [to_json(make(inv)) for make in boards]
    if lang == "id":
        uids = {str(b["uid"]) for b in made}
        made = [in_indonesian(b, uids) for b in made]
    return {f"{b['uid']}.json": b for b in made}
