"""Configuration backup of every lab device over real SSH: wall time and CPU of one run.

The lab's devices answer SSH on their loopback addresses (asyncssh, in a process of its own so
its CPU is not counted as ours); `noc config backup`'s run logs in to each with netmiko, runs
its model's commands, cleans the output and commits to the history. Printed: wall time, this
process's CPU, per device, for a first run (every device committed) and a second (nothing
changed). No anchor runs here (Oxidized is Ruby and not packaged for Debian); the figures are
ours alone.

    .venv/bin/python benchmarks/config_backup.py [--devices 40] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ruamel.yaml import YAML  # noqa: E402

from noc.config.backup import ConfigStore, backup, backup_devices  # noqa: E402
from noc.inventory import load_inventory  # noqa: E402
from tests.ports import free_port  # noqa: E402

SERVE = """
import asyncio, sys
from pathlib import Path
from noc.inventory import load_inventory
from noc.lab.ssh import LabSsh
async def main():
    lab = LabSsh(load_inventory(Path(sys.argv[1])), int(sys.argv[2]), "noc", "bench-password")
    await lab.start()
    print("ready", flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="noc-config-bench-"))
    yaml = YAML(typ="safe")
    doc = yaml.load((ROOT / "inventory.yaml").read_text())
    port = free_port("127.0.1.1")
    chosen = 0
    for d in doc["devices"]:
        if chosen < args.devices and d["kind"] in ("mikrotik_routeros", "cisco_ios", "linux"):
            d["ssh"] = {"credentials": "noc-ssh", "port": port}
            chosen += 1
        else:
            d.pop("ssh", None)
    inventory = work / "inventory.yaml"
    with inventory.open("w") as out:
        yaml.dump(doc, out)
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(inventory), str(port)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        inv = load_inventory(inventory)
        store = ConfigStore(work / "config")
        env = {**os.environ, "NOC_SSH_PASSWORD": "bench-password"}
        devices = backup_devices(inv)
        print(f"{len(devices)} devices over SSH, concurrency {args.concurrency}")
        print(f"{'run':<28}{'wall s':>10}{'CPU s':>10}{'CPU ms/device':>16}{'failed':>8}")
        for label in ("first (all committed)", "second (nothing changed)"):
            wall, cpu = time.perf_counter(), time.process_time()
            outcomes = asyncio.run(
                backup(inv, devices, store, concurrency=args.concurrency, environ=env)
            )
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            failed = sum(o.status == "failed" for o in outcomes)
            per = cpu / len(devices) * 1000
            print(f"{label:<28}{wall:>10.2f}{cpu:>10.2f}{per:>16.1f}{failed:>8}")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
