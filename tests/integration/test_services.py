"""The services watched from three vantage points against the lab's real servers: two
collectors of a fleet on PostgreSQL (dc-1 and dr-1, each checking from its own loopback
address) and one `noc probe` outside (ext-1), reporting through the API with a probe token.

- Cutting dr-1's uplink (the lab answers nothing from its address, its canary included)
  gives no incident: dr-1 abstains.
- A stopped SPSE web server gives one incident within two probe intervals, blamed on the
  server (down from inside and outside).
- SIM Kantaya serving a maintenance page is DOWN with the reason.
- The intermediate certificate that expires in 10 days is in /metrics by name.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from sqlalchemy import select
from sqlalchemy.orm import Session

from noc.lab.egov import LabServices, Site
from noc.store.db import make_engine
from noc.store.models import IncidentRow
from tests.conftest import ROOT, Lab, pg_database
from tests.integration.test_wall import CHROMIUM, SHOTS
from tests.integration.test_wall import until as page_until
from tests.ports import free_port
from tests.subset import subset_inventory

pytestmark = pytest.mark.integration

INTERVAL_S = 10
WEB, DB = "127.0.9.11", "127.0.9.12"
SOURCES = {"dc-1": "127.0.9.101", "dr-1": "127.0.9.102", "ext-1": "127.0.9.103"}
CANARY = "127.0.9.200"
KEEP = {"core-1", "srv-web-1", "srv-db-1"}


class EgovLab:
    """The lab's e-government servers on an event loop of their own thread."""

    def __init__(self, directory: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.lab = LabServices(directory)
        self.ports: dict[str, int] = {}

    def start(self) -> None:
        async def setup() -> None:
            lab, p = self.lab, self.ports
            for name in ("lpse", "kantaya", "smtp", "canary"):
                p[name] = free_port(WEB if name != "canary" else CANARY)
            p["ns1"] = free_port(DB, kind=socket.SOCK_DGRAM)
            await lab.site(Site("lpse.kotabogor.go.id", WEB, p["lpse"]))
            await lab.site(Site("kantaya.kotabogor.go.id", WEB, p["kantaya"]))
            await lab.banner("smtp", WEB, p["smtp"], "220 mail.kotabogor.go.id ESMTP")
            await lab.banner("canary", CANARY, p["canary"], "uplink")
            lab.zone = {"lpse.kotabogor.go.id": WEB}
            await lab.dns("ns1", DB, p["ns1"])

        asyncio.run_coroutine_threadsafe(setup(), self.loop).result(30)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.lab.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def services_yaml(p: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {
            "name": "lpse",
            "title": "LPSE (SPSE e-procurement)",
            "runs_on": ["srv-web-1"],
            "interval_s": INTERVAL_S,
            "checks": [
                {
                    "http": {
                        "url": f"https://lpse.kotabogor.go.id:{p['lpse']}/eproc4/login",
                        "connect_to": f"{WEB}:{p['lpse']}",
                        "contains": "SPSE",
                        "max_s": 3,
                    }
                },
                {"dns": {"name": "lpse.kotabogor.go.id", "servers": [f"{DB}:{p['ns1']}"]}},
            ],
        },
        {
            "name": "kantaya",
            "title": "SIM Kantaya (e-office)",
            "runs_on": ["srv-web-1"],
            "interval_s": INTERVAL_S,
            "checks": [
                {
                    "http": {
                        "url": f"https://kantaya.kotabogor.go.id:{p['kantaya']}/",
                        "connect_to": f"{WEB}:{p['kantaya']}",
                        "contains": "SIM Kantaya",
                    }
                }
            ],
        },
        {
            "name": "webmail",
            "title": "Webmail (SMTP)",
            "runs_on": ["srv-web-1"],
            "interval_s": INTERVAL_S,
            "checks": [{"tcp": {"connect_to": f"{WEB}:{p['smtp']}", "banner": "220"}}],
        },
    ]


@dataclass
class Fleet:
    egov: EgovLab
    db_url: str
    env: dict[str, str]
    ports: dict[str, int]
    procs: dict[str, subprocess.Popen[bytes]]
    viewer: str
    work: Path

    def api(self, path: str) -> Any:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.ports['dc-1']}{path}",
            headers={"Authorization": f"Bearer {self.viewer}"},
        )
        with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310
            return json.load(r)

    def services(self) -> dict[str, dict[str, Any]]:
        return {s["service"]: s for s in self.api("/api/v1/services")["services"]}

    def metrics(self, name: str) -> str:
        url = f"http://127.0.0.1:{self.ports[name]}/metrics"
        with urllib.request.urlopen(url, timeout=10) as r:
            return str(r.read().decode())

    def incidents(self) -> list[IncidentRow]:
        engine = make_engine(self.db_url)
        try:
            with Session(engine) as session:
                query = select(IncidentRow).where(IncidentRow.entity.like("service:%"))
                return list(session.scalars(query))
        finally:
            engine.dispose()


