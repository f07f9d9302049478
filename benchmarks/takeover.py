"""Takeover time after kill -9, over N trials: three `noc serve --name` collectors share a
PostgreSQL store (the machine's server, a database made for the run) and poll the lab; each
trial kills the collector holding bts-05 and measures how long until another collector's poll
of bts-05 starts. The killed collector is started again (same name) before the next trial.

The reference is the bound the fleet promises: one poll interval plus the lease.

    .venv/bin/python benchmarks/takeover.py [--trials 10] [--lease 6] [--interval 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import INVENTORY, Lab, pg_database, with_port  # noqa: E402
from tests.integration import test_fleet as harness  # noqa: E402
from tests.subset import subset_inventory  # noqa: E402

LAB_PORT = 11961


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--lease", type=float, default=6.0)
    parser.add_argument("--interval", type=float, default=5.0)
    args = parser.parse_args()
    harness.LEASE_S = args.lease
    work = Path(tempfile.mkdtemp(prefix="noc-takeover-"))
    inventory = subset_inventory(
        INVENTORY, work / "inventory.yaml", harness.KEEP, LAB_PORT, poll_interval_s=args.interval
    )
    lab_inventory = with_port(INVENTORY, work / "lab-inventory.yaml", LAB_PORT)
    env = {**os.environ, "NOC_VAR_DIR": str(work / "lab")}
    lab_proc = subprocess.Popen(
        [sys.executable, "-m", "noc", "lab", "serve", "--inventory", str(lab_inventory)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    lab = Lab(work / "lab" / "lab" / "control.sock", lab_proc, lab_inventory)
    harness.wait_for("the lab", lambda: lab.status("none"), timeout=60)
    results: list[float] = []
    try:
        with pg_database("noc_takeover") as db:
            from noc.inventory import load_inventory
            from noc.polling.domains import device_domains
            from noc.store.db import make_engine

            name = db.url.rsplit("/", 1)[1]
            members = [
                harness.Member(work, name, n, s, inventory)
                for n, s in (("dc-1", "dc"), ("dc-2", "dc"), ("dr-1", "dr"))
            ]
            fleet = harness.Fleet(
                members, make_engine(db.url), device_domains(load_inventory(inventory))
            )
            for member in members:
                member.start()
            try:
                for trial in range(args.trials):
                    harness.wait_for("a settled fleet", fleet.settled, timeout=90)
                    victim = fleet.members[str(fleet.owner(harness.BTS))]
                    killed_at = time.time()
                    victim.signal(signal.SIGKILL)
                    assert victim.proc is not None
                    victim.proc.wait()

                    def taken(
                        victim: harness.Member = victim, killed_at: float = killed_at
                    ) -> float | None:
                        row = fleet.last_poll(harness.BTS)
                        if row is None or row.collector == victim.name:
                            return None
                        started = row.at - row.duration_s
                        return started - killed_at if started > killed_at else None

                    took = harness.wait_for("bts-05 polled by another", taken, timeout=60)
                    results.append(took)
                    print(
                        f"trial {trial + 1}: {victim.name} killed, bts-05 polled again "
                        f"after {took:.2f} s",
                        flush=True,
                    )
                    victim.start()
            finally:
                for member in members:
                    if member.proc is not None and member.proc.poll() is None:
                        member.signal(signal.SIGKILL)
                        member.proc.wait()
                    member.proxy.stop()
                fleet.engine.dispose()
    finally:
        lab_proc.terminate()
        lab_proc.wait(10)
    bound = args.interval + args.lease
    print(
        f"\ntakeover after kill -9 over {len(results)} trials (lease {args.lease:g} s, "
        f"interval {args.interval:g} s):"
    )
    print(
        f"  min {min(results):.2f} s  median {statistics.median(results):.2f} s  "
        f"max {max(results):.2f} s  stdev {statistics.pstdev(results):.2f} s"
    )
    print(f"  bound (interval + lease) {bound:g} s; worst/bound = {max(results) / bound:.2f}")


if __name__ == "__main__":
    main()
