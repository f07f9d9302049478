"""Ground truth from the kernel: a 40 Mbit/s shaped veth link between two network namespaces,
net-snmp's snmpd on one end (polled over a separate management veth), iperf3 across the link.

The collector's bits/s must match what iperf3 pushed through, its utilisation must read that
rate against the 40 Mbps contract, and taking the link down must turn it DOWN within one poll
interval plus the timeout. Root only (namespaces, tc); the addresses are link-local ones on
veths this test creates, so no traffic leaves the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from noc.inventory import load_inventory
from noc.polling.availability import State
from noc.polling.poller import Poller
from noc.snmp.lean_client import LeanClient
from tests.conftest import Loop
from tests.netns import clear, sh

pytestmark = [pytest.mark.root, pytest.mark.integration, pytest.mark.serial]

if os.geteuid() != 0:
    pytest.skip("needs root: network namespaces, veth and tc", allow_module_level=True)

DEV, PEER = "noctest-dev", "noctest-peer"
MGMT_HOST, MGMT_DEV = "169.254.71.1", "169.254.71.2"
LINK_DEV, LINK_PEER = "169.254.72.1", "169.254.72.2"
RATE = "40mbit"
CONTRACT_BPS = 40_000_000  # the link's contract in the inventory: the shaped rate
# iperf3 paces its payload at 32 Mbit/s, 84% of the shaped link on the wire: a saturated link
# runs TCP's sawtooth against the shaper's drops, and on a busy machine one 4 s window of it
# swung 4% off iperf3's 15 s average; a paced sender below the shaper keeps every window within
# 0.4% of its average, with all cores busy, so 2 s polls measure it.
PACED_BPS = 32_000_000
INTERVAL = 2
TIMEOUT = 2.0
# TCP payload per full-size segment (MTU 1500, timestamps on) and the bytes the interface counts
# for it (Ethernet 14 + IP 20 + TCP 32 + payload): iperf3 reports payload, ifOutOctets frames.
MSS, FRAME = 1448, 1514

INVENTORY = f"""
version: 1
network: {{name: netns lab, collector_site: host}}
tiers:
  uplink: {{poll_interval_s: {INTERVAL}, sla_target: 0.999, timeout_s: {TIMEOUT}, retries: 0}}
  backbone: {{poll_interval_s: {INTERVAL}, sla_target: 0.995}}
  access: {{poll_interval_s: {INTERVAL}, sla_target: 0.99}}
credentials:
  ns:
    version: 2c
    community: {{env: NOC_NETNS_COMMUNITY}}
kecamatan: [{{name: Lab}}]
sites:
  - {{name: host, kind: datacenter, title: host, kecamatan: Lab, lat: 0, lon: 0}}
devices:
  - name: ns-router
    site: host
    kind: linux
    role: core
    tier: uplink
    address: {MGMT_DEV}
    credentials: ns
    interfaces:
      - {{name: mgmt0, speed_bps: 10000000000}}
      - {{name: link0, speed_bps: 10000000000}}
links:
  - name: shaped-uplink
    medium: isp
    tier: uplink
    a: {{device: ns-router, interface: link0}}
    capacity_bps: {CONTRACT_BPS}
