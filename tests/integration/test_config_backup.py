"""Configuration backup against the lab over real SSH: the lab's RouterOS, IOS and Linux
devices (asyncssh, on their loopback addresses), netmiko logging in, a dulwich history, the
`noc config` commands, and Debian's Alertmanager receiving the change."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from ruamel.yaml import YAML

from noc.alerts.config_changes import send_config_changes
from noc.alerts.runtime import alertmanager_command
from noc.api.app import create_app
from noc.api.deps import ApiContext
from noc.config import schedule
from noc.config.backup import TIMED_OUT, ConfigStore, Outcome, backup, backup_devices
from noc.config.clean import TRUNCATED
from noc.config.schedule import ConfigState
from noc.events.match import Directory
from noc.events.receiver import Handler, Heard, Receiver, consume
from noc.exporter.configs import ConfigMetrics
from noc.inventory import Inventory, load_inventory
from noc.lab.ssh import LAB_SECRETS, LabSsh
from noc.snmp.lean_client import LeanClient
from noc.store.audit import AuditLog
from noc.store.db import make_engine, sync_inventory, upgrade
from noc.store.tokens import Role, create_token
from tests.conftest import INVENTORY, ROOT
from tests.ports import free_port

pytestmark = pytest.mark.integration

# RouterOS (core-1, bts-01, bts-02), AirOS (bts-03, a Linux shell), IOS, Linux.
DEVICES = ["core-1", "bts-01", "bts-02", "bts-03", "skpd-dp3a", "srv-web-1"]
PASSWORD = "lab-ssh-password"


@dataclass
class Bench:
    inv: Inventory
    inventory: Path
    lab: LabSsh
    loop: asyncio.AbstractEventLoop
    var: Path
    env: dict[str, str]

    def store(self) -> ConfigStore:
        return ConfigStore(self.var / "config")

    def run(self, names: list[str] | None = None, deadline_s: float = 20.0) -> list[Outcome]:
        chosen = backup_devices(self.inv, names)
        return asyncio.run(
            backup(self.inv, chosen, self.store(), deadline_s=deadline_s, environ=self.env)
        )

    def noc(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "noc", *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=ROOT,
            timeout=120,
        )


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    work = tmp_path_factory.mktemp("config")
    port = free_port("127.0.1.1")
    yaml = YAML(typ="safe")
    doc = yaml.load(INVENTORY.read_text())
    for d in doc["devices"]:
        if d["name"] in DEVICES:
            d["ssh"] = {"credentials": "noc-ssh", "port": port}
        else:
            d.pop("ssh", None)
        if d["name"] == "srv-web-1":
            d["aliases"] = ["127.0.0.1"]  # where `logger` sends its syslog from
    inventory = work / "inventory.yaml"
    with inventory.open("w") as out:
        yaml.dump(doc, out)
    (work / "config-rules.yaml").write_text((ROOT / "config-rules.yaml").read_text())
    inv = load_inventory(inventory)
    lab = LabSsh(inv, port, "noc", PASSWORD)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(lab.start(), loop).result(30)
    env = {
        **os.environ,
        "NOC_SSH_PASSWORD": PASSWORD,
        "NOC_VAR_DIR": str(work / "var"),
        "NOC_INVENTORY": str(inventory),
    }
    env.pop("NOC_SSH_KEY_FILE", None)
    try:
        yield Bench(inv, inventory, lab, loop, work / "var", env)
    finally:
        asyncio.run_coroutine_threadsafe(lab.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def commits(bench: Bench) -> int:
    return sum(len(bench.store().history.revisions(d)) for d in DEVICES)


def test_every_device_backed_up_then_ten_unchanged_runs_commit_nothing(bench: Bench) -> None:
    first = bench.run()
    assert {o.device: o.status for o in first} == dict.fromkeys(DEVICES, "changed")
    assert all(o.commit for o in first)
    assert all(s.open_sessions == 0 for s in bench.lab.scripts.values())  # every session closed
    before = commits(bench)
    time.sleep(1.1)  # the RouterOS header's clock and the IOS byte count move on
    for _ in range(10):
        again = bench.run()
        assert {o.status for o in again} == {"unchanged"}, [(o.device, o.reason) for o in again]
    assert commits(bench) == before
    kept = bench.store().history.current("bts-02") or ""
    assert "/system identity set name=bts-02" in kept
    assert "by RouterOS" not in kept  # the dated header is dropped
    assert "ntp clock-period" not in (bench.store().history.current("skpd-dp3a") or "")


def test_a_change_is_one_commit_by_its_author_and_one_alert_naming_the_line(
    bench: Bench, tmp_path: Path
) -> None:
    bench.run()
    before = len(bench.store().history.revisions("bts-01"))
    line = bench.lab.config_change("bts-01", who="budi")
    changed = bench.run()
    by_device = {o.device: o for o in changed}
    assert by_device["bts-01"].status == "changed"
    assert {o.status for d, o in by_device.items() if d != "bts-01"} == {"unchanged"}
    revisions = bench.store().history.revisions("bts-01")
    assert len(revisions) == before + 1
    assert revisions[0].author == "budi"
    assert revisions[0].message == "bts-01: +1 -0"
    assert by_device["bts-01"].changes == [f"+{line}"]
    # The alert, through a real Alertmanager.
    port = free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text("route: {receiver: none}\nreceivers: [{name: none}]\n")
    proc = subprocess.Popen(
        alertmanager_command(config, f"127.0.0.1:{port}"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/-/ready", timeout=2).close()  # noqa: S310
                break
            except OSError:
                assert time.monotonic() < deadline, "Alertmanager did not start"
                time.sleep(0.2)
        assert send_config_changes(base, changed) == 1
        with urllib.request.urlopen(f"{base}/api/v2/alerts", timeout=5) as r:  # noqa: S310
            alerts = json.load(r)
    finally:
        proc.terminate()
        proc.wait(10)
    (alert,) = alerts
    assert alert["labels"]["alertname"] == "NocConfigChanged"
    assert alert["labels"]["device"] == "bts-01"
    assert alert["annotations"]["author"] == "budi"
    assert line in alert["annotations"]["changes"]


@pytest.mark.parametrize(("which", "reason"), [("truncated", TRUNCATED), ("hang", TIMED_OUT)])
def test_a_cut_or_hung_export_commits_nothing_and_keeps_the_last_good_one(
    bench: Bench, which: str, reason: str
) -> None:
    bench.run(["bts-01", "skpd-dp3a"])
    good = {d: bench.store().history.current(d) for d in ("bts-01", "skpd-dp3a")}
    count = commits(bench)
    for device in good:
        bench.lab.scenario(device, which)
    try:
        started = time.monotonic()
        outcomes = bench.run(["bts-01", "skpd-dp3a"], deadline_s=4.0)
        took = time.monotonic() - started
    finally:
        for device in good:
            bench.lab.scenario(device, None)
    assert [(o.status, o.reason) for o in outcomes] == [("failed", reason)] * 2
    assert took < 4.0 + 3.0  # the deadline, and the closing of the sessions
    assert commits(bench) == count
    assert {d: bench.store().history.current(d) for d in good} == good
    status = json.loads((bench.var / "config" / "status.json").read_text())
    assert status["bts-01"]["reason"] == reason


def test_a_slow_link_is_read_whole_and_commits_nothing(bench: Bench) -> None:
    """Prompts in pieces and repainted echoes (a congested radio link): the answer ends at the
    whole prompt, so no fragment of it reaches the configuration and nothing is cut."""
    bench.run()
    count = commits(bench)
    for device in DEVICES:
        bench.lab.scenario(device, "slow")
    try:
        outcomes = bench.run(deadline_s=30.0)
    finally:
        for device in DEVICES:
            bench.lab.scenario(device, None)
    assert {o.device: (o.status, o.reason) for o in outcomes} == dict.fromkeys(
        DEVICES, ("unchanged", None)
    ), [o.changes for o in outcomes]
    assert commits(bench) == count


def test_the_cli_reads_history_and_diff_and_check_finds_the_seeded_violations(
    bench: Bench,
) -> None:
    bench.run()
    bench.lab.config_change("bts-02", who="sari")
    done = bench.noc("config", "backup", "--device", "BTS-2")  # names are forgiving
    assert done.returncode == 0, done.stderr
    assert "changed" in done.stdout and "sari" in done.stdout
    history = bench.noc("config", "history", "bts-02")
    assert history.returncode == 0, history.stderr
    assert "sari" in history.stdout and "WIB" in history.stdout
    diff = bench.noc("config", "diff", "bts-02")
    assert diff.returncode == 0, diff.stderr
    assert re.search(r'^\+/ip firewall filter add .*"lab change \d+"$', diff.stdout, re.M)
    shown = bench.noc("config", "show", "bts-02")
    assert "/system identity set name=bts-02" in shown.stdout
    check = bench.noc("config", "check")
    assert check.returncode == 1, check.stderr
    lines = check.stdout.splitlines()
    # Seeded: bts-01 (the second RouterOS device with SSH) leaves telnet enabled, bts-02 keeps
    # `public`, and the IOS office runs `ip http server` without password encryption.
    assert any(ln.startswith("bts-01  routeros-no-telnet") for ln in lines), lines
    assert any(ln.startswith("bts-02  routeros-snmp-not-public") for ln in lines), lines
    assert any(
        ln.startswith("skpd-dp3a  ios-no-http-server") and "ip http server" in ln for ln in lines
    )
    assert any(ln.startswith("skpd-dp3a  ios-password-encryption") for ln in lines)
    assert not any(ln.startswith("core-1 ") for ln in lines), lines
    # The monthly report's compliance section says the same, as of its making.
    upgrade(make_engine(f"sqlite:///{bench.var / 'noc.db'}"))  # an empty store
    month = bench.noc("sla", "report", "--month", "2026-12", "--format", "json")
    assert month.returncode == 0, month.stderr
    section = json.loads(month.stdout)["compliance"]
    assert sorted(section["checked"]) == sorted(DEVICES)
    found = {(v["device"], v["rule"]) for v in section["violations"]}
    assert {("bts-01", "routeros-no-telnet"), ("skpd-dp3a", "ios-no-http-server")} <= found
    assert section["complying"] == len(DEVICES) - len({d for d, _ in found})
    page = bench.noc("sla", "report", "--month", "2026-12", "--format", "html", "--lang", "id")
    assert "Kepatuhan konfigurasi" in page.stdout and "baris wajib tidak ada" in page.stdout


def test_the_schedule_backs_up_what_is_due_and_metrics_and_api_show_it(
    bench: Bench, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside a collector: every device at start, nothing again before its tier's interval,
    one device at once when asked (a syslog `changed by`), compliance per rule in /metrics,
    and the technician's API reading history, diff and text."""
    state = ConfigState()
    announced: list[str] = []
    runs: list[int] = []
    store = ConfigStore(tmp_path / "config")  # its own: nothing backed up before
    real_backup = backup

    async def counted(*args: Any, **kwargs: Any) -> list[Outcome]:
        runs.append(len(args[1]))
        return await real_backup(*args, **kwargs)

    async def serve() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(
            schedule.run_schedule(
                bench.inv,
                store,
                state,
                stop,
                bench.inventory,
                lambda changed: announced.extend(o.device for o in changed),
                tick_s=0.2,
                deadline_s=20.0,
                environ=bench.env,
            )
        )
        await _until(lambda: len(runs) == 1 and bool(state.last))
        await asyncio.sleep(1.0)  # five ticks: nothing is due again
        assert runs == [len(DEVICES)]
        bench.lab.config_change("bts-02", who="rina")
        state.want("bts-02")
        await _until(lambda: len(runs) == 2 and announced == ["bts-02"])
        stop.set()
        await task

    monkeypatch.setattr(schedule, "backup", counted)
    asyncio.run(serve())
    assert runs == [len(DEVICES), 1]
    exposed = generate_latest_of(ConfigMetrics(state))
    assert 'noc_config_backup_ok{device="bts-02"} 1.0' in exposed
    assert 'noc_config_rule_ok{device="bts-01",rule="routeros-no-telnet"} 0.0' in exposed
    assert 'noc_config_rule_ok{device="core-1",rule="routeros-no-telnet"} 1.0' in exposed
    assert 'noc_config_rule_ok{device="skpd-dp3a",rule="ios-no-http-server"} 0.0' in exposed
    stamp = r'noc_config_last_backup_timestamp_seconds\{device="core-1"\} 1\.\d+e\+09'
    assert re.search(stamp, exposed)
    # The API, for technicians only.
    with api_client(bench, tmp_path) as (client, tokens):
        reader = {"Authorization": f"Bearer {tokens[Role.VIEWER]}"}
        tech = {"Authorization": f"Bearer {tokens[Role.TECHNICIAN]}"}
        assert client.get("/api/v1/config/bts-02/history", headers=reader).status_code == 403
        history = client.get("/api/v1/config/BTS-2/history", headers=tech).json()
        assert history["device"] == "bts-02" and history["revisions"][0]["author"] == "rina"
        diff = client.get("/api/v1/config/bts-02/diff", headers=tech).json()
        assert re.search(r'^\+/ip firewall filter add .*"lab change \d+"$', diff["diff"], re.M)
        shown = client.get("/api/v1/config/bts-02", headers=tech).json()
        assert "/system identity set name=bts-02" in shown["text"]
        assert shown["revision"] == history["revisions"][0]["revision"]
        missing = client.get("/api/v1/config/bts-02?rev=ffff", headers=tech)
        assert missing.status_code == 404 and "no revision" in missing.json()["detail"]


