"""The dashboards as Grafana would draw them, checked without Grafana: every dashboard is built
through grafana-foundation-sdk, and every panel's queries run against Debian's Prometheus
scraping the collector on the lab, with bts-05 down and the uplink congested. Per panel, the
test asserts what it would display: a row per link in the bar gauge, no internal labels in a
table, stats mapped to text, numeric coordinates on the map, named radios, tier thresholds."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from noc.dashboards.build import build
from noc.inventory import load_inventory
from noc.inventory.topology import Topology
from tests.conftest import Lab
from tests.flowsend import export_flows
from tests.integration.test_prometheus import BackgroundCollector, Prometheus, wait_for
from tests.ports import free_port
from tests.subset import subset_inventory

pytestmark = pytest.mark.integration
BTS = "bts-05"
INTERNAL = {"instance", "job", "__name__"}
VARIABLES = {"$site": "bts-07", "$link": "uplink-isp"}  # a site that answers


@pytest.fixture(scope="module")
def scene(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work: Path = tmp_path_factory.mktemp("boards")
    inv = load_inventory(lab.inventory)
    topo = Topology.of(inv)
    keep = {
        "core-1",
        "core-2",
        BTS,
        *topo.descendants(BTS),
        "bts-07",
        *topo.descendants("bts-07"),
        "fo-01",
        "srv-web-1",
        "dr-router",
        "srv-dr-1",
    }
    inventory = subset_inventory(
        lab.inventory,
        work / "inventory.yaml",
        keep,
        poll_interval_s=2,
        down_after=1,
        up_after=1,
        timeout_s=1.0,
        retries=0,
    )
    collector = BackgroundCollector(
        inventory, work, events_host="127.0.0.1", flow_port=free_port(kind=socket.SOCK_DGRAM)
    )
    prometheus = Prometheus(work, collector.port)
    lab.scenario(BTS, "down")
    lab.scenario("core-1", "congestion", param="0.96")
    try:
        for expr in (
            f'noc_device_state{{device="{BTS}", state="down"}} == 1',
            'noc:link_utilisation:ratio{link="uplink-isp"} > 0.9',
            "noc_dr_state == 1",
            "noc:device_availability:ratio_30d",
            "sum(rate(noc_device_poll_failures_total[5m])) > 0",
            "noc_flow_site_bits_per_second",
        ):
            if "noc_flow_" in expr:  # core-1's flows, once its collector listens
                wait_for(
                    lambda: collector.service is not None and collector.service.flows.port > 0,
                    60,
                    "flows",
                )
                export_flows(
                    collector.inv, "core-1", collector.settings.flow_port, {"skpd-kominfo": 9e6}
                )
            wait_for(lambda expr=expr: bool(prometheus.query(expr)), 120, expr)  # type: ignore[misc]
        yield {
            "prometheus": prometheus,
            "boards": build(load_inventory(inventory)),
            "inv": load_inventory(inventory),
        }
    finally:
        lab.scenario(BTS, "down", on=False)
        lab.scenario("core-1", "congestion", on=False)
        prometheus.close()
        collector.close()


def run(prometheus: Prometheus, expr: str) -> list[dict[str, Any]]:
    for name, value in VARIABLES.items():
        expr = expr.replace(name, value)
    return prometheus.query(expr)


def panels(scene: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, board in scene["boards"].items():
        for panel in board["panels"]:
            yield name, panel


def test_every_panel_query_runs_and_tables_carry_no_internal_labels(
    scene: dict[str, Any],
) -> None:
    prometheus: Prometheus = scene["prometheus"]
    empty = []
    for board, panel in panels(scene):
        for target in panel["targets"]:
            result = run(prometheus, target["expr"])
            if not result:
                empty.append(f"{board}: {panel['title']} ({target['refId']})")
            if panel["type"] in ("table", "geomap", "bargauge"):
                for series in result:
                    assert not INTERNAL & set(series["metric"]), (panel["title"], series)
            if panel["type"] == "table":
                ids = [t["id"] for t in panel.get("transformations", [])]
                assert "organize" in ids, panel["title"]
                if len(panel["targets"]) > 1:
                    assert ids[0] == "merge", panel["title"]  # one frame, not two
    # Only what needs time or an event to have data may be empty in a fresh lab.
    allowed = re.compile(r"Late polls|Errors and discards|Radio signal|Open incidents")
    assert [e for e in empty if not allowed.search(e)] == [], empty


def test_the_congested_links_bar_gauge_has_one_row_per_link_with_the_uplink_on_top(
    scene: dict[str, Any],
) -> None:
    panel = next(p for _, p in panels(scene) if p["title"].startswith("Most congested"))
    assert panel["targets"][0]["format"] == "time_series"  # a row per series, not one table
    result = run(scene["prometheus"], panel["targets"][0]["expr"])
    links = [s["metric"]["link"] for s in result]
    assert len(links) == len(set(links)) >= 2
    assert all(set(s["metric"]) == {"link"} for s in result)
    top = max(result, key=lambda s: float(s["value"][1]))
    assert top["metric"]["link"] == "uplink-isp" and float(top["value"][1]) > 0.9


def test_stats_and_states_show_text_not_numbers(scene: dict[str, Any]) -> None:
    panel = next(p for _, p in panels(scene) if p["title"] == "DR readiness")
    mapping = panel["fieldConfig"]["defaults"]["mappings"][0]["options"]
    (series,) = run(scene["prometheus"], panel["targets"][0]["expr"])
    value = series["value"][1]
    key = str(int(float(value)))
    assert mapping[key]["text"] in ("READY", "DEGRADED", "NOT READY"), (value, mapping)
    # Every state table maps its state column to text and colour.
    for _, p in panels(scene):
        if p["type"] == "table" and "state" in p["targets"][0]["expr"]:
            overrides = {o["matcher"]["options"]: o for o in p["fieldConfig"]["overrides"]}
            props = {x["id"]: x["value"] for x in overrides["state"]["properties"]}
            assert props["mappings"][0]["options"]["down"]["text"] == "DOWN", p["title"]


def test_the_map_reads_numeric_coordinates_and_shows_the_bts_down(scene: dict[str, Any]) -> None:
    panel = next(p for _, p in panels(scene) if p["type"] == "geomap")
    by_ref = {t["refId"]: run(scene["prometheus"], t["expr"]) for t in panel["targets"]}
    lat = {s["metric"]["site"]: float(s["value"][1]) for s in by_ref["B"]}
    lon = {s["metric"]["site"]: float(s["value"][1]) for s in by_ref["C"]}
    state = {s["metric"]["site"]: s["value"][1] for s in by_ref["A"]}
    assert set(state) <= set(lat) == set(lon)
    assert all(-7 < v < -6 for v in lat.values()) and all(106 < v < 107 for v in lon.values())
    mapping = panel["fieldConfig"]["defaults"]["mappings"][0]["options"]
    assert mapping[state[BTS]]["text"] == "DOWN"
    assert mapping[state["bts-07"]]["text"] == "UP"
    layer = panel["options"]["layers"][0]
    assert layer["location"] == {"mode": "coords", "latitude": "latitude", "longitude": "longitude"}
    renames = next(t for t in panel["transformations"] if t["id"] == "organize")["options"]
    assert renames["renameByName"] == {
        "Value #A": "state",
        "Value #B": "latitude",
        "Value #C": "longitude",
    }


def test_tier_thresholds_come_from_each_tiers_target(scene: dict[str, Any]) -> None:
    inv = scene["inv"]
    panel = next(p for _, p in panels(scene) if p["title"].startswith("Availability, last 30"))
    by_name = {
        o["matcher"]["options"]: o["properties"][0]["value"]["steps"]
        for o in panel["fieldConfig"]["overrides"]
    }
    for tier, policy in inv.tiers.items():
        name = f"{tier.value} (target {policy.sla_target:.1%})"
        orange = next(s for s in by_name[name] if s["color"] == "orange")
        assert orange["value"] == pytest.approx(policy.sla_target), tier
    access = inv.tiers[next(t for t in inv.tiers if t.value == "access")].sla_target
    # 99.5% on the access tier (target 99%) is past its orange step: green, not orange.
    steps = by_name[f"access (target {access:.1%})"]
    colour = [s["color"] for s in steps if s["value"] is None or s["value"] <= 0.995][-1]
    assert colour == "green"


def test_radios_are_named_in_the_legend(scene: dict[str, Any]) -> None:
    panel = next(p for _, p in panels(scene) if p["title"] == "Radio signal")
    assert "{{radio_name}}" in panel["targets"][0]["legendFormat"]
    result = scene["prometheus"].query("noc_radio_signal_dbm")
    for series in result:
        assert not series["metric"]["radio_name"].startswith(("mtxr:", "ubnt:")), series


def test_the_overview_links_to_the_site_and_link_dashboards(scene: dict[str, Any]) -> None:
    links = {ln["url"] for ln in scene["boards"]["noc-overview.json"]["links"]}
    assert {"/d/noc-site", "/d/noc-link"} <= links
