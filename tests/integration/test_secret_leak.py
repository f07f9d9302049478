"""With distinctive secrets configured, nothing the toolkit says anywhere contains them: every
CLI command's --json output, /metrics, every API route, the logs and the store itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import typer

from noc.cli.main import app as cli_app
from noc.lab.control import LabControlError, call
from tests.conftest import INVENTORY, ROOT, WORKER
from tests.ports import free_port
from tests.subset import subset_inventory

pytestmark = pytest.mark.integration

SECRETS = {
    "NOC_SNMP_COMMUNITY": "comm-Xq7Lz93v",
    "NOC_SNMP_V3_AUTH_KEY": "auth-Kp4Wm28t",
    "NOC_SNMP_V3_PRIV_KEY": "priv-Bn6Rc51y",
    "NOC_SSH_PASSWORD": "sshpw-Hd3Fs77q",
    # Malformed on purpose: libpq quotes what it cannot parse in its error, and that error
    # becomes the DR check's reason (in /metrics, the API, --json and the store).
    "NOC_DR_PG_PRIMARY": "postgresql//noc:pgpw-Zt5Qa81k@127.0.0.1:1/siak",
    "NOC_DR_PG_REPLICA": "postgresql://noc:pgpw-Zt5Qa81k@127.0.0.2:notaport/siak",
    "NOC_TELEGRAM_BOT_TOKEN": "tgbot-Rm38Kd02",
    "NOC_ALERT_WEBHOOK_SECRET": "hook-Wn71Xs55",
    "NOC_WA_GATEWAY_TOKEN": "gw-Lp24Vb96",
}
PG_PASSWORD = "pgpw-Zt5Qa81k"
# The store itself on PostgreSQL, with a password in its URL (trust auth ignores it).
DB_PASSWORD = "dbpw-Lm4Xs92e"
KEEP = {"core-1", "bts-05", "kel-balumbangjaya", "srv-web-1", "srv-db-1"}
LAB_PORT = 11262 + 10 * WORKER


def json_commands() -> set[str]:
    """Every CLI command that has a --json option."""
    found: set[str] = set()

    def walk(command: Any, path: list[str]) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])
        elif any("--json" in p.opts for p in command.params):
            found.add(" ".join(path))

    walk(typer.main.get_command(cli_app), [])
    return found


class Setup:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.var = work / "var"
        self.inventory = subset_inventory(
            INVENTORY, work / "inventory.yaml", KEEP, LAB_PORT, poll_interval_s=2
        )
        self.port = free_port()
        self.env = {
            **os.environ,
            **SECRETS,
            "NOC_VAR_DIR": str(self.var),
            "NOC_INVENTORY": str(self.inventory),
            "NOC_HTTP_PORT": str(self.port),
        }
        self.procs: list[subprocess.Popen[bytes]] = []
        self.token = ""

    def start(self, name: str, *args: str) -> None:
        log = (self.work / f"{name}.log").open("wb")
        command = [sys.executable, "-m", "noc", *args]
        self.procs.append(
            subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        )

    def noc(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "noc", *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=ROOT,
            timeout=120,
        )
        return result.stdout + result.stderr

    def http(self, method: str, path: str, body: Any = None) -> str:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 (loopback)
                return f"{response.status} {response.read().decode()}"
        except urllib.error.HTTPError as exc:
            return f"{exc.code} {exc.read().decode()}"


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    s = Setup(tmp_path_factory.mktemp("leak"))
    name = f"noc_leak_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(
        host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    s.env["NOC_DATABASE_URL"] = f"postgres://postgres:{DB_PASSWORD}@127.0.0.1:5432/{name}"
    s.start("lab", "lab", "serve", "--inventory", str(s.inventory))
    deadline = time.monotonic() + 60
    while True:
        try:
            call(s.var / "lab" / "control.sock", {"command": "status", "devices": []})
            break
        except LabControlError:
            assert time.monotonic() < deadline, (s.work / "lab.log").read_text()
            time.sleep(0.2)
    s.start("serve", "serve")
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{s.port}/healthz", timeout=2)
            break
        except OSError:
            assert time.monotonic() < deadline, (s.work / "serve.log").read_text()
            time.sleep(0.2)
    yield s
    for proc in s.procs:
        proc.terminate()
        proc.wait(timeout=30)
    with psycopg.connect(
        host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


CLI_RUNS: dict[str, list[list[str]]] = {
    "poll": [["poll", "--once", "--rate-window", "1", "-d", "core-1", "-d", "srv-web-1"]],
    "status": [["status"]],
    "inventory show": [["inventory", "show", "{inventory}"]],
    "lab status": [["lab", "status", "core-1"]],
    "maintenance list": [["maintenance", "list"]],
    "diag ping": [["diag", "ping", "core-1"]],
    "diag trace": [["diag", "trace", "core-1"]],
    "diag snmp": [
        ["diag", "snmp", "core-1", "get", "sysName", "sysUpTime"],
        ["diag", "snmp", "srv-web-1", "walk", "ifName"],
    ],
    "diag ifaces": [["diag", "ifaces", "core-1", "--window", "1"]],
    "diag ssh": [["diag", "ssh", "srv-web-1", "interfaces"]],
    "diag check": [["diag", "check", "srv-web-1", "--window", "1"]],
    "token list": [["token", "list"]],
    "token create": [],  # prints the new token once, by design; run by the fixture below
    "dr check": [["dr", "check", "--window", "1"]],
    "dr failover": [["dr", "failover"]],  # a dry run
    "dr drill": [],  # a drill fails the primary over: not for a leak test
    "dr drills": [["dr", "drills"]],
    "alerts list": [["alerts", "list"]],  # no Alertmanager here: one line, no secret
    "alerts inbox": [["alerts", "inbox"]],
    "fleet status": [["fleet", "status"], ["fleet", "targets"]],
    "config backup": [["config", "backup", "-d", "srv-web-1", "--deadline", "10"]],
    "config history": [["config", "history", "srv-web-1"]],
    "config check": [["config", "check"]],
    "events": [["events"], ["events", "--unknown"]],
    "flows top": [["flows", "top", "--since", "24h"], ["flows", "top", "--app"]],
    "services": [["services"]],
}


def test_no_secret_appears_anywhere(setup: Setup) -> None:
    assert set(CLI_RUNS) == json_commands(), "a --json command is missing from CLI_RUNS"
    created = json.loads(setup.noc("token", "create", "--role", "admin", "--json"))
    setup.token = created["token"]
    secrets = [*SECRETS.values(), PG_PASSWORD, DB_PASSWORD, setup.token]
    said: list[tuple[str, str]] = []

    time.sleep(3)  # one poll interval: the collector has state to show
    for runs in CLI_RUNS.values():
        for args in runs:
            args = [a.replace("{inventory}", str(setup.inventory)) for a in args]
            said.append((" ".join(args), setup.noc(*args, "--json")))
    polled = json.loads(next(out for cmd, out in said if cmd.startswith("poll")))
    assert {r["device"]: r["state"] for r in polled}["core-1"] == "up"  # the v3 keys work
    snmp_out = next(out for cmd, out in said if cmd.startswith("diag snmp core-1"))
    assert '"core-1"' in snmp_out

    with urllib.request.urlopen(f"http://127.0.0.1:{setup.port}/metrics") as response:
        said.append(("/metrics", response.read().decode()))
    spec = json.loads(setup.http("GET", "/openapi.json").split(" ", 1)[1])
    for path, methods in spec["paths"].items():
        if "get" in methods:
            url = path.replace("{name}", "core-1").replace("{window_id}", "x")
            query = "?month=2026-11" if "/sla/" in path else ""
            said.append((f"GET {url}", setup.http("GET", url + query)))
    diagnostics: list[tuple[str, str, dict[str, Any]]] = [
        ("snmp-get", "core-1", {"objects": ["sysName"]}),
        ("check", "srv-web-1", {}),
        ("ssh", "srv-web-1", {"command": "interfaces"}),
        ("ping", "core-1", {}),
    ]
    for action, device, extra in diagnostics:
        body = {"action": action, "device": device, "window_s": 1, **extra}
        said.append((f"POST {action}", setup.http("POST", "/api/v1/diagnostics", body)))
    assert any("SSH to srv-web-1 failed" in text for _, text in said)  # the password was used

    # Alertmanager's generated configuration names its secrets, never holds them.
    said.append(("alerts config", setup.noc("alerts", "config", "--out", str(setup.work / "am"))))
    for made in sorted((setup.work / "am").glob("*")):
        said.append((str(made), made.read_text()))
    for proc in setup.procs:
        proc.terminate()
        proc.wait(timeout=30)
    for log in sorted(setup.work.glob("*.log")) + sorted(setup.var.rglob("*")):
        if log.is_file() and not log.name.endswith(".sock"):
            said.append((str(log), log.read_bytes().decode("latin-1")))

    # The malformed DR URLs did reach the checks, and their reasons are shown, scrubbed.
    dr_out = next(out for cmd, out in said if cmd.startswith("dr check"))
    assert "connection info string" in dr_out or "invalid integer" in dr_out, dr_out
    store_rows = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-At",
            "-d",
            setup.env["NOC_DATABASE_URL"].rsplit("/", 1)[1],
            "-c",
            "SELECT reason FROM dr_checks; SELECT detail FROM audit_log;",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    said.append(("the store", store_rows))
    leaks = [(where, s) for where, text in said for s in secrets if s in text]
    assert leaks == []
    assert len(said) > 30
