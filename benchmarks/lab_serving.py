"""CPU cost of serving the whole simulated inventory: our lab agent vs snmpsim.

Both serve the same devices (a snapshot of the lab's MIB views, for snmpsim as .snmprec files)
on loopback; one "poll cycle" is what the collector asks of every device: a GETBULK walk of
the system group, ifTable and ifXTable, by net-snmp's snmpbulkwalk. The figure is the server
process's CPU seconds (user + system, from /proc) per cycle.

    .venv/bin/python benchmarks/lab_serving.py [--cycles 2]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from noc.inventory import load_inventory  # noqa: E402
from noc.lab.builder import build_lab  # noqa: E402
from noc.lab.control import LabControlError, call  # noqa: E402
from noc.snmp.values import Tag, format_oid  # noqa: E402

PORT = 11261
SUBTREES = ("1.3.6.1.2.1.1", "1.3.6.1.2.1.2.2", "1.3.6.1.2.1.31.1.1")
SNMPSIM_BOOT = """
import dbm, dbm.dumb, encodings.idna, encodings.ascii, encodings.latin_1, encodings.utf_8, sys
from snmpsim.commands.responder import main
sys.argv[0] = "snmpsim-command-responder"
sys.exit(main())
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def walk_all(addresses: list[str], community: str | None) -> int:
    def one(address: str) -> int:
        # snmpsim selects the data file by community; each device has its own.
        name = community or f"dev-{address.replace('.', '-')}"
        count = 0
        for subtree in SUBTREES:
            out = subprocess.run(
                [
                    "snmpbulkwalk",
                    "-On",
                    "-v2c",
                    "-c",
                    name,
                    "-t",
                    "5",
                    "-r",
                    "1",
                    f"{address}:{PORT}",
                    subtree,
                ],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            count += out.count("\n")
        return count

    with ThreadPoolExecutor(8) as pool:
        return sum(pool.map(one, addresses))


def measure(
    pid: int, addresses: list[str], community: str | None, cycles: int
) -> tuple[float, int]:
    walk_all(addresses[:3], community)  # warm up
    before = cpu_seconds(pid)
    varbinds = sum(walk_all(addresses, community) for _ in range(cycles))
    return (cpu_seconds(pid) - before) / cycles, varbinds // cycles


def with_port(source: Path, target: Path) -> Path:
    text = re.sub(
        r"^(\s+)address: (\S+)$",
        rf"\1address: \2\n\1port: {PORT}",
        source.read_text(),
        flags=re.MULTILINE,
    )
    target.write_text(text)
    return target


def ours(work: Path, inventory: Path, cycles: int) -> tuple[float, int]:
    env = {**os.environ, "NOC_VAR_DIR": str(work / "var"), "NOC_SNMP_COMMUNITY": "public"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "noc", "lab", "serve", "--inventory", str(inventory)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        sock = work / "var" / "lab" / "control.sock"
        for _ in range(300):
            try:
                call(sock, {"command": "status"})
                break
            except LabControlError:
                time.sleep(0.1)
        inv = load_inventory(inventory)
        addresses = [str(d.address) for d in inv.devices if d.credentials == "lab-v2c"]
        return measure(proc.pid, addresses, "public", cycles)
    finally:
        proc.terminate()
        proc.wait()


def write_snmprec(work: Path, inventory: Path) -> tuple[Path, list[str]]:
    """Snapshot every v2c device's MIB view into snmpsim's per-endpoint data files."""
    inv = load_inventory(inventory)
    now = time.time()
    data = work / "snmpsim-data"
    data.mkdir(parents=True)
    addresses = []
    agents = [a for a in build_lab(inv, now) if inv.device(a.device.name).credentials == "lab-v2c"]
    for agent in agents:
        lines = []
        for oid in agent.device._order:
            value = agent.device.get(oid, now)
            raw = value.value
            if value.tag is Tag.OCTET_STRING and isinstance(raw, bytes):
                lines.append(f"{format_oid(oid)}|4x|{raw.hex()}")
            else:
                lines.append(f"{format_oid(oid)}|{int(value.tag)}|{raw}")
        name = f"dev-{agent.address.replace('.', '-')}"
        (data / f"{name}.snmprec").write_text("\n".join(lines) + "\n")
        addresses.append(agent.address)
    return work / "snmpsim-data", addresses


def snmpsim(work: Path, inventory: Path, cycles: int) -> tuple[float, int]:
    data, addresses = write_snmprec(work, inventory)
    # snmpsim run as root drops to nobody before it builds its index: let nobody read and write.
    os.chmod(work, 0o755)  # noqa: S103 - a private temporary folder, read by snmpsim
    cache = work / "snmpsim-cache"
    cache.mkdir(mode=0o777)
    cache.chmod(0o777)
    args = [
        sys.executable,
        "-c",
        SNMPSIM_BOOT,
        f"--data-dir={data}",
        f"--cache-dir={cache}",
        "--logging-method=null",
    ]
    args += [f"--agent-udpv4-endpoint={a}:{PORT}" for a in addresses]
    if os.geteuid() == 0:
        args += ["--process-user=nobody", "--process-group=nogroup"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    community = f"dev-{addresses[-1].replace('.', '-')}"
    try:
        for _ in range(600):
            ok = subprocess.run(
                [
                    "snmpget",
                    "-v2c",
                    "-c",
                    community,
                    "-t",
                    "0.5",
                    "-r",
                    "0",
                    f"{addresses[-1]}:{PORT}",
                    "1.3.6.1.2.1.1.5.0",
                ],
                capture_output=True,
                check=False,
            )
            if ok.returncode == 0:
                break
            if proc.poll() is not None:
                raise RuntimeError(
                    f"snmpsim exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}"
                )
            time.sleep(0.2)
        return measure(proc.pid, addresses, None, cycles)
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        inventory = with_port(ROOT / "inventory.yaml", work / "inventory.yaml")
        our_cpu, our_vb = ours(work, inventory, args.cycles)
        sim_cpu, sim_vb = snmpsim(work, inventory, args.cycles)
    print(f"{'agent':<22}{'varbinds/cycle':>16}{'CPU s/cycle':>14}{'CPU s per 10k vb':>18}")
    for name, cpu, vb in (
        ("noc lab", our_cpu, our_vb),
        ("snmpsim 1.2.2", sim_cpu, sim_vb),
    ):
        print(f"{name:<22}{vb:>16}{cpu:>14.2f}{cpu / max(vb, 1) * 10_000:>18.3f}")
    print(
        f"ratio snmpsim/noc lab CPU per varbind: "
        f"{(sim_cpu / max(sim_vb, 1)) / (our_cpu / max(our_vb, 1)):.2f}"
    )


if __name__ == "__main__":
    main()
