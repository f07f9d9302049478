"""`noc diag ssh` against a real OpenSSH server on loopback (netmiko, device_type linux)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.conftest import INVENTORY, ROOT
from tests.sshd import can_run_sshd, sshd

pytestmark = [pytest.mark.integration, pytest.mark.root]
if not can_run_sshd():
    pytest.skip("needs root and openssh-server to run sshd", allow_module_level=True)

DEVICE = "srv-web-1"  # kind linux, 127.0.1.10, `ssh: {credentials: noc-ssh}`
ADDRESS = "127.0.1.10"


def inventory_with_ssh(target: Path, port: int) -> Path:
    yaml = YAML(typ="safe")
    doc = yaml.load(INVENTORY.read_text())
    doc["ssh_credentials"]["noc-ssh"]["username"] = "root"
    for device in doc["devices"]:
        if device["name"] == DEVICE:
            device["ssh"]["port"] = port
    with target.open("w") as out:
        yaml.dump(doc, out)
    return target


def noc(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "noc", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    work = tmp_path_factory.mktemp("sshd")
    with sshd(work / "sshd", ADDRESS) as (port, key):
        inventory = inventory_with_ssh(work / "inventory.yaml", port)
        env = {**os.environ, "NOC_VAR_DIR": str(work / "var"), "NOC_SSH_KEY_FILE": str(key)}
        env.pop("NOC_SSH_PASSWORD", None)
        yield inventory, env


def test_interfaces_are_parsed_with_the_ntc_template(server: tuple[Path, dict[str, str]]) -> None:
    inventory, env = server
    result = noc("diag", "ssh", DEVICE, "interfaces", "--json", "-i", str(inventory), env=env)
    assert result.returncode == 0, result.stderr + result.stdout
    data = json.loads(result.stdout)["data"]
    assert data["vendor_command"] == "ip address show"
    assert data["parsed"] is not None, data["raw"]
    lo = next(row for row in data["parsed"] if row["interface"] == "lo")
    assert "127.0.0.1" in lo["ip_addresses"]


def test_a_command_without_a_template_comes_back_raw(server: tuple[Path, dict[str, str]]) -> None:
    inventory, env = server
    result = noc("diag", "ssh", DEVICE, "uptime", "--json", "-i", str(inventory), env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)["data"]
    assert data["parsed"] is None
    assert "load average" in data["raw"]


class Listener:
    """A TCP port that counts the connections made to it."""

    def __init__(self, address: str) -> None:
        self.sock = socket.socket()
        self.sock.bind((address, 0))
        self.sock.listen()
        self.port: int = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()


def test_refusals_happen_before_any_connection_and_metacharacters_never_run(
    tmp_path: Path,
) -> None:
    listener = Listener(ADDRESS)
    inventory = inventory_with_ssh(tmp_path / "inventory.yaml", listener.port)
    marker = tmp_path / "marker"
    env = {**os.environ, "NOC_VAR_DIR": str(tmp_path / "var"), "NOC_SSH_PASSWORD": "x" * 12}
    attempts = [
        (DEVICE, "reboot"),
        (DEVICE, f"interfaces; touch {marker}"),
        (DEVICE, f"$(touch {marker})"),
        (DEVICE, f"`touch {marker}`"),
        (DEVICE, f"uptime && touch {marker}"),
        (f"{DEVICE}; touch {marker}", "uptime"),
        (f"$(touch {marker})", "uptime"),
    ]
    for device, command in attempts:
        result = noc("diag", "ssh", device, command, "--json", "-i", str(inventory), env=env)
        assert result.returncode == 2, (device, command, result.stdout, result.stderr)
        assert json.loads(result.stdout)["ok"] is False
    assert listener.accepted == 0
    assert not marker.exists()
    listener.sock.close()


def test_an_allowed_command_with_a_shell_marker_in_the_environment_never_runs_it(
    server: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """Only the allow-listed vendor command reaches the device: the marker file is never made,
    even when a metacharacter-laden value sits in every other argument."""
    inventory, env = server
    marker = tmp_path / "marker"
    result = noc(
        "diag",
        "ssh",
        DEVICE,
        "routes",
        "--json",
        "-i",
        str(inventory),
        env={**env, "NOC_VAR_DIR": f"{env['NOC_VAR_DIR']}; touch {marker}"},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["data"]["vendor_command"] == "ip route show"
    assert not marker.exists()
