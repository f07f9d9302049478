"""A storm of notifications beside the polling: `noc serve` polls the lab's 148 devices while
5,000 v2c traps a second (a fifth of them garbage) arrive for 10 s. Printed: how the polls
that landed during the storm compare with those of the same length of time before it (mean
poll duration and count, the anchor being the same collector without a storm), late polls,
what was counted (processed, dropped by reason, the kernel's drops), the collector's CPU and
its RSS before and after.

    .venv/bin/python benchmarks/trap_storm.py [--rate 5000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from noc.events.meaning import IF_INDEX  # noqa: E402
from noc.events.traps import encode_v2_trap  # noqa: E402
from noc.snmp.values import Tag, Value  # noqa: E402
from tests.integration.test_events import (  # noqa: E402
    CORE,
    LINK_UP,
    family,
    rss,
    start_collector,
    start_lab,
    until,
)

LAB_PORT = 11963


def polls(text: str) -> dict[str, tuple[float, float]]:
    """Each device's (polls so far, last poll's duration)."""
    count = {
        m.group(1): float(m.group(2))
        for m in re.finditer(r'^noc_device_polls_total\{device="([^"]+)"[^}]*\} (\S+)$', text, re.M)
    }
    took = {
        m.group(1): float(m.group(2))
        for m in re.finditer(
            r'^noc_device_poll_duration_seconds\{device="([^"]+)"[^}]*\} (\S+)$', text, re.M
        )
    }
    return {d: (count[d], took.get(d, 0.0)) for d in count}


def landed(before: str, after: str) -> list[float]:
    """Durations of the polls that landed between two scrapes."""
    a, b = polls(before), polls(after)
    return [b[d][1] for d in b if d in a and b[d][0] > a[d][0]]


def cpu_s(pid: int) -> float:
    """CPU seconds of the collector and its children (the trap and syslog receiver)."""
    total = 0
    for p in family(pid):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=5000)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="noc-storm-bench-"))
    lab = start_lab(work, LAB_PORT)
    c = start_collector(work, lab.inventory)
    proc = c.proc
    try:
        until("every device polled", lambda: len(polls(c.metrics())) >= 140, 150)
        time.sleep(60)  # a whole cycle: every device's poll counters exist
        quiet_start = c.metrics()
        time.sleep(args.seconds)
        quiet_end = c.metrics()
        rss_before, cpu_before = rss(proc.pid), cpu_s(proc.pid)
        valid = encode_v2_trap(
            b"public", LINK_UP, [(f"{IF_INDEX}.12", Value(Tag.INTEGER, 12))], 1, 7
        )
        garbage = b"\x30\x82\xff\xff" + b"\x00" * 60
        senders = []
        for address in ("127.0.99.1", "127.0.99.2", "127.0.99.3", CORE, "127.0.99.4"):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((address, 0))
            senders.append(s)
        sent, started = 0, time.monotonic()
        for tick in range(args.seconds * 100):
            for n in range(args.rate // 100):
                sock = senders[n % len(senders)]
                sock.sendto(garbage if sock is senders[-1] else valid, ("127.0.0.1", c.trap_port))
                sent += 1
            pause = started + (tick + 1) / 100 - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        storm_end = c.metrics()
        took = time.monotonic() - started
        cpu = cpu_s(proc.pid) - cpu_before
        time.sleep(3)
        final = c.metrics()
        rss_after = rss(proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)
        lab.proc.terminate()
        lab.proc.wait(30)
    quiet, storm = landed(quiet_start, quiet_end), landed(quiet_end, storm_end)
    mean_quiet, mean_storm = sum(quiet) / len(quiet), sum(storm) / len(storm)
    print(f"storm: {sent} notifications in {took:.1f} s ({sent / took:.0f}/s)")
    print(
        f"polls without a storm: {len(quiet)} in {args.seconds} s, mean {mean_quiet * 1000:.1f} ms"
    )
    print(
        f"polls during the storm: {len(storm)} in {args.seconds} s, mean {mean_storm * 1000:.1f} ms"
    )
    print(f"ratio (storm / no storm, mean poll duration): {mean_storm / mean_quiet:.2f}")
    for line in final.splitlines():
        if line.startswith(("noc_events_", "noc_collector_late_polls_total")):
            print("  " + line)
    print(f"collector CPU during the storm, its receiver process included: {cpu:.1f} s", end="")
    print(f" ({cpu / took:.2f} core)")
    mib_before, mib_after = rss_before / 2**20, rss_after / 2**20
    print(f"collector RSS, its receiver process included: {mib_before:.0f} MiB before,", end="")
    print(f" {mib_after:.0f} MiB after")


if __name__ == "__main__":
    main()
