"""Flow records a second on one core: decoding and aggregation, ours beside nfdump's nfcapd on
the same packets. Two figures:

1. in-process: IPFIX messages (30 records each, MikroTik's IPv4 layout with post-NAT fields)
   decoded and put into 1-minute buckets, CPU time measured (the target: 20,000 records/s);
2. over UDP: the same messages sent at a steady rate on loopback, first to our flow collector
   (its own process, as in `noc serve`, store writes included), then to `nfcapd` (which writes
   its binary files); each one's CPU seconds per record counted, from /proc. Both must account
   for every record sent (ours: its counter; nfcapd: `nfdump` reading its file back).

    .venv/bin/python benchmarks/flows.py [--records 300000] [--rate 30000]
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from noc.flows.aggregate import Aggregator  # noqa: E402
from noc.flows.attribute import Attribution  # noqa: E402
from noc.flows.decode import Decoder  # noqa: E402
from noc.flows.process import FlowCollector, spec_for  # noqa: E402
from noc.inventory import load_inventory  # noqa: E402
from noc.lab import netflow as nf  # noqa: E402
from noc.store.db import make_engine, upgrade  # noqa: E402

PER_MESSAGE = 30
EXPORTER = "127.0.0.1"


def messages(inventory: Path, count: int) -> list[bytes]:
    """`count` records in IPFIX messages from the inventory's sites to remote servers, the
    template every 20 messages, as a router refreshes it."""
    inv = load_inventory(inventory)
    inside = [int(n.network_address) + 10 for s in inv.sites for n in s.subnets] or [1]
    remote = int(ipaddress.ip_address("198.51.100.0"))
    public = int(ipaddress.ip_address("203.0.113.10"))
    now = int(time.time())
    out, n = [], 0
    while n < count:
        rows = []
        for i in range(PER_MESSAGE):
            k = n + i
            host = inside[k % len(inside)] + k % 50
            port = (443, 80, 53, 993, 1935, 5001)[k % 6]
            if k % 2:
                rows.append(
                    (
                        host,
                        remote + k % 200,
                        40000 + k % 2000,
                        port,
                        6,
                        1400 + k % 300,
                        3,
                        2,
                        1,
                        (now - 30) * 1000,
                        now * 1000,
                        public,
                        0,
                    )
                )
            else:
                rows.append(
                    (
                        remote + k % 200,
                        public,
                        port,
                        40000 + k % 2000,
                        6,
                        9000 + k % 900,
                        7,
                        1,
                        2,
                        (now - 30) * 1000,
                        now * 1000,
                        0,
                        host,
                    )
                )
        sets = [nf.data_set(256, nf.IPV4_NAT, rows)]
        if len(out) % 20 == 0:
            sets.insert(0, nf.template_set(10, 256, nf.IPV4_NAT))
        out.append(nf.message(10, sets, now, n, 1))
        n += PER_MESSAGE
    return out


def in_process(inventory: Path, packets: list[bytes]) -> float:
    inv = load_inventory(inventory)
    decoder, agg = Decoder(frozenset({EXPORTER})), Aggregator(Attribution.of(inv))
    started = time.process_time()
    now = time.time()
    for p in packets:
        agg.add(decoder.decode(p, EXPORTER), now)
    agg.take()
    took = time.process_time() - started
    assert not decoder.dropped, decoder.dropped
    return decoder.records / took


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def send(packets: list[bytes], port: int, rate: int) -> None:
    """At `rate` records a second, in bursts every 10 ms."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    per_tick = max(1, rate // PER_MESSAGE // 100)
    started = time.monotonic()
    for i in range(0, len(packets), per_tick):
        for p in packets[i : i + per_tick]:
            sock.sendto(p, (EXPORTER, port))
        ahead = started + (i + per_tick) * PER_MESSAGE / rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    sock.close()


def free_udp() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((EXPORTER, 0))
        return int(s.getsockname()[1])


async def ours(inventory: Path, work: Path, packets: list[bytes], rate: int) -> tuple[int, float]:
    url = f"sqlite:///{work / 'flows.db'}"
    upgrade(make_engine(url))
    port = free_udp()
    inv = load_inventory(inventory)
    spec = spec_for(inv, EXPORTER, port, url, 62, 30)
    spec = type(spec)(
        **{**spec.__dict__, "exporters": frozenset({EXPORTER}), "uplink": frozenset({EXPORTER})}
    )
    collector = FlowCollector()
    stop = asyncio.Event()
    task = asyncio.create_task(collector.run(spec, stop))
    while not collector.port:
        await asyncio.sleep(0.05)
    (child,) = multiprocessing.active_children()
    assert child.pid is not None
    before = cpu_s(child.pid)
    await asyncio.to_thread(send, packets, port, rate)
    want = len(packets) * PER_MESSAGE
    deadline = time.monotonic() + 60
    while collector.counts.records < want and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.5)  # the last buckets written
    used = cpu_s(child.pid) - before
    stop.set()
    await task
    return collector.counts.records, used


def nfcapd(work: Path, packets: list[bytes], rate: int) -> tuple[int, float] | None:
    if shutil.which("nfcapd") is None or shutil.which("nfdump") is None:
        return None
    out = work / "nfcapd"
    out.mkdir()
    port = free_udp()
    proc = subprocess.Popen(
        ["nfcapd", "-b", EXPORTER, "-p", str(port), "-w", str(out), "-t", "3600"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)
    before = cpu_s(proc.pid)
    send(packets, port, rate)
    time.sleep(2.0)
    used = cpu_s(proc.pid) - before
    proc.terminate()  # nfcapd writes its file out on the way down
    proc.wait(30)
    files = [f for f in out.rglob("nfcapd.*") if f.is_file()]
    counted = 0
    for f in files:
        got = subprocess.run(
            ["nfdump", "-r", str(f), "-q", "-o", "csv", "-c", "100000000"],
            capture_output=True,
            text=True,
            check=False,
        )
        counted += sum(1 for line in got.stdout.splitlines() if line[:1].isdigit())
    return counted, used


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--rate", type=int, default=30_000, help="records a second over UDP")
    parser.add_argument("--inventory", type=Path, default=ROOT / "inventory.yaml")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="noc-flows-bench-"))
    packets = messages(args.inventory, args.records)
    total = len(packets) * PER_MESSAGE
    print(f"{total:,} records in {len(packets):,} IPFIX messages of {PER_MESSAGE}")
    best = max(in_process(args.inventory, packets) for _ in range(3))
    print(f"in-process decode + buckets: {best:,.0f} records/s on one core (target 20,000)")
    got, used = await ours(args.inventory, work, packets, args.rate)
    print(
        f"ours over UDP at {args.rate:,}/s: {got:,} of {total:,} records, {used:.2f} s CPU, "
        f"{got / used:,.0f} records per CPU second"
    )
    anchor = nfcapd(work, packets, args.rate)
    if anchor is None:
        print("nfcapd: not installed (Debian's nfdump package); no anchor")
        return
    counted, anchor_used = anchor
    print(
        f"nfcapd over UDP at {args.rate:,}/s: {counted:,} of {total:,} records, "
        f"{anchor_used:.2f} s CPU, {counted / max(anchor_used, 1e-9):,.0f} records per CPU second"
    )
    ratio = (got / used) / (counted / max(anchor_used, 1e-9))
    print(f"ratio (ours / nfcapd, records per CPU second): {ratio:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