async def _until(done: Callable[[], bool], within_s: float = 60.0) -> None:
    deadline = time.monotonic() + within_s
    while not done():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.05)


def generate_latest_of(source: ConfigMetrics) -> str:
    registry = CollectorRegistry()
    registry.register(source)
    return generate_latest(registry).decode()


@contextlib.contextmanager
def api_client(bench: Bench, work: Path) -> Iterator[tuple[TestClient, dict[Role, str]]]:
    engine = make_engine(f"sqlite:///{work / 'api.db'}")
    upgrade(engine)
    sync_inventory(engine, bench.inv)
    tokens = {r: create_token(engine, f"t-{r.value}", r)[1] for r in Role}
    ctx = ApiContext(
        inv=bench.inv,
        engine=engine,
        audit=AuditLog(engine, work / "audit-pending.jsonl"),
        client_factory=LeanClient,
        config_dir=work / "config",
    )
    try:
        with TestClient(create_app(ctx)) as client:
            yield client, tokens
    finally:
        engine.dispose()


@pytest.mark.parametrize("sender", ["logger", "the device"])
def test_a_change_line_in_syslog_backs_the_device_up_in_its_authors_name(
    bench: Bench, tmp_path: Path, sender: str
) -> None:
    """A `changed by` line reaches the collector's receiver and the schedule backs the device
    up at once; its own text names no author, so the commit is the line's user's. Sent by
    util-linux's `logger` (MikroTik-style, for srv-web-1), or by the lab's RouterOS bts-02 over
    SSH-made change itself (`filter rule added by dewi`, from its own address)."""
    device = "srv-web-1" if sender == "logger" else "bts-02"
    state = ConfigState()
    store = ConfigStore(tmp_path / "config")
    receiver = Receiver()

    def act(heard: Heard) -> None:
        if heard.hint.kind == "config_changed":
            state.changed_by(heard.device, heard.hint.author)

    async def scenario() -> None:
        stop = asyncio.Event()
        port = free_port(kind=socket.SOCK_DGRAM)
        assert await receiver.start("127.0.0.1", None, port) == []
        handler = Handler(Directory(bench.inv), None, {}, receiver.counters, act)
        consumer = asyncio.create_task(consume(receiver, handler, stop))
        backups = asyncio.create_task(
            schedule.run_schedule(
                bench.inv,
                store,
                state,
                stop,
                bench.inventory,
                lambda _: None,
                tick_s=30.0,
                deadline_s=20.0,
                environ=bench.env,
            )
        )
        await _until(lambda: len(store.history.revisions(device)) == 1)
        if sender == "logger":
            bench.lab.config_change(device, who="someone-else")
            line = "system,info,account config changed by dewi"
            command = ["logger", "--udp", "--server", "127.0.0.1", "--port", str(port)]
            await asyncio.to_thread(
                subprocess.run, [*command, "--rfc3164", "-t", device, line], check=True
            )
        else:
            bench.lab.syslog = ("127.0.0.1", port)
            try:
                bench.lab.config_change(device, who="dewi")
            finally:
                bench.lab.syslog = None
        await _until(lambda: len(store.history.revisions(device)) == 2, 30.0)
        stop.set()
        receiver.close()
        await asyncio.gather(consumer, backups)

    asyncio.run(scenario())
    newest = store.history.revisions(device)[0]
    assert newest.author == "dewi"
    assert newest.message == f"{device}: +1 -0"


def test_no_secret_of_the_lab_is_kept_anywhere(bench: Bench) -> None:
    bench.run()
    bench.noc("config", "backup")
    found = []
    for path in bench.var.rglob("*"):
        if path.is_file() and path.name != "secret.key":
            data = path.read_bytes()
            if "/objects/" in str(path):  # git objects are zlib-compressed
                with contextlib.suppress(zlib.error):
                    data = zlib.decompress(data)
            found += [(str(path), s) for s in (*LAB_SECRETS, PASSWORD) if s.encode() in data]
    assert found == []


def test_a_restart_loses_no_history(bench: Bench) -> None:
    bench.run()
    before = {d: bench.store().history.revisions(d) for d in DEVICES}
    again = ConfigStore(bench.var / "config")  # a new process's view of the same folder
    assert {d: again.history.revisions(d) for d in DEVICES} == before
    assert all(before.values())
