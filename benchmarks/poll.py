"""Collector throughput against prometheus-snmp-exporter, on the same agents and objects.

Starts the simulated network (v2c devices of the inventory, every device on the generic
IF-MIB profile so both pollers ask for exactly the same objects), then measures steady-state
cycles: our collector (pysnmp client, decoding, rates, availability) in this process, and
prometheus-snmp-exporter (Debian package) scraped once per device per cycle. CPU time is the
poller's own (user + system); the agents' CPU is not counted for either.

    .venv/bin/python benchmarks/poll.py [--cycles 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
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

from noc.inventory import load_inventory  # noqa: E402
from noc.lab.control import LabControlError, call  # noqa: E402
from noc.polling.poller import Poller  # noqa: E402
from noc.snmp.client import SnmpClient  # noqa: E402
from noc.snmp.lean_client import LeanClient  # noqa: E402
from noc.snmp.pysnmp_client import PysnmpClient  # noqa: E402

PORT = 11361
EXPORTER = "127.0.0.1:19116"


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_inventory(work: Path) -> Path:
    """The inventory, v2c devices only, all on the IF-MIB profile, listening on PORT."""
    text = (ROOT / "inventory.yaml").read_text()
    text = re.sub(
        r"^(\s+)address: (\S+)$",
        rf"\1address: \2\n\1port: {PORT}\n\1profile: if_mib",
        text,
        flags=re.MULTILINE,
    )
    path = work / "inventory.yaml"
    path.write_text(text)
    return path


def exporter_config(work: Path) -> Path:
    return write_module(work / "snmp.yml", scalars=True)


def scrape(address: str) -> int:
    url = f"http://{EXPORTER}/snmp?module=if_mib&target={address}:{PORT}"
    body = urllib.request.urlopen(url, timeout=30).read().decode()
    match = re.search(r"^snmp_scrape_pdus_returned (\d+)", body, re.MULTILINE)
    return int(match[1]) if match else 0


def run_exporter(config: Path, addresses: list[str], cycles: int) -> tuple[float, int, float]:
    binary = shutil.which("prometheus-snmp-exporter")
    if binary is None:
        raise SystemExit(
            "prometheus-snmp-exporter missing: apt-get install prometheus-snmp-exporter"
        )
    proc = subprocess.Popen(
        [binary, f"--config.file={config}", f"--web.listen-address={EXPORTER}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://{EXPORTER}/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        with ThreadPoolExecutor(32) as pool:
            list(pool.map(scrape, addresses))  # warm up
            before, start = proc_cpu(proc.pid), time.monotonic()
            varbinds = sum(sum(pool.map(scrape, addresses)) for _ in range(cycles))
            wall = time.monotonic() - start
        return proc_cpu(proc.pid) - before, varbinds, wall
    finally:
        proc.terminate()
        proc.wait()


def run_ours(
    inventory: Path, names: list[str], cycles: int, engine: str
) -> tuple[float, int, float]:
    inv = load_inventory(inventory)

    async def go() -> tuple[float, int, float]:
        client: SnmpClient = PysnmpClient() if engine == "pysnmp" else LeanClient()
        poller = Poller(inv, client)
        await poller.poll_all(names)  # warm up: labels cached, first counters read
        before, start, varbinds = own_cpu(), time.monotonic(), 0
        for _ in range(cycles):
            varbinds += sum(r.varbinds for r in await poller.poll_all(names))
        wall = time.monotonic() - start
        await client.close()
        return own_cpu() - before, varbinds, wall

    return asyncio.run(go())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cycles", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        inventory = bench_inventory(work)
        env = {**os.environ, "NOC_VAR_DIR": str(work / "var")}
        lab = subprocess.Popen(
            [sys.executable, "-m", "noc", "lab", "serve", "--inventory", str(inventory)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(300):
                try:
                    call(work / "var" / "lab" / "control.sock", {"command": "status"})
                    break
                except LabControlError:
                    time.sleep(0.1)
            inv = load_inventory(inventory)
            v2c = [d for d in inv.devices if d.credentials == "lab-v2c"]
            names = [d.name for d in v2c]
            lean = run_ours(inventory, names, args.cycles, "lean")
            reference = run_ours(inventory, names, args.cycles, "pysnmp")
            exporter = run_exporter(
                exporter_config(work), [str(d.address) for d in v2c], args.cycles
            )
        finally:
            lab.terminate()
            lab.wait()
    print(f"{args.cycles} steady-state cycles over the {len(v2c)} SNMPv2c devices of the lab")
    print(
        f"{'poller':<28}{'varbinds':>10}{'CPU s':>8}{'varbinds/CPU s':>16}{'CPU s/10k vb':>14}"
        f"{'wall s':>8}{'varbinds/s':>12}"
    )
    rows = (
        ("noc collector (lean codec)", *lean),
        ("noc collector (pysnmp)", *reference),
        ("prometheus-snmp-exporter", *exporter),
    )
    for name, cpu, vb, wall in rows:
        print(
            f"{name:<28}{vb:>10}{cpu:>8.2f}{vb / cpu:>16.0f}{cpu / vb * 10_000:>14.3f}"
            f"{wall:>8.1f}{vb / wall:>12.0f}"
        )
    ratio = (lean[1] / lean[0]) / (exporter[1] / exporter[0])
    print(f"ratio (ours / exporter, varbinds per CPU second): {ratio:.2f}")
    print(f"lean codec / pysnmp: {(lean[1] / lean[0]) / (reference[1] / reference[0]):.2f}")


if __name__ == "__main__":
    main()
