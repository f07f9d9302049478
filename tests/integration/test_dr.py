"""DR readiness against a real PostgreSQL primary and streaming replica, the lab's DR devices
and links, and HTTP endpoints; then the CLI, its stored history and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pytest
from ruamel.yaml import YAML

from noc.dr.readiness import Readiness, Status
from noc.dr.runner import run_checks
from noc.inventory import load_inventory
from noc.snmp.lean_client import LeanClient
from tests.conftest import ROOT, Lab, Loop
from tests.pgpair import Pair, pg_bin, primary_and_replica

pytestmark = [pytest.mark.integration, pytest.mark.root]
if os.geteuid() != 0 or pg_bin() is None:
    pytest.skip(
        "needs root (initdb runs as the postgres user) and PostgreSQL's server binaries",
        allow_module_level=True,
    )


class Endpoints:
    """The DR site's service endpoint and probe, on a loopback address of the DR site."""

    def __init__(self) -> None:
        self.primary_reachable = True

        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/probe":
                    body = json.dumps({"primary_reachable": outer.primary_reachable}).encode()
                elif self.path == "/website":
                    body = b"ok"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.2.10", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    with primary_and_replica() as urls:
        with psycopg.connect(urls[0], autocommit=True) as conn:
            conn.execute("CREATE TABLE payments (id serial PRIMARY KEY, amount int)")
        yield urls


@pytest.fixture
def setup(lab: Lab, pair: tuple[str, str], tmp_path: Path) -> Iterator[dict[str, Any]]:
    endpoints = Endpoints()
    marker = tmp_path / "sync-marker"
    marker.touch()
    yaml = YAML(typ="safe")
    doc = yaml.load(lab.inventory.read_text())
    for tier in doc["tiers"].values():  # a device that is down is known as such in 1 s
        tier.update(timeout_s=1.0, retries=0)
    base = f"http://127.0.2.10:{endpoints.port}"
    doc["dr"] = {
        "primary_site": "dc-balaikota",
        "dr_site": "dr-site",
        "links": ["dc-dr", "dr-srv-dr-1"],
        "probe_url": f"{base}/probe",
        "services": [
            {
                "name": "website",
                "primary_url": "http://127.0.1.10:1/website",
                "dr_url": f"{base}/website",
            }
        ],
        "databases": [
            {
                "name": "siak-pbb",
                "primary": {"env": "NOC_TEST_PG_PRIMARY"},
                "replica": {"env": "NOC_TEST_PG_REPLICA"},
                "rpo_s": 60,
            }
        ],
        "file_stores": [{"name": "documents", "marker": str(marker), "rpo_s": 3600}],
        "storage_max": 1.0,
        "cpu_max": 1.0,
    }
    inventory = tmp_path / "inventory.yaml"
    with inventory.open("w") as out:
        yaml.dump(doc, out)
    env = {"NOC_TEST_PG_PRIMARY": pair[0], "NOC_TEST_PG_REPLICA": pair[1]}
    yield {"inventory": inventory, "env": env, "endpoints": endpoints, "pair": pair}
    endpoints.server.shutdown()


def check(setup: dict[str, Any], loop: Loop) -> tuple[Any, dict[str, Any]]:
    inv = load_inventory(setup["inventory"])

    async def go() -> Any:
        client = LeanClient()
        try:
            return await run_checks(inv, client, window_s=1.0, environ=setup["env"])
        finally:
            await client.close()

    return loop.run(go())  # type: ignore[no-any-return]


def results(report: Any) -> dict[str, Any]:
    return {f"{r.check} {r.subject}": r for r in report.results}


def test_paused_replay_while_the_primary_writes_is_not_ready(
    setup: dict[str, Any], loop: Loop
) -> None:
    primary, replica = setup["pair"].primary, setup["pair"].replica
    report, decision = check(setup, loop)
    by = results(report)
    assert report.readiness is Readiness.READY, report.reason
    assert by["replication_lag_seconds siak-pbb"].value == 0.0  # idle primary: no lag
    assert by["replication_lag_bytes siak-pbb"].status is Status.OK
    assert by["reachable srv-dr-1"].status is Status.OK
    assert by["link dc-dr"].status is Status.OK
    assert not decision["failover"] and "seen up" in decision["explanation"][-1]

    with psycopg.connect(replica, autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
    try:
        with psycopg.connect(primary, autocommit=True) as conn:
            for n in range(200):
                conn.execute("INSERT INTO payments (amount) VALUES (%s)", (n,))
            conn.execute("SELECT pg_switch_wal()")
        time.sleep(1)  # the replica receives what it does not replay
        report, _ = check(setup, loop)
        by = results(report)
        assert report.readiness is Readiness.NOT_READY
        lag = by["replication_lag_bytes siak-pbb"]
        assert lag.status is Status.FAIL and lag.value is not None and lag.value > 0
        assert "replay is paused" in report.reason
    finally:
        with psycopg.connect(replica, autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")
    deadline = time.monotonic() + 30
    while True:
        report, _ = check(setup, loop)
        if report.readiness is Readiness.READY or time.monotonic() > deadline:
            break
    assert report.readiness is Readiness.READY, report.reason
    with psycopg.connect(replica) as conn:
        row = conn.execute("SELECT count(*) FROM payments").fetchone()
    assert row is not None and row[0] >= 200


def test_dr_device_down_and_a_partition(setup: dict[str, Any], lab: Lab, loop: Loop) -> None:
    lab.scenario("srv-dr-1", "down")
    try:
        report, _ = check(setup, loop)
    finally:
        lab.scenario("srv-dr-1", "down", on=False)
    assert report.readiness is Readiness.NOT_READY
    assert results(report)["reachable srv-dr-1"].status is Status.FAIL

    lab.scenario("core-1", "down")
    setup["endpoints"].primary_reachable = True  # the DR site still sees the primary
    try:
        _, decision = check(setup, loop)
    finally:
        lab.scenario("core-1", "down", on=False)
    assert decision["failover"] is False
    assert any("a partition" in line for line in decision["explanation"])


def test_cli_check_stores_its_history_and_exits_by_verdict(
    setup: dict[str, Any], tmp_path: Path
) -> None:
    env = {**os.environ, **setup["env"], "NOC_VAR_DIR": str(tmp_path / "var")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "noc",
            "dr",
            "check",
            "--json",
            "--window",
            "1",
            "-i",
            str(setup["inventory"]),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    data = json.loads(result.stdout)
    assert result.returncode == {"ready": 0, "degraded": 1, "not_ready": 2}[data["readiness"]]
    assert data["readiness"] == "ready", data["reason"]
    assert setup["pair"][1] not in result.stdout  # the replica's URL is a secret
    from noc.dr.history import history
    from noc.store.db import make_engine

    stored = history(make_engine(f"sqlite:///{tmp_path / 'var' / 'noc.db'}"))
    assert [h["readiness"] for h in stored] == ["ready"]
