"""A full collector cycle of 1,000 targets x 24 interfaces, against net-snmp's snmpd.

snmpd runs in a network namespace holding 24 interfaces (lo, a veth to the host and 11 veth
pairs) and answers on every loopback address of that namespace; the collector runs in the
same namespace and polls 1,000 targets 127.1.x.y with the net-snmp Linux profile (system,
ifTable, ifXTable, HOST-RESOURCES processor and storage). Reported: wall time of each cycle
against the 60 s interval, and the CPU the collector and snmpd spent. Needs root.

    .venv/bin/python benchmarks/cycle.py [--targets 1000] [--cycles 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from poll import own_cpu, proc_cpu  # noqa: E402

NS = "nocbench"


def inner(targets: int, cycles: int, engine: str) -> None:
    """Inside the namespace: build the inventory and poll it."""
    from scrape import synthetic_inventory

    from noc.inventory.loader import validate_document
    from noc.polling.poller import Poller
    from noc.service import tune_gc
    from noc.snmp.lean_client import LeanClient
    from noc.snmp.pysnmp_client import PysnmpClient

    doc = synthetic_inventory(targets)
    for device in doc["devices"]:  # type: ignore[attr-defined]
        device["profile"] = "if_mib"
    inv = validate_document(Path("bench.yaml"), doc)

    tune_gc()  # as noc serve runs

    async def go() -> dict[str, object]:
        client = LeanClient() if engine == "lean" else PysnmpClient()
        poller = Poller(inv, client)
        first = time.monotonic()
        records = await poller.poll_all(concurrency=64)
        warm = time.monotonic() - first
        failed = [r.reason for r in records if not r.ok]
        out_warm = {"failed_in_warm_up": len(failed), "retries": sum(r.retries for r in records)}
        out: dict[str, object] = {"warm_up_s": warm, "cycles": [], **out_warm}
        for _ in range(cycles):
            cpu, start = own_cpu(), time.monotonic()
            records = await poller.poll_all(concurrency=64)
            out["cycles"].append(
                {  # type: ignore[attr-defined]
                    "wall_s": time.monotonic() - start,
                    "cpu_s": own_cpu() - cpu,
                    "ok": sum(r.ok for r in records),
                    "varbinds": sum(r.varbinds for r in records),
                    "retries": sum(r.retries for r in records),
                }
            )
        await client.close()
        return out

    print(json.dumps(asyncio.run(go())))


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--engine", choices=["lean", "pysnmp"], default="lean")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(args.targets, args.cycles, args.engine)
        return
    if os.geteuid() != 0:
        raise SystemExit("needs root: a network namespace with 24 interfaces for snmpd")
    subprocess.run(["ip", "netns", "del", NS], capture_output=True, check=False)
    sh("ip", "netns", "add", NS)
    try:
        sh("ip", "-n", NS, "link", "set", "lo", "up")
        # lo + eth0 (its peer stays outside) + 11 veth pairs = 24 interfaces
        sh("ip", "link", "add", "nocbench0", "type", "veth", "peer", "name", "eth0", "netns", NS)
        for i in range(11):
            sh("ip", "-n", NS, "link", "add", f"va{i}", "type", "veth", "peer", "name", f"vb{i}")
        count = subprocess.run(
            ["ip", "-n", NS, "-o", "link"], capture_output=True, text=True, check=True
        ).stdout.count("\n")
        with tempfile.TemporaryDirectory() as tmp:
            conf = Path(tmp) / "snmpd.conf"
            conf.write_text("agentAddress udp:161\nrocommunity public 127.0.0.0/8\n")
            command = [
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
                f"{tmp}/pid",
            ]
            agent = subprocess.Popen(command)
            time.sleep(1.5)
            snmpd_pid = int(Path(f"{tmp}/pid").read_text())
            before = proc_cpu(snmpd_pid)
            result = subprocess.run(
                [
                    "ip",
                    "netns",
                    "exec",
                    NS,
                    sys.executable,
                    __file__,
                    "--inner",
                    "--targets",
                    str(args.targets),
                    "--cycles",
                    str(args.cycles),
                    "--engine",
                    args.engine,
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            snmpd_cpu = proc_cpu(snmpd_pid) - before
            agent.terminate()
            agent.wait()
        if result.returncode != 0:
            raise SystemExit(result.stderr[-3000:])
        data = json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        subprocess.run(["ip", "netns", "del", NS], capture_output=True, check=False)
        subprocess.run(["ip", "link", "del", "nocbench0"], capture_output=True, check=False)
    print(
        f"{args.targets} targets x {count} interfaces (snmpd in a network namespace), "
        f"client: {args.engine}"
    )
    print(
        f"warm-up cycle (labels, first counters): {data['warm_up_s']:.1f} s, "
        f"{data['failed_in_warm_up']} failed, {data['retries']} retries"
    )
    for n, cycle in enumerate(data["cycles"], 1):
        print(
            f"cycle {n}: {cycle['wall_s']:5.1f} s wall of a 60 s interval, "
            f"collector CPU {cycle['cpu_s']:5.1f} s, {cycle['varbinds']:,} varbinds, "
            f"{cycle['ok']} ok, {cycle['retries']} retries"
        )
    total = sum(c["cpu_s"] for c in data["cycles"])
    print(
        f"snmpd CPU over all cycles (warm-up included): {snmpd_cpu:.1f} s; collector CPU in the "
        f"measured cycles: {total:.1f} s"
    )


if __name__ == "__main__":
    main()
