"""Detection time of a dead BTS, over N trials: `noc serve` polls the lab (the whole Kota Bogor
inventory, SQLite); each trial kills one BTS behind core-1 in the lab (a different one each
time: core-1's 14 `vlan-bts-*` ports) and, at the same moment, net-snmp's `snmptrap` sends
core-1's linkDown for its port toward it (v2c); measured is the time until /metrics says the
BTS is down. After each trial the BTS comes back and a linkUp is sent.

The anchor is the poll-only path of the same collector in the same run: the lab kills bts-04
(then bts-08, bts-14: a BTS per trial) and no message is sent; its time until DOWN is
measured over `--poll-trials` trials (each is up to the backbone's 60 s interval times its two
misses). Printed: p50 and p99 of both, and their ratio.

    .venv/bin/python benchmarks/trap_to_down.py [--trials 14] [--poll-trials 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from tests.integration.test_events import (  # noqa: E402
    CORE,
    IF_INDEX,
    LINK_DOWN,
    LINK_UP,
    start_collector,
    start_lab,
    until,
)

LAB_PORT = 11962
POLL_ONLY = ("bts-04", "bts-08", "bts-14")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=14)
    parser.add_argument("--poll-trials", type=int, default=2, choices=range(1, 4))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="noc-trap-bench-"))
    lab = start_lab(work, LAB_PORT)
    c = start_collector(work, lab.inventory)
    proc = c.proc
    hinted: list[float] = []  # until the collector's verdict (the API's live status)
    scraped: list[float] = []  # until /metrics shows it (a rendering cached up to 5 s)
    polled: list[float] = []
    try:
        until(
            "the poll-only BTSs polled UP", lambda: all(c.state(b) == "up" for b in POLL_ONLY), 120
        )
        made = c.noc("token", "create", "bench", "--role", "viewer", "--json")
        token = json.loads(made.stdout)["token"]

        def verdict(device: str) -> str:
            request = urllib.request.Request(  # noqa: S310
                f"{c.http}/api/v1/status", headers={"Authorization": f"Bearer {token}"}
            )
            with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310
                return str(next(s["state"] for s in json.load(r) if s["entity"] == device))

        # One BTS per trial (each behind core-1): a BTS that went down and up twice within ten
        # minutes is FLAPPING, as the fold says, and would measure that instead.
        ports = [
            i["name"]
            for i in lab.device("core-1")["interfaces"]
            if i["name"].startswith("vlan-bts-")
        ]
        for port in ports[: args.trials]:
            bts = port.removeprefix("vlan-")
            index = lab.interface("core-1", port)["index"]
            varbind = (f"{IF_INDEX}.{index}", "i", str(index))
            lab.scenario(bts, "down")
            started = time.monotonic()
            c.trap(CORE, "", LINK_DOWN, *varbind)
            until(f"{bts} DOWN", lambda b=bts: verdict(b) == "down", 150)
            hinted.append(time.monotonic() - started)
            until(f"{bts} DOWN on /metrics", lambda b=bts: c.state(b) == "down", 150)
            scraped.append(time.monotonic() - started)
            lab.scenario(bts, "down", on=False)
            c.trap(CORE, "", LINK_UP, *varbind)
            until(f"{bts} UP", lambda b=bts: c.state(b) == "up", 150)
        # The poll-only anchor: BTSs behind another BTS (not on core-1's VLANs: no trap is
        # sent), one per trial, for the same reason as above.
        for quiet in POLL_ONLY[: args.poll_trials]:
            lab.scenario(quiet, "down")
            started = time.monotonic()
            until(f"{quiet} DOWN", lambda q=quiet: verdict(q) == "down", 200)
            polled.append(time.monotonic() - started)
            lab.scenario(quiet, "down", on=False)
            until(f"{quiet} UP", lambda q=quiet: c.state(q) == "up", 200)
    finally:
        proc.terminate()
        proc.wait(30)
        lab.proc.terminate()
        lab.proc.wait(30)
    h50, h99, p50 = pct(hinted, 50), pct(hinted, 99), statistics.median(polled)
    print(f"trap to DOWN ({len(hinted)} trials): p50 {h50:.2f} s, p99 {h99:.2f} s (API)")
    print(f"  the same on /metrics: p50 {pct(scraped, 50):.2f} s, p99 {pct(scraped, 99):.2f} s")
    print(f"poll only    ({len(polled)} trials): p50 {p50:.2f} s, max {max(polled):.2f} s")
    print(f"ratio (poll-only p50 / trap p50): {p50 / h50:.1f}x")


if __name__ == "__main__":
    main()
