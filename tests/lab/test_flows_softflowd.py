"""Ground truth for flows: iperf3 streams from the addresses of three sites cross a veth pair
between two network namespaces; Debian's softflowd (not our code) watches the router's end and
exports NetFlow v9, then (restarted) IPFIX, to `noc serve`, whose buckets must give each site
the bytes iperf3 sent within 2%, and all of them the interface's own counters within 5%.

Root only (namespaces). Every address is a link-local one on veths this test creates: no
traffic leaves the machine. The veths run at MTU 9000, so TCP/IP headers are 0.6% of a
segment (iperf3 counts payload, flows count IP packets).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.netns import clear, sh
from tests.ports import free_port

pytestmark = [pytest.mark.root, pytest.mark.integration]

if os.geteuid() != 0:
    pytest.skip("needs root: network namespaces and veth", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
ROUTER, ISP = "nocflow-router", "nocflow-isp"
MGMT_HOST, MGMT_ROUTER = "169.254.79.1", "169.254.79.2"  # the export goes over this pair
SERVER = "169.254.90.1"  # iperf3's server, "the internet"
SITES = {  # site -> the address its iperf3 client sends from, and bytes per run
    "kel-sempur": ("169.254.81.2", 24_000_000),
    "dinas-kominfo": ("169.254.82.2", 16_000_000),
    "kel-babakan": ("169.254.83.2", 8_000_000),
}

INVENTORY = f"""
version: 1
network: {{name: flows lab, collector_site: dc}}
tiers:
  uplink: {{poll_interval_s: 30, sla_target: 0.999, timeout_s: 1, retries: 0}}
  backbone: {{poll_interval_s: 30, sla_target: 0.995}}
  access: {{poll_interval_s: 30, sla_target: 0.99}}
credentials:
  ns: {{version: 2c, community: {{env: NOC_FLOWTEST_COMMUNITY}}}}
kecamatan: [{{name: Bogor Tengah}}]
sites:
  - {{name: dc, kind: datacenter, title: Data Center, kecamatan: Bogor Tengah, lat: 0, lon: 0}}
  - {{name: kel-sempur, kind: office, title: Kelurahan Sempur, kecamatan: Bogor Tengah,
      lat: 0, lon: 0, subnets: [169.254.81.0/24]}}
  - {{name: dinas-kominfo, kind: office, title: Diskominfo, kecamatan: Bogor Tengah,
      lat: 0, lon: 0, subnets: [169.254.82.0/24]}}
  - {{name: kel-babakan, kind: office, title: Kelurahan Babakan, kecamatan: Bogor Tengah,
      lat: 0, lon: 0, subnets: [169.254.83.0/24]}}
devices:
  - name: core-1
    site: dc
    kind: linux
    role: core
    tier: uplink
    address: {MGMT_ROUTER}
    credentials: ns
    interfaces:
      - {{name: fl-up, speed_bps: 10000000000}}
links:
  - name: uplink-isp
    medium: isp
    tier: uplink
    a: {{device: core-1, interface: fl-up}}
    capacity_bps: 40000000
