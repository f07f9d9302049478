"""Agents that answer quickly but never finish, beside the healthy lab: each bad device's poll
ends within its deadline plus one request timeout, it is DOWN with the reason, the collector's
memory stays bounded, and the healthy devices' poll times do not change."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import INVENTORY, ROOT, Lab, with_port
from tests.ports import free_port

pytestmark = [pytest.mark.integration, pytest.mark.serial]

BAD = {"kel-ciluar": "endless", "kel-ciparigi": "bigtable", "kel-tanahbaru": "flood"}
# The access tier of this test: 1 s timeout, no retry, so the deadline is max(5, 1 x 1 x 3) s.
DEADLINE_S = 5.0
TIMEOUT_S = 2.0  # an agent in a busy test process may take over 1 s to answer
RSS_BOUND_MB = 400


@pytest.fixture(scope="module")
def agents() -> Iterator[dict[str, int]]:
    ports: dict[str, int] = {}
    procs = []
    for device, mode in BAD.items():
        port = free_port(kind=socket.SOCK_DGRAM)
        # The agents stand for devices elsewhere on the network, whose CPU is their own: at
        # the lowest priority, what is measured is what their answers cost the collector, not
        # what their processes cost this machine's two cores.
        proc = subprocess.Popen(
            ["nice", "-n", "19", sys.executable, "-m", "tests.hostile_agent", mode, str(port)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "READY"
        procs.append(proc)
        ports[device] = port
    yield ports
    for proc in procs:
        proc.kill()
        proc.wait()


def _inventory(path: Path, ports: dict[str, int]) -> Path:
    text = with_port(INVENTORY, path).read_text()
    tier = (
        f"access: {{poll_interval_s: 60, sla_target: 0.99, timeout_s: {TIMEOUT_S}, "
        "retries: 0, down_after: 2, up_after: 2}"
    )
    text = re.sub(r"access: +\{[^}]*\}", tier, text)
    for device, port in ports.items():
        text = re.sub(
            rf"(  - name: {device}\n(?:    .*\n)*?    address: )\S+\n    port: \d+",
            rf"\g<1>127.0.0.1\n    port: {port}",
            text,
        )
    path.write_text(text)
    return path


# `noc poll` in a process of its own that says its own peak RSS when it ends: VmHWM of its own
# memory, not ru_maxrss, which on Linux also carries the forking test process's size.
_MEASURED = (
    "import runpy, sys\n"
    "sys.argv = ['noc', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_module('noc', run_name='__main__')\n"
    "finally:\n"
    "    hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM')][0]\n"
    "    print('MAXRSS', hwm.split()[1], file=sys.stderr)\n"
)


def _poll(inventory: Path) -> tuple[dict[str, dict[str, Any]], float]:
    """`noc poll --once --json` (two polls of every device) and its peak RSS in MB."""
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _MEASURED,
            "poll",
            "--once",
            "--json",
            "--rate-window",
            "1",
            "--inventory",
            str(inventory),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    peak_kb = int(out.stderr.rsplit("MAXRSS", 1)[1].split()[0])
    rows = {row["device"]: row for row in json.loads(out.stdout)}
    return rows, peak_kb / 1024


def test_hostile_agents_are_cut_at_their_deadline_and_do_not_slow_the_others(
    lab: Lab, agents: dict[str, int], tmp_path: Path
) -> None:
    baseline, alone_mb = _poll(_inventory(tmp_path / "healthy.yaml", {}))
    rows, rss_mb = _poll(_inventory(tmp_path / "hostile.yaml", agents))

    for device, mode in BAD.items():
        row = rows[device]
        assert row["state"] == "down", (mode, row)
        assert row["reason"].startswith("poll stopped:"), (mode, row)
        assert row["poll_s"] <= DEADLINE_S + TIMEOUT_S, (mode, row)
    assert "deadline" in rows["kel-ciluar"]["reason"]
    # The 20,000 large rows end at the byte limit, or at the deadline on a busy machine.
    assert any(w in rows["kel-ciparigi"]["reason"] for w in ("bytes", "rows", "deadline"))
    assert rss_mb < RSS_BOUND_MB, rss_mb

    healthy = [d for d in rows if d not in BAD]
    assert len(healthy) >= 100
    assert all(rows[d]["state"] == baseline[d]["state"] for d in healthy)
    slowest_before = max(baseline[d]["poll_s"] for d in healthy)
    slowest_after = max(rows[d]["poll_s"] for d in healthy)
    # The bad agents burn the machine's CPU while they last; a healthy device must still be
    # polled in about the time it took alone, nowhere near a deadline.
    assert slowest_after <= max(1.0, 3 * slowest_before), (slowest_before, slowest_after)
    reasons = "; ".join(f"{d} {rows[d]['poll_s']:.2f}s {rows[d]['reason']}" for d in BAD)
    print(
        f"\nhostile: rss {rss_mb:.0f} MB (alone {alone_mb:.0f} MB); healthy slowest "
        f"{slowest_before:.2f}s -> {slowest_after:.2f}s; {reasons}"
    )
