"""A real Prometheus (Debian's package) scraping the collector that polls the lab: rules,
alerts and every PromQL expression we ship, evaluated for real."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from noc.dashboards.build import build as build_dashboards
from noc.exporter.families import FAMILIES
from noc.inventory import Topology, load_inventory
from noc.service import Service, build_service, run_service
from noc.settings import Settings
from noc.snmp.lean_client import LeanClient
from tests.conftest import QUIET_SHARE, ROOT, Lab
from tests.ports import free_port
from tests.subset import subset_inventory


@pytest.fixture(scope="module", autouse=True)
def quiet_uplink(lab: Lab) -> Iterator[None]:
    """No office-hours congestion unless a test makes it: the alerts counted are the test's."""
    with lab.quiet_uplink():
        yield


pytestmark = pytest.mark.integration

EXPORTERS = ROOT / "exporters"
BTS = "bts-05"
# The `for:` of every alert rule of a minute or more, in the tests: three 2 s scrapes.
FOR_S = 6


class BackgroundCollector:
    """`noc collect` in a thread: scheduler, store, /metrics."""

    def __init__(
        self,
        inventory: Path,
        var: Path,
        port: int | None = None,
        database_url: str | None = None,
        **more: Any,
    ) -> None:
        self.port = port or free_port()
        url = database_url or f"sqlite:///{var / 'noc.db'}"
        self.settings = Settings(var_dir=var, http_port=self.port, database_url=url, **more)
        self.inv = load_inventory(inventory)
        self.ready = threading.Event()
        self.service: Service | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.ready.wait(30)

    def _run(self) -> None:
        async def main() -> None:
            self.loop = asyncio.get_running_loop()
            self.stop = asyncio.Event()
            client = LeanClient()
            self.service = build_service(self.inv, client, self.settings)
            self.ready.set()
            await run_service(
                self.service, self.stop, ("127.0.0.1", self.port), self.settings.var_dir
            )
            await client.close()

        asyncio.run(main())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(30)


class Prometheus:
    def __init__(
        self,
        work: Path,
        target_port: int | None,
        alertmanager: str | None = None,
        config_file: str = "prometheus.yml",
    ) -> None:
        """Prometheus on a shipped configuration (`config_file` in exporters/), scraping the
        collector at `target_port`, or, without one, the targets the configuration finds."""
        binary = shutil.which("prometheus")
        if binary is None:
            pytest.fail("prometheus is missing: run `make system-packages`")
        rules = work / "rules"
        rules.mkdir()
        for path in (EXPORTERS / "rules").glob("*.yml"):
            text = path.read_text()
            # Shorter `for:` so a test sees alerts fire in seconds, not minutes, yet over more
            # than one scrape (1 minute is four 15 s scrapes in production; here FOR_S is three
            # 2 s scrapes): one scrape lost on a busy machine neither fires an alert (a
            # collector's series absent for one scrape) nor resolves one, as in production.
            text = re.sub(r"keep_firing_for: \d+m", "keep_firing_for: 10s", text)
            text = re.sub(r"(?<!_)for: 15m", "for: 10s", text)
            text = re.sub(r"(?<!_)for: \d+m", f"for: {FOR_S}s", text)
            (rules / path.name).write_text(text)
        yaml = YAML(typ="safe")
        config = yaml.load((EXPORTERS / config_file).read_text())
        config["global"].update(scrape_interval="2s", evaluation_interval="2s")
        config["scrape_configs"][0]["scrape_timeout"] = "2s"
        if target_port is not None:
            config["scrape_configs"][0]["static_configs"] = [
                {"targets": [f"127.0.0.1:{target_port}"]}
            ]
        config["rule_files"] = [str(rules / "*.yml")]
        if alertmanager is None:
            config.pop("alerting", None)
        else:
            config["alerting"]["alertmanagers"][0]["static_configs"] = [{"targets": [alertmanager]}]
        with (work / "prometheus.yml").open("w") as out:
            yaml.dump(config, out)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                binary,
                f"--config.file={work / 'prometheus.yml'}",
                f"--storage.tsdb.path={work / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(work / "prometheus.log").open("wb"),
        )

    def api(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}?{query}", timeout=10) as r:  # noqa: S310
            body = json.loads(r.read())
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        data = self.api("query", query=expr)
        result: list[dict[str, Any]] = data["result"]
        return result

    def alerts(self, name: str, state: str = "firing") -> list[dict[str, Any]]:
        return [
            a
            for a in self.api("alerts")["alerts"]
            if a["labels"]["alertname"] == name and a["state"] == state
        ]

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:  # Prometheus still starting
            pass
        time.sleep(1)
    pytest.fail(f"timed out after {timeout:g}s waiting for {what}")


