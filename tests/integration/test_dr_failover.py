"""`noc dr failover` (dry run by default, fencing first) and `noc dr drill` against a real
PostgreSQL primary and streaming replica: the replica is promoted, RTO and RPO are measured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pytest
from ruamel.yaml import YAML

from tests.conftest import ROOT, Lab
from tests.pgpair import pg_bin, primary_and_replica

pytestmark = [pytest.mark.integration, pytest.mark.root]
if os.geteuid() != 0 or pg_bin() is None:
    pytest.skip(
        "needs root (initdb runs as the postgres user) and PostgreSQL's server binaries",
        allow_module_level=True,
    )


class DrService:
    """The DR site's service: 503 until the runbook's webhook switches it on."""

    def __init__(self) -> None:
        self.active = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200 if outer.active else 503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                outer.active = True
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.2.10", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def inventory(lab: Lab, tmp_path: Path, pair: Any, service: DrService) -> Path:
    yaml = YAML(typ="safe")
    doc = yaml.load(lab.inventory.read_text())
    base = f"http://127.0.2.10:{service.port}"
    port = int(pair.primary.rsplit(":", 1)[1].split("/")[0])
    fenced = (
        "import socket, sys; s = socket.socket(); "
        f"sys.exit(1 if s.connect_ex(('127.0.0.1', {port})) == 0 else 0)"
    )
    doc["dr"] = {
        "primary_site": "dc-balaikota",
        "dr_site": "dr-site",
        "links": [],
        "services": [
            {
                "name": "siak",
                "primary_url": "http://127.0.1.11:1/siak",
                "dr_url": f"{base}/siak",
                "rto_s": 60,
            }
        ],
        "databases": [
            {
                "name": "siak-pbb",
                "primary": {"env": "NOC_TEST_PG_PRIMARY"},
                "replica": {"env": "NOC_TEST_PG_REPLICA"},
            }
        ],
        "runbook": {
            "induce": [
                {"name": "stop the primary database", "kind": "shell", "argv": pair.stop_primary}
            ],
            "fence": [
                {
                    "name": "the old primary takes no connections",
                    "kind": "shell",
                    "argv": [sys.executable, "-c", fenced],
                }
            ],
            "steps": [
                {"name": "promote the replica", "kind": "pg_promote", "database": "siak-pbb"},
                {"name": "switch SIAK to the DR site", "kind": "http", "url": f"{base}/activate"},
            ],
        },
    }
    path = tmp_path / "inventory.yaml"
    with path.open("w") as out:
        yaml.dump(doc, out)
    return path


@pytest.fixture
def setup(lab: Lab, tmp_path: Path) -> Iterator[dict[str, Any]]:
    service = DrService()
    with primary_and_replica() as pair:
        env = {
            **os.environ,
            "NOC_TEST_PG_PRIMARY": pair.primary,
            "NOC_TEST_PG_REPLICA": pair.replica,
            "NOC_VAR_DIR": str(tmp_path / "var"),
        }
        yield {
            "inventory": inventory(lab, tmp_path, pair, service),
            "env": env,
            "pair": pair,
            "service": service,
            "tmp": tmp_path,
        }
    service.server.shutdown()


def noc(
    setup: dict[str, Any], *args: str, inventory: bool = True
) -> subprocess.CompletedProcess[str]:
    extra = ["-i", str(setup["inventory"])] if inventory else []
    return subprocess.run(
        [sys.executable, "-m", "noc", *args, *extra],
        capture_output=True,
        text=True,
        env=setup["env"],
        cwd=ROOT,
        timeout=300,
    )


def in_recovery(url: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
    return bool(row and row[0])


def test_failover_is_a_dry_run_unless_told_and_fencing_comes_first(
    setup: dict[str, Any],
) -> None:
    dry = noc(setup, "dr", "failover", "--json")
    assert dry.returncode == 0, dry.stderr
    steps = json.loads(dry.stdout)["steps"]
    assert [(s["phase"], s["detail"].split()[0]) for s in steps] == [
        ("fence", "would"),
        ("step", "would"),
        ("step", "would"),
    ]
    assert in_recovery(setup["pair"].replica)  # nothing happened
    refused = noc(setup, "dr", "failover", "--execute")  # no --yes, no terminal to ask
    assert refused.returncode == 2
    assert in_recovery(setup["pair"].replica)
    # The primary still runs: fencing fails, so nothing is promoted.
    fenced = noc(setup, "dr", "failover", "--execute", "--yes", "--json")
    assert fenced.returncode == 1
    outcome = json.loads(fenced.stdout)["steps"]
    assert [(s["phase"], s["ok"]) for s in outcome] == [("fence", False)]
    assert in_recovery(setup["pair"].replica)
    assert not setup["service"].active


def test_a_drill_promotes_the_replica_and_measures_rto_and_rpo(setup: dict[str, Any]) -> None:
    out = setup["tmp"] / "drill.html"
    result = noc(setup, "dr", "drill", "--json", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    drill = json.loads(result.stdout)
    assert drill["ok"], drill
    assert 0 < drill["rto_s"] < 60
    assert drill["rows_acknowledged"] > 10
    assert 0 <= drill["rpo_rows"] <= drill["rows_acknowledged"]
    assert [o["phase"] for o in drill["outcomes"]] == ["induce", "fence", "step", "step"]
    assert not in_recovery(setup["pair"].replica)  # promoted
    assert setup["service"].active
    page = out.read_text()
    assert "RTO measured" in page and f"{drill['rto_s']:.1f} s" in page
    stored = json.loads(noc(setup, "dr", "drills", "--json", inventory=False).stdout)
    assert [d["rto_s"] for d in stored] == [pytest.approx(drill["rto_s"])]