def noc(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "noc", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def until(what: str, check: Any, within_s: float) -> float:
    started = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - started
        except OSError:
            pass
        assert time.monotonic() - started < within_s, f"not within {within_s} s: {what}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def fleet(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    work = tmp_path_factory.mktemp("services")
    egov = EgovLab(work / "ca")
    egov.start()
    inventory = subset_inventory(
        lab.inventory, work / "inventory.yaml", KEEP, poll_interval_s=5, timeout_s=1.0
    )
    yaml = YAML(typ="safe")
    doc = yaml.load(inventory.read_text())
    doc["services"] = services_yaml(egov.ports)
    with inventory.open("w") as out:
        yaml.dump(doc, out)
    with pg_database("noc_services") as db:
        base = {
            **os.environ,
            "NOC_DATABASE_URL": db.url,
            "NOC_INVENTORY": str(inventory),
            "NOC_SERVICE_CA_FILE": str(egov.lab.ca.ca_file),
            "NOC_VANTAGE_CANARY": f"{CANARY}:{egov.ports['canary']}",
            "NOC_LEASE_S": "4",
            "NOC_WATCH_SERVICES": "1",
        }
        ports, procs = {}, {}
        for name, site in (("dc-1", "dc"), ("dr-1", "dr")):
            ports[name] = free_port()
            env = {
                **base,
                "NOC_VAR_DIR": str(work / name),
                "NOC_HTTP_PORT": str(ports[name]),
                "NOC_VANTAGE_SOURCE": SOURCES[name],
            }
            procs[name] = subprocess.Popen(
                [sys.executable, "-m", "noc", "serve", "--name", name, "--site", site],
                env=env,
                stdout=(work / f"{name}.log").open("wb"),
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        tool_env = {**base, "NOC_VAR_DIR": str(work / "tool")}
        until("the store's tables", lambda: noc(tool_env, "token", "list").returncode == 0, 60)
        viewer = json.loads(
            noc(tool_env, "token", "create", "wall", "--role", "viewer", "--json").stdout
        )["token"]
        made = noc(tool_env, "token", "create", "ext-1", "--role", "probe", "--json")
        assert made.returncode == 0, made.stderr
        probe_env = {**tool_env, "NOC_PROBE_TOKEN": json.loads(made.stdout)["token"]}
        procs["ext-1"] = subprocess.Popen(
            [
                *(sys.executable, "-m", "noc", "probe", "--name", "ext-1"),
                *("--report-to", f"http://127.0.0.1:{ports['dc-1']}"),
                *("--source", SOURCES["ext-1"], "--canary", f"{CANARY}:{egov.ports['canary']}"),
                *("--ca-file", str(egov.lab.ca.ca_file)),
            ],
            env=probe_env,
            stdout=(work / "ext-1.log").open("wb"),
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        f = Fleet(egov, db.url, tool_env, ports, procs, viewer, work)
        try:
            until(
                "every service up, by three vantage points",
                lambda: all(s["state"] == "up" and s["voters"] == 3 for s in f.services().values()),
                90,
            )
            yield f
        finally:
            for proc in procs.values():
                proc.terminate()
            for proc in procs.values():
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:  # never left running after the test
                    proc.kill()
                    proc.wait(10)
            egov.close()


def test_a_vantage_point_whose_uplink_is_cut_abstains_and_opens_nothing(fleet: Fleet) -> None:
    before = len(fleet.incidents())
    fleet.egov.lab.cut.add(SOURCES["dr-1"])
    try:
        until(
            "dr-1 abstaining on every service",
            lambda: all(s["abstaining"] == ["dr-1"] for s in fleet.services().values()),
            3 * INTERVAL_S,
        )
        time.sleep(2 * INTERVAL_S)  # two more rounds of dr-1 failing every check
        assert all(s["state"] == "up" for s in fleet.services().values())
        assert 'noc_service_vantage_uplink_up{vantage="dr-1"} 0.0' in fleet.metrics("dr-1")
    finally:
        fleet.egov.lab.cut.discard(SOURCES["dr-1"])
    assert len(fleet.incidents()) == before


def test_a_stopped_spse_server_is_one_incident_within_two_intervals(fleet: Fleet) -> None:
    fleet.egov.lab.scenario("lpse.kotabogor.go.id", "down")
    try:
        took = until(
            "an incident for lpse",
            lambda: [i for i in fleet.incidents() if i.entity == "service:lpse"],
            4 * INTERVAL_S,
        )
        said = f"SPSE stopped: incident opened after {took:.1f} s (interval {INTERVAL_S} s)\n"
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / "services-spse.txt").write_text(said)
        assert took <= 2 * INTERVAL_S + 3, took
        (incident,) = [i for i in fleet.incidents() if i.entity == "service:lpse"]
        # The server itself is the root cause (not srv-web-1, which answers, nor the uplink).
        assert incident.root_cause == "service:lpse" and incident.state == "down"
        assert incident.reason is not None
        # Opened on the first two failing votes (the third may not have come yet).
        assert re.match(r"down from (dc-1|dr-1|ext-1)(, | and )", incident.reason), incident.reason
        assert "lpse.kotabogor.go.id" in incident.reason
        # Once all three have voted, the split says the server, not the uplink.
        until(
            "all three vantage points fail lpse",
            lambda: fleet.services()["lpse"]["failing"] == 3,
            2 * INTERVAL_S,
        )
        reason = fleet.services()["lpse"]["reason"]
        assert reason.startswith("down from dc-1, dr-1 and ext-1: lpse.kotabogor.go.id"), reason
        assert reason.endswith("(inside and outside: the server, not the uplink)"), reason
    finally:
        fleet.egov.lab.scenario("lpse.kotabogor.go.id", "down", on=False)
    until("lpse back up", lambda: fleet.services()["lpse"]["state"] == "up", 3 * INTERVAL_S)
    until(
        "the incident closed",
        lambda: all(i.ended for i in fleet.incidents() if i.entity == "service:lpse"),
        3 * INTERVAL_S,
    )
    # The month's report: each service's downtime against its own target.
    month = time.strftime("%Y-%m", time.localtime())
    html = fleet.work / "report.html"
    made = noc(
        fleet.env,
        "sla",
        "report",
        "--month",
        month,
        "--out",
        str(html),
        "--out",
        str(html.with_suffix(".json")),
        "--lang",
        "id",
    )
    assert made.returncode == 0, made.stderr
    figures = json.loads(html.with_suffix(".json").read_text())["services"]
    assert figures["lpse"]["downtime_s"] > 0 and figures["lpse"]["target"] == 0.99982
    assert figures["webmail"]["downtime_s"] == 0
    page = html.read_text()
    assert "Layanan e-government" in page and "LPSE (SPSE e-procurement)" in page
    assert "Waktu henti" in page and "99,982%" in page
    (SHOTS / "report-services.html").write_text(page)


def test_the_wrong_page_is_down_with_its_reason(fleet: Fleet) -> None:
    fleet.egov.lab.scenario("kantaya.kotabogor.go.id", "content")
    try:
        until(
            "kantaya down",
            lambda: fleet.services()["kantaya"]["state"] == "down",
            3 * INTERVAL_S,
        )
        reason = fleet.services()["kantaya"]["reason"]
        assert "the page lacks 'SIM Kantaya'" in reason, reason
        judge = next(n for n in ("dc-1", "dr-1") if "noc_service_up{" in fleet.metrics(n))
        tile = wall_tile(fleet, judge)
        assert tile["chips"] == {"lpse": "up", "kantaya": "down", "webmail": "up"}, tile
        assert tile["text"].startswith("Layanan: 2 dari 3 normal"), tile
        assert "SIM Kantaya (e-office) tidak dapat diakses" in tile["card"], tile
        assert "Layanan · kantaya" in tile["card"], tile
    finally:
        fleet.egov.lab.scenario("kantaya.kotabogor.go.id", "content", on=False)


def wall_tile(fleet: Fleet, collector: str) -> dict[str, Any]:
    """The wall of `collector` in Chromium (Indonesian, 1920x1080): the Layanan tile's chips
    and text, and the problem card of kantaya; a screenshot for people to look at."""
    sync_api = pytest.importorskip("playwright.sync_api")
    url = f"http://127.0.0.1:{fleet.ports[collector]}"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(url + "/wall")
        page.fill("#token", fleet.viewer)
        page.click("button[type=submit]")
        page.wait_for_url(url + "/wall")
        page_until(
            page,
            "document.querySelector('#services [data-service=\"kantaya\"]')"
            "?.dataset.state === 'down'",
            30,
        )
        page_until(page, "!!document.querySelector('#problems li[data-entity=\"kantaya\"]')", 30)
        chips = {
            c.get_attribute("data-service"): c.get_attribute("data-state")
            for c in page.locator("#services .chip").all()
        }
        out = {
            "chips": chips,
            "text": page.locator("#services").inner_text().replace("\n", " "),
            "card": page.locator('#problems li[data-entity="kantaya"]').inner_text(),
        }
        page.screenshot(path=str(SHOTS / "wall-services.png"))
        browser.close()
    return out


def test_the_expiring_intermediate_is_in_metrics_by_name(fleet: Fleet) -> None:
    text = fleet.metrics("dc-1")
    found = re.findall(
        r'^noc_service_certificate_expiry_days\{service="lpse",host="lpse.kotabogor.go.id",'
        r'position="1",subject="Lab Kota Bogor Intermediate CA"\} (\S+)$',
        text,
        re.M,
    )
    assert found and 9 < float(found[0]) <= 10, found
    shown = noc({**fleet.env, "COLUMNS": "200"}, "services")
    assert shown.returncode == 0, shown.stderr
    assert (
        "first certificate to expire: Lab Kota Bogor Intermediate CA "
        "(intermediate 1, lpse.kotabogor.go.id)" in shown.stdout
    )
    (lpse,) = [
        s for s in json.loads(noc(fleet.env, "services", "--json").stdout) if s["service"] == "lpse"
    ]
    assert lpse["soonest_certificate"]["subject"] == "Lab Kota Bogor Intermediate CA"
    (SHOTS / "noc-services.txt").write_text(noc({**fleet.env, "COLUMNS": "120"}, "services").stdout)