"""


def teardown() -> None:
    clear((DEV, PEER), ("nocmgmt0",))


@pytest.fixture(scope="module")
def netns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    for tool in ("ip", "tc", "snmpd", "iperf3"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: run `make system-packages`")
    work = tmp_path_factory.mktemp("netns")
    teardown()
    sh("ip", "netns", "add", DEV)
    sh("ip", "netns", "add", PEER)
    # management: host <-> device; the measured link: device <-> peer, shaped both ways
    sh("ip", "link", "add", "nocmgmt0", "type", "veth", "peer", "name", "mgmt0", "netns", DEV)
    sh("ip", "addr", "add", f"{MGMT_HOST}/30", "dev", "nocmgmt0")
    sh("ip", "link", "set", "nocmgmt0", "up")
    sh("ip", "addr", "add", f"{MGMT_DEV}/30", "dev", "mgmt0", ns=DEV)
    sh("ip", "link", "set", "mgmt0", "up", ns=DEV)
    sh("ip", "link", "set", "lo", "up", ns=DEV)
    sh("ip", "link", "add", "link0", "type", "veth", "peer", "name", "peer0", "netns", PEER, ns=DEV)
    sh("ip", "addr", "add", f"{LINK_DEV}/30", "dev", "link0", ns=DEV)
    sh("ip", "link", "set", "link0", "up", ns=DEV)
    sh("ip", "addr", "add", f"{LINK_PEER}/30", "dev", "peer0", ns=PEER)
    sh("ip", "link", "set", "peer0", "up", ns=PEER)
    sh("ip", "link", "set", "lo", "up", ns=PEER)
    for ns, dev in ((DEV, "link0"), (PEER, "peer0")):
        sh(
            "tc",
            "qdisc",
            "add",
            "dev",
            dev,
            "root",
            "tbf",
            "rate",
            RATE,
            "burst",
            "32kbit",
            "latency",
            "50ms",
            ns=ns,
        )
    conf = work / "snmpd.conf"
    conf.write_text(
        f"agentAddress udp:{MGMT_DEV}:161\nrocommunity public {MGMT_HOST}\n"
        f"rwcommunity noc-test-rw {MGMT_HOST} .1.3.6.1.4.1.8072.1.5\n"
    )
    snmpd = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            DEV,
            "snmpd",
            "-f",
            "-C",
            "-c",
            str(conf),
            "-Lf",
            str(work / "snmpd.log"),
            "-p",
            str(work / "snmpd.pid"),
        ],
    )
    iperf = subprocess.Popen(
        ["ip", "netns", "exec", PEER, "iperf3", "-s", "-B", LINK_PEER], stdout=subprocess.DEVNULL
    )
    for _ in range(50):
        probe = subprocess.run(
            [
                "snmpget",
                "-v2c",
                "-c",
                "public",
                "-t",
                "0.5",
                "-r",
                "0",
                MGMT_DEV,
                "1.3.6.1.2.1.1.3.0",
            ],
            capture_output=True,
            check=False,
        )
        if probe.returncode == 0:
            break
        time.sleep(0.2)
    # net-snmp serves interface counters from a cache refreshed every few seconds, which would
    # put up to +-50% of noise into a 2 s rate; expire it on every request (nsCacheTimeout 0).
    sh(
        "snmpset",
        "-v2c",
        "-c",
        "noc-test-rw",
        MGMT_DEV,
        "1.3.6.1.4.1.8072.1.5.3.1.2.1.3.6.1.2.1.2.2",
        "i",
        "0",
    )
    inventory = work / "inventory.yaml"
    inventory.write_text(INVENTORY)
    yield inventory
    snmpd.terminate()
    iperf.terminate()
    teardown()


def test_collector_matches_iperf3_and_sees_the_link_go_down(
    netns: Path, loop: Loop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOC_NETNS_COMMUNITY", "public")
    inv = load_inventory(netns)

    async def make() -> Poller:
        return Poller(inv, LeanClient())

    poller = loop.run(make())
    iperf = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            DEV,
            "iperf3",
            "-c",
            LINK_PEER,
            "-t",
            "8",
            "-O",
            "2",
            "-J",
            "-b",
            str(PACED_BPS),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(INTERVAL)  # past slow start and the omitted seconds
    rates = []
    for _ in range(4):
        loop.run(poller.poll_all())
        iface = poller.devices["ns-router"].interface_named("link0")
        assert iface is not None
        if iface.out_bps is not None:
            rates.append((iface.out_bps, iface.utilisation))
        time.sleep(INTERVAL)
    report = json.loads(iperf.communicate(timeout=120)[0])
    payload_bps = report["end"]["sum_sent"]["bits_per_second"]
    on_wire_bps = payload_bps * FRAME / MSS
    assert payload_bps == pytest.approx(PACED_BPS, rel=0.02)  # the sender kept its pace
    assert len(rates) == 3
    for bps, util in rates:
        assert bps == pytest.approx(on_wire_bps, rel=0.02)
        assert util is not None
        assert util == pytest.approx(on_wire_bps / CONTRACT_BPS, abs=0.01)
    assert poller.state_of("link:shaped-uplink").state is State.UP

    sh("ip", "link", "set", "link0", "down", ns=DEV)
    went_down = time.monotonic()
    loop.run(poller.poll_all())
    link0 = poller.devices["ns-router"].interface_named("link0")
    assert link0 is not None and link0.oper_status == 2, link0
    assert poller.state_of("link:shaped-uplink").state is State.DOWN
    assert time.monotonic() - went_down <= INTERVAL + TIMEOUT
    assert poller.state_of("ns-router").state is State.UP  # reachable over management
    loop.run(poller.client.close())