"""


def teardown() -> None:
    clear((ROUTER, ISP), ("nocflow0",))


@dataclass
class Net:
    work: Path
    inventory: Path

    def counters(self) -> int:
        """Bytes the router's end of the measured veth sent and received (frames)."""
        base = "/sys/class/net/fl-up/statistics"
        out = sh("cat", f"{base}/rx_bytes", f"{base}/tx_bytes", ns=ROUTER).split()
        return sum(int(v) for v in out)


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    for tool in ("ip", "softflowd", "softflowctl", "iperf3"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: run `make system-packages`")
    work = tmp_path_factory.mktemp("flows")
    teardown()
    sh("ip", "netns", "add", ROUTER)
    sh("ip", "netns", "add", ISP)
    sh("ip", "link", "add", "nocflow0", "type", "veth", "peer", "name", "mgmt0", "netns", ROUTER)
    sh("ip", "addr", "add", f"{MGMT_HOST}/30", "dev", "nocflow0")
    sh("ip", "link", "set", "nocflow0", "up")
    sh("ip", "addr", "add", f"{MGMT_ROUTER}/30", "dev", "mgmt0", ns=ROUTER)
    sh("ip", "link", "set", "mgmt0", "up", ns=ROUTER)
    sh("ip", "link", "set", "lo", "up", ns=ROUTER)
    sh(
        "ip",
        "link",
        "add",
        "fl-up",
        "mtu",
        "9000",
        "type",
        "veth",
        "peer",
        "name",
        "fl-isp",
        "mtu",
        "9000",
        "netns",
        ISP,
        ns=ROUTER,
    )
    sh("ip", "addr", "add", "169.254.80.1/16", "dev", "fl-up", ns=ROUTER)
    for address, _ in SITES.values():
        sh("ip", "addr", "add", f"{address}/16", "dev", "fl-up", ns=ROUTER)
    sh("ip", "link", "set", "fl-up", "up", ns=ROUTER)
    sh("ip", "addr", "add", f"{SERVER}/16", "dev", "fl-isp", ns=ISP)
    sh("ip", "link", "set", "fl-isp", "up", ns=ISP)
    sh("ip", "link", "set", "lo", "up", ns=ISP)
    iperf = subprocess.Popen(
        ["ip", "netns", "exec", ISP, "iperf3", "-s", "-B", SERVER], stdout=subprocess.DEVNULL
    )
    inventory = work / "inventory.yaml"
    inventory.write_text(INVENTORY)
    try:
        yield Net(work, inventory)
    finally:
        iperf.terminate()
        iperf.wait(10)
        teardown()


@dataclass
class Serve:
    proc: subprocess.Popen[bytes]
    env: dict[str, str]
    http: str
    flow_port: int

    def metrics(self) -> str:
        with urllib.request.urlopen(f"{self.http}/metrics", timeout=10) as r:  # noqa: S310
            return str(r.read().decode())

    def counter(self, line_start: str) -> float:
        for line in self.metrics().splitlines():
            if line.startswith(line_start):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def top(self) -> dict[str, dict[str, float]]:
        out = subprocess.run(
            [sys.executable, "-m", "noc", "flows", "top", "--since", "1h", "--json"],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        return {t["name"]: t for t in json.loads(out.stdout)["talkers"]}


def start_serve(net: Net) -> Serve:
    http_port = free_port()
    flow_port = free_port(MGMT_HOST, kind=socket.SOCK_DGRAM)
    env = {
        **os.environ,
        "NOC_VAR_DIR": str(net.work / "var"),
        "NOC_INVENTORY": str(net.inventory),
        "NOC_HTTP_PORT": str(http_port),
        "NOC_EVENTS_HOST": MGMT_HOST,
        "NOC_FLOW_PORT": str(flow_port),
        "NOC_FLOWTEST_COMMUNITY": "public",
    }
    env.pop("NOC_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "noc", "serve"],
        env=env,
        stdout=(net.work / "serve.log").open("ab"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    serve = Serve(proc, env, f"http://127.0.0.1:{http_port}", flow_port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if "noc_flow_records_total" in serve.metrics():
                return serve
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError((net.work / "serve.log").read_text()[-3000:])


def softflowd(net: Net, serve: Serve, version: str) -> subprocess.Popen[bytes]:
    control = net.work / f"softflowd-{version}.ctl"
    proc = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            ROUTER,
            "softflowd",
            "-d",
            "-i",
            "fl-up",
            "-n",
            f"{MGMT_HOST}:{serve.flow_port}",
            "-v",
            version,
            "-c",
            str(control),
            "-p",
            str(net.work / f"softflowd-{version}.pid"),
            "-t",
            "maxlife=5",
            "-t",
            "expint=1",
        ],
        stdout=(net.work / "softflowd.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 10
    while not control.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert control.exists(), (net.work / "softflowd.log").read_text()
    return proc


def iperf(*args: str) -> dict[str, Any]:
    """One iperf3 client run; the server takes a moment between tests ("busy"): retried."""
    for _ in range(20):
        run = subprocess.run(
            ["ip", "netns", "exec", ROUTER, "iperf3", "-c", SERVER, *args, "-J"],
            capture_output=True,
            text=True,
            check=False,
        )
        result: dict[str, Any] = json.loads(run.stdout) if run.stdout.strip() else {}
        if "error" not in result and run.returncode == 0:
            return result
        time.sleep(0.5)
    raise AssertionError(f"iperf3 {' '.join(args)}: {run.stdout[-500:]} {run.stderr[-500:]}")


def send_from_sites() -> dict[str, int]:
    """One iperf3 upload per site, one after the other; the payload bytes each delivered."""
    sent = {}
    for site, (address, size) in SITES.items():
        # Paced: softflowd reads packets through libpcap, which drops what it cannot keep up
        # with (as a router's exporter would, under load). What the server received counts:
        # sum_sent is what was written to the socket, and the tail still in the client's
        # buffer when the test ends is never sent.
        result = iperf("-B", address, "-n", str(size), "-b", "150M")
        sent[site] = int(result["end"]["sum_received"]["bytes"])
    return sent


def expire_all(net: Net, version: str) -> None:
    sh("softflowctl", "-c", str(net.work / f"softflowd-{version}.ctl"), "expire-all", ns=ROUTER)


def test_per_site_bytes_match_iperf3_and_totals_match_the_interface(net: Net) -> None:
    serve = start_serve(net)
    try:
        before = net.counters()
        sent = dict.fromkeys(SITES, 0)
        for version in ("9", "10"):  # NetFlow v9, then the exporter restarted as IPFIX
            exporter = softflowd(net, serve, version)
            try:
                time.sleep(0.5)
                for site, n in send_from_sites().items():
                    sent[site] += n
                # libpcap hands packets over a ring block at a time: traffic from no site's
                # address pushes the last block of the sites' packets through before the end.
                sh(
                    "iperf3",
                    "-c",
                    SERVER,
                    "-B",
                    "169.254.80.1",
                    "-n",
                    "8M",
                    "-b",
                    "150M",
                    ns=ROUTER,
                )
                time.sleep(1.0)
                expire_all(net, version)
                time.sleep(1.5)
            finally:
                exporter.send_signal(signal.SIGTERM)
                exporter.wait(10)
        after = net.counters()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            talkers = serve.top()
            if all(talkers.get(s, {}).get("out_octets", 0) >= sent[s] for s in SITES):
                break
            time.sleep(0.5)
        said = [ln for ln in serve.metrics().splitlines() if ln.startswith("noc_flow_")]
        for site, payload in sent.items():
            counted = talkers[site]["out_octets"]
            assert abs(counted - payload) / payload < 0.02, (site, counted, payload, said)
            assert talkers[site]["in_octets"] > 0  # the ACKs, toward the site
        flows_total = sum(t["in_octets"] + t["out_octets"] for t in talkers.values())
        frames = after - before
        assert abs(flows_total - frames) / frames < 0.05, (flows_total, frames)
        assert serve.counter('noc_flow_datagrams_total{version="9"}') > 0
        assert serve.counter('noc_flow_datagrams_total{version="10"}') > 0
        print(
            f"sent {sent}; flows { ({s: talkers[s]['out_octets'] for s in SITES}) }; "
            f"flow total {flows_total} B against {frames} B on the interface"
        )
    finally:
        serve.proc.send_signal(signal.SIGINT)
        serve.proc.wait(30)
