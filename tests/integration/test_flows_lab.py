"""The lab's uplink router exports IPFIX (post-NAT, sampling option, template refreshes) to
`noc serve`: the flows agree with the SNMP counters of the same interface, and an exporter that
restarts with its template in another layout, sent one refresh late, loses no bytes."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from noc.lab import netflow as nf
from tests.conftest import ROOT
from tests.integration.test_events import Collector, start_collector, start_lab, until
from tests.ports import free_port

pytestmark = pytest.mark.integration
LAB_PORT = 11971


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Collector, Path]]:
    work = tmp_path_factory.mktemp("flows-lab")
    flow_port = free_port(kind=socket.SOCK_DGRAM)
    lab = start_lab(work, LAB_PORT, "--flows-to", f"127.0.0.1:{flow_port}")
    c = start_collector(
        work,
        lab.inventory,
        more_env={
            "NOC_FLOW_PORT": str(flow_port),
            "NOC_FLOW_SETTLE_S": "8",
            "NOC_FLOW_WINDOW_S": "60",
        },
    )
    try:
        yield c, lab.socket
    finally:
        c.proc.terminate()
        c.proc.wait(30)
        lab.proc.terminate()
        lab.proc.wait(30)


def lab_flows(socket_path: Path, name: str) -> dict[str, object]:
    from noc.lab.control import call

    answer: dict[str, object] = call(socket_path, {"command": "flows", "name": name})
    return answer


def stored_octets(c: Collector) -> int:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "noc",
            "flows",
            "top",
            "--since",
            "1h",
            "--limit",
            "10000",
            "--json",
        ],
        env=c.env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return sum(t["in_octets"] + t["out_octets"] for t in json.loads(out.stdout)["talkers"])


def test_flows_agree_with_snmp_and_a_restart_with_a_late_template_loses_nothing(
    stack: tuple[Collector, Path],
) -> None:
    c, lab_socket = stack

    def ratio() -> float | None:
        m = re.search(r'^noc_flow_snmp_ratio\{link="uplink-isp"\} (\S+)$', c.metrics(), re.M)
        return float(m.group(1)) if m else None

    until("the first cross-check", lambda: ratio() is not None, 300)
    first = ratio()
    assert first is not None and abs(first - 1) < 0.05, first

    def sent() -> int:
        return int(str(lab_flows(lab_socket, "status")["sent_octets"]))

    # The baseline: the export paused and everything it sent stored. What the lab sent before
    # the collector listened (while it started) was never received, so it is left out.
    lab_flows(lab_socket, "pause")
    seen: list[int] = []

    def settled() -> bool:  # the same three readings 2 s apart: the collector flushes every 1 s
        seen.append(stored_octets(c))
        time.sleep(2)
        return len(seen) >= 3 and len(set(seen[-3:])) == 1

    until("the paused export all stored", settled, 60)
    base_sent, base_stored = sent(), seen[-1]
    last: list[tuple[int, int, int]] = []

    def read() -> tuple[int, int, int]:
        """(sent before, stored, sent after), all since the baseline: the lab exports every
        5 s, and one export may land while the store is read, so the store is bracketed by two
        readings of the lab."""
        before = sent() - base_sent
        stored = stored_octets(c) - base_stored
        last[:] = [(before, stored, sent() - base_sent)]
        return last[0]

    def all_stored() -> bool:
        before, stored, after = read()
        return before * 0.99 <= stored <= after * 1.01

    def within(what: str, seconds: float) -> float:
        try:
            return until(what, all_stored, seconds)
        except AssertionError as e:
            raise AssertionError(f"{e}; last (sent before, stored, sent after): {last}") from None

    lab_flows(lab_socket, "sampling")  # 1 in 10, said in the option record: scaled back
    lab_flows(lab_socket, "restart")  # template 256 in another layout, 30 s late
    lab_flows(lab_socket, "resume")

    time.sleep(12)  # two exports in the new layout, its template not yet sent: held
    before, stored, _ = read()
    assert before > 0
    held = (before - stored) / before
    assert held > 0.5, held  # the sets wait for their template (not read with the old one)
    took = within("every byte the lab exported is in the store", 60)
    print(
        f"cross-check {first:.4f}; {held:.1%} held after the restart; "
        f"all stored in {took + 12:.0f} s; sent before the collector listened: "
        f"{(base_sent - base_stored) / base_sent:.1%}"
    )
    dropped = re.findall(r'^noc_flow_dropped_total\{reason="([^"]+)"\} (\S+)$', c.metrics(), re.M)
    assert not [(r, n) for r, n in dropped if float(n) > 0], dropped

    # Hostile datagrams from core-1's address and from one no device has: every truncation of
    # a real message, a template ID reused with another layout, 64 KB of garbage. Each is
    # counted by its reason; the router's own export goes on being counted in full.
    port = int(c.env["NOC_FLOW_PORT"])
    short = ((8, 4), (12, 4), (1, 4))
    good = nf.message(
        10,
        [nf.template_set(10, 300, short), nf.data_set(300, short, [(1, 2, 3)] * 20)],
        int(time.time()),
        10**6,
        9,
    )
    reused = nf.message(
        10,
        [
            nf.template_set(10, 300, ((8, 4), (1, 8), (2, 4))),
            nf.data_set(300, short, [(1, 2, 3)] * 5),
        ],
        int(time.time()),
        10**6 + 20,
        9,
    )
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as core,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger,
    ):
        core.bind(("127.0.1.1", 0))
        stranger.bind(("127.0.0.99", 0))
        for cut in range(4, len(good)):
            core.sendto(good[:cut], ("127.0.0.1", port))
        core.sendto(reused, ("127.0.0.1", port))
        core.sendto(b"\x00\x0a" + os.urandom(65_000), ("127.0.0.1", port))
        stranger.sendto(good, ("127.0.0.1", port))

    def counted() -> dict[str, float]:
        text = c.metrics()
        return {
            r: float(n)
            for r, n in re.findall(
                r'^noc_flow_dropped_total\{reason="([^"]+)"\} (\S+)$', text, re.M
            )
        }

    until(
        "the hostile datagrams counted",
        lambda: (
            counted().get("malformed", 0) > 50
            and counted().get("unknown exporter") == 1
            and counted().get("layout mismatch") == 1
        ),
        20,
    )
    within("the router's export still counted in full", 30)
