"""Detection time of a dead BTS, over N trials: `noc serve` polls the lab (the whole Kota Bogor
inventory, SQLite); each trial kills bts-07 in the lab and, at the same moment, net-snmp's
`snmptrap` sends core-1's linkDown for its port toward bts-07 (v2c); measured is the time
until /metrics says bts-07 is down. After each trial bts-07 comes back and a linkUp is sent.

The anchor is the poll-only path of the same collector in the same run: the lab kills bts-05
and no message is sent; its time until DOWN is measured over `--poll-trials` trials (each is
up to the backbone's 60 s interval times its two misses). Printed: p50 and p99 of both, and
their ratio.

    .venv/bin/python benchmarks/trap_to_down.py [--trials 20] [--poll-trials 2]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ruamel.yaml import YAML  # noqa: E402

from tests.conftest import INVENTORY, Lab, with_port  # noqa: E402
from tests.integration.test_events import (  # noqa: E402
    CORE,
    IF_INDEX,
    LINK_DOWN,
    LINK_UP,
    Collector,
    until,
)
from tests.ports import free_port  # noqa: E402

LAB_PORT = 11962


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--poll-trials", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="noc-trap-bench-"))
    lab_inventory = with_port(INVENTORY, work / "lab-inventory.yaml", LAB_PORT)
    lab_proc = subprocess.Popen(
        [sys.executable, "-m", "noc", "lab", "serve", "--inventory", str(lab_inventory)],
        env={**os.environ, "NOC_VAR_DIR": str(work / "lab")},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    lab = Lab(work / "lab" / "lab" / "control.sock", lab_proc, lab_inventory)
    try:
        until("the lab", lambda: lab.status("none"), 60)
    except AssertionError:
        lab_proc.kill()
        raise
    yaml = YAML(typ="safe")
    doc = yaml.load(lab_inventory.read_text())
    for d in doc["devices"]:
        d.pop("ssh", None)
    inventory = work / "inventory.yaml"
    with inventory.open("w") as out:
        yaml.dump(doc, out)
    http, trap = free_port(), free_port(kind=socket.SOCK_DGRAM)
    env = {
        **os.environ,
        "NOC_VAR_DIR": str(work / "var"),
        "NOC_INVENTORY": str(inventory),
        "NOC_HTTP_PORT": str(http),
        "NOC_EVENTS_HOST": "127.0.0.1",
        "NOC_TRAP_PORT": str(trap),
        "NOC_SYSLOG_PORT": "0",
    }
    env.pop("NOC_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "noc", "serve"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    c = Collector(proc, env, f"http://127.0.0.1:{http}", trap, 0, work / "serve.log")
    hinted: list[float] = []
    polled: list[float] = []
    try:
        until("bts-05 and bts-07 UP", lambda: c.state("bts-05") == c.state("bts-07") == "up", 120)
        index = lab.interface("core-1", "vlan-bts-07")["index"]
        varbind = (f"{IF_INDEX}.{index}", "i", str(index))
        for _ in range(args.trials):
            lab.scenario("bts-07", "down")
            started = time.monotonic()
            c.trap(CORE, "", LINK_DOWN, *varbind)
            until("bts-07 DOWN", lambda: c.state("bts-07") == "down", 150)
            hinted.append(time.monotonic() - started)
            lab.scenario("bts-07", "down", on=False)
            c.trap(CORE, "", LINK_UP, *varbind)
            until("bts-07 UP", lambda: c.state("bts-07") == "up", 150)
        for _ in range(args.poll_trials):
            lab.scenario("bts-05", "down")
            started = time.monotonic()
            until("bts-05 DOWN", lambda: c.state("bts-05") == "down", 200)
            polled.append(time.monotonic() - started)
            lab.scenario("bts-05", "down", on=False)
            until("bts-05 UP", lambda: c.state("bts-05") == "up", 200)
    finally:
        proc.terminate()
        proc.wait(30)
        lab_proc.terminate()
        lab_proc.wait(30)
    h50, h99, p50 = pct(hinted, 50), pct(hinted, 99), statistics.median(polled)
    print(f"trap to DOWN ({len(hinted)} trials): p50 {h50:.2f} s, p99 {h99:.2f} s")
    print(f"poll only    ({len(polled)} trials): p50 {p50:.2f} s, max {max(polled):.2f} s")
    print(f"ratio (poll-only p50 / trap p50): {p50 / h50:.1f}x")


if __name__ == "__main__":
    main()
