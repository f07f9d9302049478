"""A partition between the data centre and the DR site, with network namespaces (root).

dc-1 runs on the host, beside PostgreSQL and the lab. dr-1 runs in a network namespace of its
own, with a lab of its own there (the same inventory), and reaches PostgreSQL through a veth
link. The partition takes that link down: from the DR side both the store and the primary
site (core-1, down in its own lab) are gone; the DC side still has both.

During the partition and after it heals:
- never two owners writing: dr-1 writes nothing (no store), its domains go to dc-1 when its
  leases run out, and what it polled meanwhile is fenced out when it comes back: no row of the
  store was written by dr-1 for the time of the partition;
- never a failover recommendation from one side: dr-1 sees the primary down but is the only
  vantage point it can count (below the quorum of 2); dc-1 sees the primary up.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from sqlalchemy import select
from sqlalchemy.orm import Session

from noc.inventory import load_inventory
from noc.lab.control import call
from noc.polling.domains import device_domains
from noc.store.db import make_engine
from noc.store.models import PollStatRow
from tests.conftest import INVENTORY, LAB_PORT, PG, ROOT, WORKER, Lab, pg_database, with_port
from tests.integration.test_crash import wait_for
from tests.integration.test_fleet import Fleet, Member
from tests.ports import free_port
from tests.subset import subset_inventory
from tests.tcpproxy import TcpProxy

pytestmark = [pytest.mark.root, pytest.mark.integration]

if os.geteuid() != 0:
    pytest.skip("network namespaces need root", allow_module_level=True)

NS = f"nocpart{WORKER}"
HOST_IF, NS_IF = f"npa{WORKER}", f"npb{WORKER}"
HOST_IP, NS_IP = f"169.254.{90 + WORKER}.1", f"169.254.{90 + WORKER}.2"
KEEP = {"core-1", "dr-router", "srv-dr-1", "bts-05", "kel-curug", "kel-margajaya"}
LEASE_S = 6.0


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True)


@contextlib.contextmanager
def namespace() -> Iterator[None]:
    subprocess.run(["ip", "netns", "del", NS], capture_output=True, check=False)
    subprocess.run(["ip", "link", "del", HOST_IF], capture_output=True, check=False)
    sh("ip", "netns", "add", NS)
    try:
        sh("ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF, "netns", NS)
        sh("ip", "addr", "add", f"{HOST_IP}/30", "dev", HOST_IF)
        sh("ip", "link", "set", HOST_IF, "up")
        sh("ip", "-n", NS, "addr", "add", f"{NS_IP}/30", "dev", NS_IF)
        sh("ip", "-n", NS, "link", "set", NS_IF, "up")
        sh("ip", "-n", NS, "link", "set", "lo", "up")
        yield
    finally:
        pids = subprocess.run(
            ["ip", "netns", "pids", NS], capture_output=True, text=True, check=False
        ).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
        subprocess.run(["ip", "link", "del", HOST_IF], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "del", NS], capture_output=True, check=False)


def in_ns(member: Member) -> None:
    """Start this member inside the namespace (its own lab there); the test reads its
    /metrics from inside the namespace."""
    member.env["NOC_HTTP_HOST"] = "0.0.0.0"  # inside a namespace of its own
    log = (member.work / "serve.log").open("ab")
    member.proc = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            NS,
            sys.executable,
            "-m",
            "noc",
            "serve",
            "--name",
            member.name,
            "--site",
            member.site,
        ],
        env=member.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )


def ns_metric(member: Member, name: str) -> dict[str, float]:
    """A metric of the member in the namespace, by its label set (read from inside)."""
    code = (
        "import urllib.request,sys;sys.stdout.write(urllib.request.urlopen("
        f"'http://127.0.0.1:{member.port}/metrics',timeout=5).read().decode())"
    )
    argv = ["ip", "netns", "exec", NS, sys.executable, "-c", code]
    body = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=20).stdout
    return parse(body, name)


def parse(body: str, name: str) -> dict[str, float]:
    out = {}
    for line in body.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            key, value = line.rsplit(" ", 1)
            out[key[len(name) :]] = float(value)
    return out


def host_metric(member: Member, name: str) -> dict[str, float]:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{member.port}/metrics", timeout=5) as r:
        return parse(r.read().decode(), name)


@pytest.fixture
def partitioned(tmp_path: Path, lab: Lab) -> Iterator[tuple[Fleet, Member, Member, Path]]:
    inventory = subset_inventory(
        INVENTORY, tmp_path / "inventory.yaml", KEEP, LAB_PORT, poll_interval_s=5
    )
    yaml = YAML(typ="safe")
    doc = yaml.load(inventory.read_text())
    doc["dr"]["check_interval_s"] = 5
    doc["dr"]["failover"] = {"hold_s": 5, "quorum": 2}
    with inventory.open("w") as out:
        yaml.dump(doc, out)
    lab_inventory = with_port(INVENTORY, tmp_path / "ns-lab.yaml", LAB_PORT)
    with namespace(), pg_database("noc_partition") as db:
        name = db.url.rsplit("/", 1)[1]
        ns_lab_var = tmp_path / "ns-lab"
        ns_lab = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                NS,
                sys.executable,
                "-m",
                "noc",
                "lab",
                "serve",
                "--inventory",
                str(lab_inventory),
            ],
            env={**os.environ, "NOC_VAR_DIR": str(ns_lab_var)},
            cwd=ROOT,
            stdout=(tmp_path / "ns-lab.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        ns_control = ns_lab_var / "lab" / "control.sock"
        status = {"command": "status", "devices": []}
        wait_for("the namespace's lab", lambda: call(ns_control, status), timeout=60)
        dc = Member(tmp_path, name, "dc-1", "dc", inventory)
        dr = Member(tmp_path, name, "dr-1", "dr", inventory)
        # dr-1's way to the store crosses the veth link: the partition cuts it.
        dr.proxy.stop()
        dr.proxy = TcpProxy(PG, host=HOST_IP)
        dr.proxy.start()
        dr.env["NOC_DATABASE_URL"] = (
            f"postgresql+psycopg://postgres@{HOST_IP}:{dr.proxy.port}/{name}"
        )
        dr.port = free_port()
        dr.env["NOC_HTTP_PORT"] = str(dr.port)
        engine = make_engine(db.url)
        fleet = Fleet([dc, dr], engine, device_domains(load_inventory(inventory)))
        try:
            dc.start()
            in_ns(dr)

            def both_hold() -> bool:
                leases = fleet.leases()
                owners = {o for o, _, left in leases.values() if left > 0}
                return owners == {"dc-1", "dr-1"} and all(
                    left > 0 for _, _, left in leases.values()
                )

            wait_for("dc-1 and dr-1 both holding domains", both_hold, timeout=60)
            yield fleet, dc, dr, ns_control
        finally:
            for member in (dc, dr):
                if member.proc is not None and member.proc.poll() is None:
                    member.signal(signal.SIGKILL)
                    member.proc.wait(timeout=30)
                member.proxy.stop()
            ns_lab.kill()
            ns_lab.wait(timeout=10)
            engine.dispose()


def test_a_partition_never_makes_two_writers_nor_a_failover(
    partitioned: tuple[Fleet, Member, Member, Path],
) -> None:
    fleet, dc, dr, ns_control = partitioned
    dr_domains = {d for d, (o, _, _) in fleet.leases().items() if o == "dr-1"}
    wait_for(
        "dc-1's DR checks counting both collectors",
        lambda: (
            host_metric(dc, "noc_dr_vantage_sees_primary")
            == {'{vantage="dc-1"}': 1.0, '{vantage="dr-1"}': 1.0}
        ),
        timeout=40,
    )

    # The partition: the DR side loses the store and the primary site.
    call(
        ns_control,
        {"command": "scenario", "device": "core-1", "name": "down", "enable": True, "param": None},
    )
    sh("ip", "link", "set", HOST_IF, "down")
    cut_at = time.time()
    try:
        wait_for(
            "dc-1 holding every domain",
            lambda: {o for o, _, left in fleet.leases().values() if left > 0} == {"dc-1"},
            timeout=LEASE_S * 4,
        )
        # dr-1's first DR check in the partition (a check run waits out the probes that cannot
        # reach the primary, and its reads of the store that went away), then past the hold
        # time and another check interval on both sides.
        wait_for(
            "dr-1's check in the partition",
            lambda: ns_metric(dr, "noc_dr_vantage_sees_primary") == {'{vantage="dr-1"}': 0.0},
            timeout=120,
        )
        time.sleep(10)
        dr_view = ns_metric(dr, "noc_dr_vantage_sees_primary")
        assert dr_view == {'{vantage="dr-1"}': 0.0}, dr_view  # alone: the others are silent
        assert ns_metric(dr, "noc_dr_failover_recommended") == {"": 0.0}
        assert ns_metric(dr, "noc_fleet_store_up") == {"": 0.0}
        assert ns_metric(dr, "noc_collector_polls_total")[""] > 0  # it polls on, buffering
        dc_view = host_metric(dc, "noc_dr_vantage_sees_primary")
        assert dc_view == {'{vantage="dc-1"}': 1.0}, dc_view
        assert host_metric(dc, "noc_dr_failover_recommended") == {"": 0.0}
    finally:
        healed_at = time.time()
        sh("ip", "link", "set", HOST_IF, "up")
        call(
            ns_control,
            {
                "command": "scenario",
                "device": "core-1",
                "name": "down",
                "enable": False,
                "param": None,
            },
        )

    wait_for(
        "dr-1 back in the store",
        lambda: ns_metric(dr, "noc_fleet_store_up") == {"": 1.0},
        timeout=40,
    )
    wait_for(
        "dr-1's partition-time events fenced out",
        lambda: ns_metric(dr, "noc_store_fenced_events_total")[""] > 0,
        timeout=30,
    )
    lines = (dr.work / "var" / "pending-events-fenced.jsonl").read_text().splitlines()
    fenced = [json.loads(line) for line in lines]
    domains = fleet.domains
    assert {domains[e["device"]] for e in fenced if e["type"] == "PollRecord"} <= dr_domains
    with Session(fleet.engine) as session:
        written = session.scalars(
            select(PollStatRow).where(
                PollStatRow.collector == "dr-1", PollStatRow.at > cut_at, PollStatRow.at < healed_at
            )
        ).all()
    assert written == [], [(r.device, r.at) for r in written]
