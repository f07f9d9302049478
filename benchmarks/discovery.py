"""Sweeping 10,236 addresses (127.0.0.0/19 and 127.0.32.0/21), of which the lab's 148 devices
answer and the rest are silent: `noc discover`'s sweep (v2c and v3 in turn, 1,024 in flight,
1,000 new addresses a second, 1 s each) and the tables of those that answered. Printed: wall
time, peak RSS of the process, what was found.

The anchor, in the same run: net-snmp's `snmpget` for sysName over the same addresses, 256 in
parallel (xargs -P), v2c only (one credential: half our work), as a sweep script does.

    .venv/bin/python benchmarks/discovery.py
"""

from __future__ import annotations

import asyncio
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from noc.discovery.sweep import Sweep, addresses, sweep  # noqa: E402
from noc.inventory import load_inventory  # noqa: E402
from noc.polling.targets import auth_for  # noqa: E402
from noc.snmp.codecs import client_factory  # noqa: E402
from tests.integration.test_events import start_lab  # noqa: E402

LAB_PORT = 11964
RANGES = ["127.0.0.0/19", "127.0.32.0/21"]


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="noc-discovery-bench-"))
    lab = start_lab(work, LAB_PORT)
    try:
        inv = load_inventory(lab.inventory)
        auths = {name: auth_for(inv, name) for name in inv.credentials}

        async def run() -> Sweep:
            client = client_factory()()
            try:
                return await sweep(client, RANGES, auths, LAB_PORT)
            finally:
                await client.close()

        started = time.monotonic()
        found = asyncio.run(run())
        ours = time.monotonic() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        listing = "\n".join(addresses(RANGES)) + "\n"
        started = time.monotonic()
        anchor = subprocess.run(
            [
                *("xargs", "-P", "256", "-I", "{}"),
                *("snmpget", "-v2c", "-c", "public", "-t", "1", "-r", "0", "-Oqv"),
                f"{{}}:{LAB_PORT}",
                "1.3.6.1.2.1.1.5.0",
            ],
            input=listing,
            capture_output=True,
            text=True,
            check=False,
        )
        theirs = time.monotonic() - started
    finally:
        lab.proc.terminate()
        lab.proc.wait(30)
    answered = [line for line in anchor.stdout.splitlines() if line.strip()]
    print(
        f"ours: {found.asked} addresses in {ours:.1f} s: {len(found.found)} answered "
        f"(tables read), {found.silent} silent; peak RSS {peak:.0f} MiB"
    )
    print(
        f"snmpget x {found.asked} (v2c only, 256 at once): {theirs:.1f} s, {len(answered)} answered"
    )
    print(f"ratio (snmpget time / ours): {theirs / ours:.1f}x")


if __name__ == "__main__":
    main()
