"""The CLI on a real terminal: tmux runs `noc diag ifaces --watch` and `noc serve` on the lab,
and the test reads the screen a technician would see."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from noc.inventory import load_inventory
from noc.inventory.topology import Topology
from tests.conftest import ROOT, Lab
from tests.ports import free_port
from tests.subset import subset_inventory

pytestmark = pytest.mark.integration


class Screen:
    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        if shutil.which("tmux") is None:
            pytest.fail("tmux is missing: run `make system-packages`")
        self.name = f"noc-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        line = f"cd {shlex.quote(str(ROOT))} && env {exports} {shlex.join(command)}; sleep 30"
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, "-x", "200", "-y", "45", line],
            check=True,
        )

    def text(self) -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name],
            capture_output=True,
            text=True,
            check=False,
        ).stdout

    def wait(self, check: Callable[[str], bool], timeout: float, what: str) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.text()
            if check(screen):
                return screen
            time.sleep(0.5)
        pytest.fail(f"timed out waiting for {what}; the screen:\n{self.text()}")

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=False)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False)


@pytest.fixture
def screens() -> Iterator[list[Screen]]:
    opened: list[Screen] = []
    yield opened
    for screen in opened:
        screen.close()


def test_ifaces_watch_shows_contracts_and_says_when_the_device_stops_answering(
    lab: Lab, tmp_path: Path, screens: list[Screen]
) -> None:
    env = {"NOC_VAR_DIR": str(tmp_path), "TERM": "xterm-256color", "COLUMNS": "200"}
    screen = Screen(
        [
            sys.executable,
            "-m",
            "noc",
            "diag",
            "ifaces",
            "CORE-1",
            "--watch",
            "--window",
            "1",
            "--inventory",
            str(lab.inventory),
        ],
        env,
    )
    screens.append(screen)
    shown = screen.wait(lambda s: "ether1" in s and "contract" in s, 60, "the table")
    assert "core-1 interfaces" in shown and "WIB" in shown
    assert "ISP uplink 40 Mbps" in shown  # the inventory's description
    row = next(line for line in shown.splitlines() if " ether1 " in line)
    assert "40 Mbps" in row.split("ISP uplink 40 Mbps")[-1]  # the uplink's contract
    lab.scenario("core-1", "down")
    try:
        down = screen.wait(lambda s: "does not answer" in s, 30, "the failure line")
        line = next(x for x in down.splitlines() if "does not answer" in x)
        assert "core-1" in line and "WIB" in line
        assert "ether1" in down  # the last table stays under it
    finally:
        lab.scenario("core-1", "down", on=False)
    screen.wait(lambda s: "does not answer" not in s and "ether1" in s, 30, "recovery")


def test_serve_live_line_names_what_is_down(
    lab: Lab, tmp_path: Path, screens: list[Screen]
) -> None:
    inv = load_inventory(lab.inventory)
    bts = "bts-05"
    keep = {"core-1", "core-2", bts, *Topology.of(inv).descendants(bts)}
    inventory = subset_inventory(
        lab.inventory,
        tmp_path / "inventory.yaml",
        keep,
        poll_interval_s=2,
        down_after=1,
        up_after=1,
        timeout_s=1.0,
        retries=0,
    )
    env = {
        "NOC_VAR_DIR": str(tmp_path / "var"),
        "NOC_INVENTORY": str(inventory),
        "NOC_HTTP_PORT": str(free_port()),
        "TERM": "xterm-256color",
        "COLUMNS": "200",
        "PATH": os.environ.get("PATH", ""),
    }
    screen = Screen([sys.executable, "-m", "noc", "serve"], env)
    screens.append(screen)
    first = screen.wait(lambda s: "WIB |" in s, 60, "the live line")
    assert "not polled yet" in first or "polls in the last minute" in first
    screen.wait(lambda s: "polls in the last minute" in s and "up" in s, 60, "polls")
    lab.scenario(bts, "down")
    try:
        down = screen.wait(lambda s: f"DOWN {bts}" in s, 30, "the BTS named as down")
        line = next(x for x in down.splitlines() if f"DOWN {bts}" in x)
        assert "unreachable behind" in line and "store ok" in line and "uplink" in line
    finally:
        lab.scenario(bts, "down", on=False)
    screen.wait(lambda s: f"DOWN {bts}" not in s, 30, "recovery")
    screen.keys("C-c")
    screen.wait(lambda s: "stopped;" in s, 30, "a clean stop")
