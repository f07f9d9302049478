"""What the series cost the Prometheus that keeps them: Debian's Prometheus scraping 1,000
simulated devices of 24 interfaces from us, then from prometheus-snmp-exporter, in turn.

Ours: one /metrics for the 1,000 devices (polled through the fake client every scrape
interval, so the counters move), served over HTTP. The anchor: prometheus-snmp-exporter's
if_mib module, 1,000 targets (each `/snmp?target=` the same net-snmp agent in a network
namespace holding 24 interfaces, labelled as its own device). Each run lasts the same number of
scrape intervals on a fresh Prometheus; printed for each: head series (per device), the
Prometheus process's RSS, and its CPU seconds per scrape interval, and the ratios.

    .venv/bin/python benchmarks/prometheus.py [--devices 1000] [--minutes 3]   (root)
"""

from __future__ import annotations

import argparse
import http.server
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from scrape import (  # noqa: E402
    AGENT,
    EXPORTER,
    INTERFACES,
    NS,
    exporter_config,
    start_agent,
    synthetic_inventory,
)

from noc.exporter import DeviceFragments, NocMetrics  # noqa: E402
from noc.inventory.loader import validate_document  # noqa: E402
from noc.lab.builder import build_lab  # noqa: E402
from noc.polling.poller import Poller  # noqa: E402
from noc.snmp.fake import FakeSnmpClient  # noqa: E402
from tests.ports import free_port  # noqa: E402

INTERVAL_S = 15


class OurMetrics:
    """1,000 simulated devices, polled once per scrape interval, their /metrics on HTTP."""

    def __init__(self, devices: int) -> None:
        import asyncio

        inv = validate_document(Path("bench.yaml"), synthetic_inventory(devices))
        self.clock = [time.time()]
        sims = {a.device.name: a.device for a in build_lab(inv, self.clock[0] - 86400)}

        def snapshot() -> dict[str, dict[tuple[int, ...], object]]:
            return {n: {o: d.get(o, self.clock[0]) for o in d._order} for n, d in sims.items()}

        self.snapshot = snapshot
        self.client = FakeSnmpClient(snapshot())  # type: ignore[arg-type]
        self.poller = Poller(inv, self.client, clock=lambda: self.clock[0])
        fragments = DeviceFragments(self.poller.live)
        self.poller.sink = fragments
        self.metrics = NocMetrics(self.poller.live, fragments=fragments)
        self.loop = asyncio.new_event_loop()
        self.poll()
        self.body = self.metrics.exposition()
        self.stop = threading.Event()

    def poll(self) -> None:
        self.clock[0] = time.time()
        self.client = FakeSnmpClient(self.snapshot())  # type: ignore[arg-type]
        self.poller.client = self.client
        self.loop.run_until_complete(self.poller.poll_all())

    def serve(self, port: int) -> http.server.ThreadingHTTPServer:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = owner.body
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()

        def polling() -> None:
            while not self.stop.wait(INTERVAL_S):
                self.poll()
                self.body = self.metrics.exposition()

        threading.Thread(target=polling, daemon=True).start()
        return server


def prometheus(work: Path, scrape: dict[str, object]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    config = {
        "global": {"scrape_interval": f"{INTERVAL_S}s", "scrape_timeout": f"{INTERVAL_S - 1}s"},
        "scrape_configs": [scrape],
    }
    path = work / "prometheus.yml"
    path.write_text(json.dumps(config))  # JSON is YAML
    data = work / "data"
    shutil.rmtree(data, ignore_errors=True)
    proc = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={path}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc, port


def own(port: int, name: str) -> float:
    """A series of Prometheus's own /metrics (it does not scrape itself here)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r:
        for line in r.read().decode().splitlines():
            if line.startswith((name + " ", name + "{")):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(work: Path, scrape: dict[str, object], minutes: float) -> dict[str, float]:
    proc, port = prometheus(work, scrape)
    try:
        time.sleep(INTERVAL_S * 2)  # up, and a first scrape or two
        cpu0 = own(port, "process_cpu_seconds_total")
        began = time.monotonic()
        time.sleep(minutes * 60)
        cpu1 = own(port, "process_cpu_seconds_total")
        intervals = (time.monotonic() - began) / INTERVAL_S
        return {
            "series": own(port, "prometheus_tsdb_head_series"),
            "rss_mb": rss_mb(proc.pid),
            "cpu_per_scrape": (cpu1 - cpu0) / intervals,
        }
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ours = OurMetrics(args.devices)
        port = free_port()
        server = ours.serve(port)
        mine = run(
            work,
            {"job_name": "noc", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]},
            args.minutes,
        )
        ours.stop.set()
        server.shutdown()
        binary = shutil.which("prometheus-snmp-exporter")
        if binary is None:
            print("prometheus-snmp-exporter: not installed; no anchor")
            return
        agent = start_agent(work)
        exporter = subprocess.Popen(
            [
                binary,
                f"--config.file={exporter_config(work)}",
                f"--web.listen-address={EXPORTER}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            theirs = run(
                work,
                {
                    "job_name": "snmp",
                    "metrics_path": "/snmp",
                    "params": {"module": ["if_mib"]},
                    "static_configs": [{"targets": [f"d{n:04d}" for n in range(args.devices)]}],
                    "relabel_configs": [
                        {"source_labels": ["__address__"], "target_label": "instance"},
                        {"target_label": "__param_target", "replacement": AGENT},
                        {"target_label": "__address__", "replacement": EXPORTER},
                    ],
                },
                args.minutes,
            )
        finally:
            exporter.terminate()
            agent.terminate()  # and its namespace, as scrape.py's anchor leaves nothing
            agent.wait()
            subprocess.run(["ip", "netns", "del", NS], capture_output=True, check=False)
            subprocess.run(["ip", "link", "del", "nocbench0"], capture_output=True, check=False)
    n = args.devices
    print(
        f"{n} devices x {INTERFACES} interfaces, scraped every {INTERVAL_S} s, {args.minutes} min"
    )
    print(f"{'':<28}{'head series':>14}{'per device':>12}{'RSS MB':>10}{'CPU s/scrape':>14}")
    for name, m in (("ours (one /metrics)", mine), ("snmp_exporter (if_mib)", theirs)):
        print(
            f"{name:<28}{m['series']:>14,.0f}{m['series'] / n:>12.0f}{m['rss_mb']:>10.0f}"
            f"{m['cpu_per_scrape']:>14.3f}"
        )
    print(
        f"ratio ours/theirs: series {mine['series'] / theirs['series']:.2f}, "
        f"RSS {mine['rss_mb'] / theirs['rss_mb']:.2f}, "
        f"CPU {mine['cpu_per_scrape'] / max(theirs['cpu_per_scrape'], 1e-9):.2f}"
    )


if __name__ == "__main__":
    main()