@pytest.fixture(scope="module")
def stack(
    lab: Lab, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[BackgroundCollector, Prometheus]]:
    work = tmp_path_factory.mktemp("prom")
    inv = load_inventory(lab.inventory)
    keep = {
        "core-1",
        "core-2",
        BTS,
        *Topology.of(inv).descendants(BTS),
        "fo-01",
        "skpd-kominfo",
        "srv-web-1",
        "dr-router",
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
    collector = BackgroundCollector(inventory, work)
    prometheus = Prometheus(work, collector.port)
    for expr in (
        'noc_link_utilisation_ratio{link="uplink-isp"}',
        'noc_device_state{state="up"} == 1',
        "noc:device_availability:ratio_30d",
        "noc:link_availability:ratio_30d",
    ):
        wait_for(lambda expr=expr: bool(prometheus.query(expr)), 90, expr)  # type: ignore[misc]
    yield collector, prometheus
    prometheus.close()
    collector.close()


def rule_expressions() -> list[str]:
    yaml = YAML(typ="safe")
    out = []
    for path in sorted((EXPORTERS / "rules").glob("*.yml")):
        for group in yaml.load(path.read_text())["groups"]:
            out += [rule["expr"] for rule in group["rules"]]
    return out


def test_every_rule_expression_parses_and_returns_data(
    stack: tuple[BackgroundCollector, Prometheus],
) -> None:
    _, prometheus = stack
    for expr in rule_expressions():
        if (
            "noc_dr_state" in expr
            or "absent(" in expr
            or "> 180" in expr
            or "flapping" in expr
            or "> 300" in expr
            or "noc_clock_offset_seconds" in expr
            or "noc_service_" in expr  # the services: watched here by none of these collectors
            or "noc_topology_" in expr  # the drift check: off in these collectors
            or "noc_flow_" in expr  # flows: these collectors receive none
        ):
            prometheus.query(expr)  # parses; silent by design while all is well
            continue
        if "> 0.8" in expr or 'state="down"' in expr or "noc_device_behind" in expr:
            prometheus.query(expr)
            continue
        # A rule over another recording rule has data once that one has been evaluated.
        wait_for(lambda expr=expr: bool(prometheus.query(expr)), 30, expr)  # type: ignore[misc]


def test_uplink_alert_fires_with_congestion_and_not_before(
    lab: Lab, stack: tuple[BackgroundCollector, Prometheus]
) -> None:
    _, prometheus = stack
    assert not prometheus.alerts("NocUplinkCongested", "firing")
    assert not prometheus.alerts("NocUplinkCongested", "pending")
    lab.scenario("core-1", "congestion", param="0.95")
    try:
        wait_for(lambda: bool(prometheus.alerts("NocUplinkCongested")), 60, "the uplink alert")
        # The rule's average still holds samples from before the congestion when it fires on
        # 2 s polls; the alert's value reaches the congestion's share within its window.
        wait_for(
            lambda: abs(float(prometheus.alerts("NocUplinkCongested")[0]["value"]) - 0.95) <= 0.02,
            60,
            "the alert's value at the congestion's share",
        )
    finally:
        lab.scenario("core-1", "congestion", param=QUIET_SHARE)
    alert = prometheus.alerts("NocUplinkCongested")[0]
    assert alert["labels"]["link"] == "uplink-isp"
    assert float(alert["value"]) == pytest.approx(0.95, abs=0.02)


def test_bts_down_alerts_for_the_bts_only(
    lab: Lab, stack: tuple[BackgroundCollector, Prometheus]
) -> None:
    collector, prometheus = stack
    behind = Topology.of(collector.inv).descendants(BTS)
    for name in [BTS, *behind]:
        lab.scenario(name, "down")
    try:
        wait_for(lambda: bool(prometheus.alerts("NocBtsDown")), 60, "the BTS alert")
        time.sleep(6)  # more evaluations: nothing behind it may alert
        bts_alerts = prometheus.alerts("NocBtsDown")
        assert [a["labels"]["device"] for a in bts_alerts] == [BTS]
        pending = prometheus.alerts("NocDeviceDown", "pending")
        device_alerts = prometheus.alerts("NocDeviceDown") + pending
        assert device_alerts == []
        unreachable = prometheus.query('noc_device_state{state="unreachable"} == 1')
        assert {r["metric"]["device"] for r in unreachable} == set(behind)
        # With a problem on the network, every dashboard panel has something to show.
        for expr in dashboard_expressions(collector):
            if "noc_dr_state" in expr or "noc_flow_" in expr:
                prometheus.query(expr)  # parses; the DR checks (a flow collector) emit it
            else:
                assert prometheus.query(expr), expr
    finally:
        for name in [BTS, *behind]:
            lab.scenario(name, "down", on=False)


def dashboard_expressions(collector: BackgroundCollector) -> list[str]:
    """Every panel query, with the template variables set to a BTS site and the uplink."""
    boards = build_dashboards(load_inventory(ROOT / "inventory.yaml"))
    exprs = [t["expr"] for b in boards.values() for p in b["panels"] for t in p["targets"]]
    return [e.replace("$site", BTS).replace("$link", "uplink-isp") for e in exprs]


def test_rules_and_dashboards_use_only_metrics_the_exporter_emits(
    stack: tuple[BackgroundCollector, Prometheus],
) -> None:
    collector, _ = stack
    with urllib.request.urlopen(f"http://127.0.0.1:{collector.port}/metrics") as r:
        exposed = set(re.findall(r"^# TYPE (\w+) (\w+)", r.read().decode(), re.MULTILINE))
    names = {n for n, kind in exposed} | {f"{n}_total" for n, kind in exposed if kind == "counter"}
    exprs = rule_expressions() + dashboard_expressions(collector)
    used = {n for expr in exprs for n in re.findall(r"\b(noc_[a-z0-9_]+)", expr)}
    # noc_clock_offset_seconds comes from a fleet member only (the fleet's clock test reads it);
    # the services' series from a collector that watches services (test_services reads them).
    watching = {f.name for f in FAMILIES if f.source in ("services", "topology", "flows")}
    assert used - {"noc_dr_state", "noc_clock_offset_seconds"} - watching <= names, used - names


def test_promtool_checks_a_live_scrape_and_the_rules(
    stack: tuple[BackgroundCollector, Prometheus],
) -> None:
    collector, _ = stack
    with urllib.request.urlopen(f"http://127.0.0.1:{collector.port}/metrics") as r:
        scrape = r.read()
    check = subprocess.run(
        ["promtool", "check", "metrics"], input=scrape, capture_output=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.strip() == b"" and check.stderr.strip() == b""
    files = [str(p) for p in (EXPORTERS / "rules").glob("*.yml")]
    rules = subprocess.run(
        ["promtool", "check", "rules", *files], capture_output=True, text=True, check=False
    )
    assert rules.returncode == 0, rules.stdout + rules.stderr
    tests = subprocess.run(
        ["promtool", "test", "rules", "tests/alerts.test.yml"],
        cwd=EXPORTERS,
        capture_output=True,
        text=True,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    config = subprocess.run(
        ["promtool", "check", "config", "--syntax-only", "prometheus.yml"],
        cwd=EXPORTERS,
        capture_output=True,
        text=True,
        check=False,
    )
    assert config.returncode == 0, config.stdout + config.stderr
