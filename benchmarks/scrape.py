"""Time to serve /metrics for 1,000 devices x 24 interfaces, beside prometheus-snmp-exporter.

Ours: what /metrics serves, `NocMetrics.exposition()`, for 1,000 devices with 24 interfaces
each (state built by polling simulated devices through the fake client, twice, so rates exist).
Each device's series are written as its poll lands (the fragments), so a scrape is a copy; the
writing is reported too (its CPU is spent in the polls, once per poll, not per scrape), as is
the gzip size (Prometheus asks for gzip) and the time to compress it. `--reference` also times
the families built at scrape time (how /metrics was served before the fragments).
The anchor: prometheus-snmp-exporter answering /snmp for the same number of targets of 24
interfaces each. Its agent is net-snmp's snmpd in a network namespace holding 24 interfaces
(root needed), reached over a link-local veth, so the agent is not the bottleneck.

    .venv/bin/python benchmarks/scrape.py [--devices 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from snmp_exporter_config import write_module  # noqa: E402

from noc.exporter import DeviceFragments, NocMetrics, render  # noqa: E402
from noc.exporter.cache import _gzip  # noqa: E402
from noc.inventory.loader import validate_document  # noqa: E402
from noc.lab.builder import build_lab  # noqa: E402
from noc.polling.poller import Poller  # noqa: E402
from noc.snmp.fake import FakeSnmpClient  # noqa: E402

NS = "nocbench"
HOST, AGENT = "169.254.73.1", "169.254.73.2"
EXPORTER = "127.0.0.1:19117"
INTERFACES = 24


def synthetic_inventory(devices: int) -> dict[str, object]:
    sites = [
        {
            "name": "dc",
            "kind": "datacenter",
            "title": "DC",
            "kecamatan": "K",
            "lat": -6.6,
            "lon": 106.8,
        }
    ]
    secret = {"env": "NOC_BENCH_COMMUNITY", "lab_default": "public"}
    return {
        "version": 1,
        "network": {"name": "bench", "collector_site": "dc"},
        "tiers": {
            t: {"poll_interval_s": 60, "sla_target": 0.99} for t in ("uplink", "backbone", "access")
        },
        "credentials": {"c": {"version": "2c", "community": secret}},
        "kecamatan": [{"name": "K"}],
        "sites": sites,
        "devices": [
            {
                "name": f"d{n:04d}",
                "site": "dc",
                "kind": "cisco_ios",
                "role": "kelurahan",
                "tier": "access",
                "address": f"127.1.{n // 250}.{n % 250 + 1}",
                "credentials": "c",
                "interfaces": [
                    {"name": f"Gi0/{i}", "speed_bps": 1_000_000_000} for i in range(INTERFACES)
                ],
            }
            for n in range(devices)
        ],
        "links": [],
    }


def ours(devices: int, reference: bool = False) -> dict[str, float]:
    inv = validate_document(Path("bench.yaml"), synthetic_inventory(devices))
    clock = [1_796_090_400.0]
    sims = {a.device.name: a.device for a in build_lab(inv, clock[0] - 86400)}

    def snapshot() -> dict[str, dict[tuple[int, ...], object]]:
        return {n: {o: d.get(o, clock[0]) for o in d._order} for n, d in sims.items()}

    client = FakeSnmpClient(snapshot())  # type: ignore[arg-type]
    poller = Poller(inv, client, clock=lambda: clock[0])
    fragments = DeviceFragments(poller.live)
    poller.sink = fragments
    asyncio.run(poller.poll_all())
    clock[0] += 60
    client.mibs = snapshot()  # type: ignore[assignment]
    asyncio.run(poller.poll_all())
    start = time.process_time()
    for name in poller.devices:  # what the polls spend writing, once per poll
        fragments.refresh(name)
    write_s = (time.process_time() - start) / devices
    metrics = NocMetrics(poller.live, fragments=fragments)
    metrics.exposition()  # warm up
    runs, start = 5, time.perf_counter()
    for _ in range(runs):
        body = metrics.exposition()
    out = {
        "seconds": (time.perf_counter() - start) / runs,
        "bytes": len(body),
        "series": _series(body),
        "write_ms_per_device": write_s * 1000,
    }
    start = time.perf_counter()
    out["gzip_bytes"] = len(_gzip(body))
    out["gzip_seconds"] = time.perf_counter() - start
    if reference:
        from tests.reference_exporter import ReferenceDevices

        reference_metrics = NocMetrics(poller.live)
        start = time.perf_counter()
        families = [*ReferenceDevices(poller.live).collect(), *reference_metrics.collect()]
        out["reference_bytes"] = len(render(families))
        out["reference_seconds"] = time.perf_counter() - start
    return out


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True)


def start_agent(work: Path) -> subprocess.Popen[bytes]:
    # What an interrupted run left: its agent, its namespace, its veth.
    left = subprocess.run(["ip", "netns", "pids", NS], capture_output=True, text=True, check=False)
    for pid in left.stdout.split():
        subprocess.run(["kill", "-9", pid], check=False)
    subprocess.run(["ip", "netns", "del", NS], capture_output=True, check=False)
    subprocess.run(["ip", "link", "del", "nocbench0"], capture_output=True, check=False)
    sh("ip", "netns", "add", NS)
    sh("ip", "link", "add", "nocbench0", "type", "veth", "peer", "name", "eth0", "netns", NS)
    sh("ip", "addr", "add", f"{HOST}/30", "dev", "nocbench0")
    sh("ip", "link", "set", "nocbench0", "up")
    sh("ip", "-n", NS, "addr", "add", f"{AGENT}/30", "dev", "eth0")
    sh("ip", "-n", NS, "link", "set", "eth0", "up")
    sh("ip", "-n", NS, "link", "set", "lo", "up")
    for i in range((INTERFACES - 2) // 2):  # lo + eth0 + 11 veth pairs = 24 interfaces
        sh("ip", "-n", NS, "link", "add", f"va{i}", "type", "veth", "peer", "name", f"vb{i}")
    conf = work / "snmpd.conf"
    conf.write_text(f"agentAddress udp:{AGENT}:161\nrocommunity public {HOST}\n")
    agent = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            NS,
            "snmpd",
            "-f",
            "-C",
            "-c",
            str(conf),
            "-Lf",
            "/dev/null",
            "-p",
            str(work / "snmpd.pid"),
        ]
    )
    time.sleep(1.5)
    return agent


def exporter_config(work: Path) -> Path:
    return write_module(work / "snmp.yml", scalars=False)


def _series(body: bytes) -> int:
    """Samples in an exposition (the series a Prometheus keeps from it)."""
    return sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))


def anchor(devices: int, work: Path) -> tuple[float, int, int] | str:
    if os.geteuid() != 0:
        return "needs root (a network namespace with 24 interfaces for snmpd)"
    binary = shutil.which("prometheus-snmp-exporter")
    if binary is None or shutil.which("snmpd") is None:
        return "needs prometheus-snmp-exporter and snmpd (make system-packages)"
    agent = start_agent(work)
    proc = subprocess.Popen(
        [binary, f"--config.file={exporter_config(work)}", f"--web.listen-address={EXPORTER}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://{EXPORTER}/snmp?module=if_mib&target={AGENT}"
    try:
        time.sleep(1)

        def scrape(_: int) -> bytes:
            return bytes(urllib.request.urlopen(url, timeout=30).read())

        first = scrape(0)
        start = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            sizes = [len(b) for b in pool.map(scrape, range(devices))]
        return time.perf_counter() - start, sum(sizes), _series(first)
    finally:
        proc.terminate()
        agent.terminate()
        subprocess.run(["ip", "netns", "del", NS], capture_output=True, check=False)
        subprocess.run(["ip", "link", "del", "nocbench0"], capture_output=True, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument(
        "--reference", action="store_true", help="also time the families built at scrape time"
    )
    parser.add_argument("--no-anchor", action="store_true", help="skip snmp_exporter")
    args = parser.parse_args()
    m = ours(args.devices, args.reference)
    seconds, size = m["seconds"], int(m["bytes"])
    print(f"{args.devices} devices x {INTERFACES} interfaces")
    print(f"{'server':<44}{'seconds':>10}{'bytes':>14}{'bytes/device':>14}")
    print(
        f"{'noc exporter, one /metrics':<44}{seconds:>10.3f}{size:>14}{size / args.devices:>14.0f}"
    )
    print(
        f"{'  the same, gzip (level 1)':<44}{m['gzip_seconds']:>10.3f}{m['gzip_bytes']:>14.0f}"
        f"{m['gzip_bytes'] / args.devices:>14.0f}"
    )
    print(f"  written as each poll lands: {m['write_ms_per_device']:.2f} ms of CPU per device")
    if args.reference:
        before, took = m["reference_bytes"], m["reference_seconds"]
        print(
            f"{'  families built at scrape time (before)':<44}{took:>10.3f}{before:>14.0f}"
            f"{before / args.devices:>14.0f}"
        )
    if args.no_anchor:
        return
    with tempfile.TemporaryDirectory() as tmp:
        result = anchor(args.devices, Path(tmp))
    if isinstance(result, str):
        print(f"prometheus-snmp-exporter: not measured: {result}")
        return
    their, their_size, their_series = result
    print(f"{'prometheus-snmp-exporter, one /snmp each':<44}{their:>10.3f}{their_size:>14}")
    print(f"ratio (exporter time / ours): {their / seconds:.1f}")
    ours_per = m["series"] / args.devices
    print(
        f"series per device of {INTERFACES} interfaces: ours {ours_per:.0f} "
        f"({ours_per / INTERFACES:.1f} an interface, device series included), "
        f"snmp_exporter's if_mib {their_series} (ratio {ours_per / their_series:.2f})"
    )


if __name__ == "__main__":
    main()
