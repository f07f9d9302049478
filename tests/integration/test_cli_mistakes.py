"""Every command with the mistakes people make at 3 a.m.: a name typed in capitals or without
its leading zero, an unknown name, no store, a store that is down, a port already taken, a
secret not set, a server that is not there. Each gets one clear line and a non-zero exit (or
just works), never a traceback; a read never creates a store; and the commands run the same
from any folder."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, Lab
from tests.integration.test_cli_input import refused

pytestmark = pytest.mark.integration
CLOSED = "postgresql+psycopg://postgres@127.0.0.1:9/none"  # discard port: nothing listens


def noc(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "noc", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **env},
    )


@pytest.fixture
def empty_var(tmp_path: Path) -> Path:
    var = tmp_path / "var"
    var.mkdir()
    return var


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_status_without_a_store_says_so_and_creates_nothing(empty_var: Path) -> None:
    refused(noc("status", NOC_VAR_DIR=str(empty_var)), "no store at", "noc serve")
    assert list(empty_var.iterdir()) == []


def test_status_with_the_store_down_is_one_line() -> None:
    refused(noc("status", NOC_DATABASE_URL=CLOSED), "cannot read the store")


def test_status_runs_the_same_from_any_folder(empty_var: Path, tmp_path: Path) -> None:
    """The project's inventory is found from /tmp; the store is the one NOC_VAR_DIR names."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    said = refused(noc("status", cwd=elsewhere, NOC_VAR_DIR=str(empty_var)), "no store at")
    assert "inventory" not in said.lower()  # found, not complained about
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["diag", "check", "BTS-7x"], ["unknown device 'BTS-7x'", "did you mean", "bts-07"]),
        (["diag", "snmp", "kel-pasirjay", "get", "sysUpTime"], ["did you mean kel-pasirjaya"]),
        (["poll", "--once", "--device", "Core1"], ["did you mean core-1"]),
        (["lab", "scenario", "bts-0x", "down"], ["unknown device 'bts-0x'", "did you mean"]),
        (
            [
                "maintenance",
                "add",
                "--name",
                "x",
                "--start",
                "2026-12-01T01:00",
                "--end",
                "2026-12-01T02:00",
                "--site",
                "BTS-99",
            ],
            ["unknown site", "did you mean"],
        ),
    ],
)
def test_an_unknown_name_is_refused_at_once_with_the_closest_names(
    args: list[str], words: list[str], empty_var: Path
) -> None:
    started = time.monotonic()
    result = noc(*args, NOC_VAR_DIR=str(empty_var))
    took = time.monotonic() - started
    refused(result, *words)
    assert result.returncode == 2
    assert "timeout" not in (result.stdout + result.stderr).lower()  # no network was tried
    print(f"{' '.join(args)}: {took:.1f}s")


def test_names_in_capitals_or_without_the_leading_zero_find_the_device(lab: Lab) -> None:
    for spelling in ("BTS-05", "bts-5", "Bts-05"):
        result = noc(
            "diag", "snmp", spelling, "get", "sysUpTime", "--inventory", str(lab.inventory)
        )
        assert result.returncode == 0, result.stderr
        assert "bts-05 snmp get" in result.stdout
        assert " d " in result.stdout and " h " in result.stdout  # an uptime, not raw ticks


def test_a_port_in_use_is_one_line(taken_port: int) -> None:
    refused(
        noc("dr", "probe", "--listen", f"127.0.0.1:{taken_port}"),
        f"127.0.0.1:{taken_port}",
        "in use",
    )


def test_serve_on_a_port_in_use_says_so_before_it_starts(taken_port: int, empty_var: Path) -> None:
    said = refused(
        noc("serve", NOC_HTTP_PORT=str(taken_port), NOC_VAR_DIR=str(empty_var)),
        f"127.0.0.1:{taken_port} is taken",
    )
    assert len(said.strip().splitlines()) == 1, said  # no start-up lines, no traceback
    assert "metrics:" not in said and "store:" not in said


def test_a_missing_secret_is_one_line() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOC_DR_PG")}
    result = subprocess.run(
        [sys.executable, "-m", "noc", "dr", "drill"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env=env,
    )
    refused(result, "NOC_DR_PG_PRIMARY")


def test_a_setting_that_does_not_hold_is_one_line(tmp_path: Path) -> None:
    """A mistyped variable names itself, its value and where it was set; for `noc serve`
    too, and for what a settings file holds (a setting of the environment wins over it)."""
    said = refused(noc("status", NOC_HTTP_PORT="9o69"), "a setting does not hold")
    assert "NOC_HTTP_PORT='9o69' (in the environment): Input should be a valid integer" in said
    said = refused(noc("serve", NOC_CONCURRENCY="0"), "noc serve cannot run")
    assert (
        "NOC_CONCURRENCY='0' (in the environment): Input should be greater than or "
        "equal to 1" in " ".join(said.split())
    )
    said = refused(noc("serve", "--name", "Kolektor 1"), "noc serve cannot run")
    assert (
        "collector_name='Kolektor 1': String should match pattern "
        "'^[a-z0-9][a-z0-9._-]{0,63}$'" in " ".join(said.split())
    )


def test_a_server_that_is_not_there_is_one_line() -> None:
    port = closed_port()
    said = refused(
        noc("dashboards", "push", "--url", f"http://127.0.0.1:{port}", "--token", "glsa_Zk3Lw9"),
        "connection refused",
    )
    assert "glsa_Zk3Lw9" not in said and "HTTPConnectionPool" not in said


def test_lab_up_does_not_claim_someone_elses_lab(lab: Lab) -> None:
    """The test lab answers on its control socket: `lab up` there must not say it started."""
    var = lab.socket.parent.parent
    said = refused(noc("lab", "up", NOC_VAR_DIR=str(var)), "already answers", "nothing started")
    assert "lab up (pid" not in said


def test_token_list_without_a_reachable_store_is_one_line() -> None:
    refused(noc("token", "list", NOC_DATABASE_URL=CLOSED), "store")


def test_drills_and_tokens_say_when_there_are_none(empty_var: Path) -> None:
    url = f"sqlite:///{empty_var / 'noc.db'}"
    for read in (["dr", "drills"], ["token", "list"], ["maintenance", "list"]):
        refused(noc(*read, NOC_DATABASE_URL=url), "no store at", "nothing recorded yet")
    assert list(empty_var.iterdir()) == []  # a read never creates the store
    from noc.store.db import make_engine, upgrade

    upgrade(make_engine(url))
    drills = noc("dr", "drills", NOC_DATABASE_URL=url)
    assert drills.returncode == 0 and "no drills recorded yet" in drills.stdout
    tokens = noc("token", "list", NOC_DATABASE_URL=url)
    assert tokens.returncode == 0 and "no tokens yet" in tokens.stdout


def test_help_shows_no_type_for_flags() -> None:
    for command in (["status", "--help"], ["lab", "scenario", "--help"]):
        out = noc(*command).stdout
        assert "<bool>" not in out, out
        assert "--problems" in out or "--off" in out
    # An option given once per value shows one value's type, not Python's list[...].
    out = noc("sla", "report", "--help", COLUMNS="100").stdout
    assert "list[" not in out and re.search(r"--out\s+<path>", out), out


def test_help_at_80_columns_breaks_between_words_and_sentences_flow() -> None:
    out = noc("token", "create", "--help", COLUMNS="80").stdout
    assert "manag\n" not in out.replace(" ", "").replace("│", "") and "<viewer |" in out, out
    top = noc("--help", COLUMNS="80").stdout
    # Sentences of a command's help run on, wrapped at the terminal, not at the source's lines.
    assert "measurement is two polls `--rate-window` seconds apart" in " ".join(
        line.strip(" │") for line in top.splitlines()
    ), top


@pytest.mark.parametrize("url", ["mysql://noc:pw@127.0.0.1/noc", "postgres://noc:pw@[::1/noc"])
def test_status_with_a_store_url_it_cannot_use_is_one_line(url: str) -> None:
    said = refused(noc("status", NOC_DATABASE_URL=url), "bad store URL")
    assert "pw" not in said


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("9999-12-31T00:00:00+14:00", "9999-12-31T01:00:00+14:00"),
        ("0001-01-01T00:00:00+07:00", "0001-01-01T01:00:00+07:00"),
        ("0001-01-02T00:00", "0001-01-02T01:00"),
    ],
)
def test_a_window_no_one_meant_is_refused_and_list_still_reads(
    empty_var: Path, start: str, end: str
) -> None:
    var = str(empty_var)
    refused(
        noc(
            "maintenance",
            "add",
            "--name",
            "typo",
            "--start",
            start,
            "--end",
            end,
            "-d",
            "core-1",
            NOC_VAR_DIR=var,
        ),
        "between a year ago and ten years",
    )
    listed = noc("maintenance", "list", "--json", NOC_VAR_DIR=var)
    assert listed.returncode == 0, listed.stderr
    assert "typo" not in listed.stdout
    # A window stored before the bound (by an older release) no longer breaks the list.
    import sqlite3

    with sqlite3.connect(empty_var / "noc.db") as db:
        db.execute(
            "INSERT INTO maintenance_windows VALUES "
            "('old', 'old', 'core-1', '', 253402300800.0, 253402304400.0, 0)"
        )
    listed = noc("maintenance", "list", NOC_VAR_DIR=var)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr
    assert "@253402300800" in listed.stdout


def test_maintenance_list_shows_a_short_id_that_remove_takes(empty_var: Path) -> None:
    var = str(empty_var)
    added = noc(
        "maintenance",
        "add",
        "--name",
        "ganti radio bts-07",
        "--start",
        "2026-12-20T22:00",
        "--end",
        "2026-12-21T02:00",
        "-d",
        "bts-07",
        NOC_VAR_DIR=var,
    )
    assert added.returncode == 0, added.stderr
    full = added.stdout.split("added ")[1].strip()
    listed = noc("maintenance", "list", NOC_VAR_DIR=var, COLUMNS="100").stdout
    assert full[:8] in listed and full not in listed, listed
    assert "ganti radio bts-07" in listed  # not cut mid-word behind a long id
    gone = noc("maintenance", "remove", full[:8], NOC_VAR_DIR=var)
    assert gone.returncode == 0 and full in gone.stdout, gone.stderr


def test_a_second_demo_says_so_in_one_line_before_it_starts(
    taken_port: int, empty_var: Path
) -> None:
    """`make demo` twice: the second said 1,177 lines with 147 tracebacks; it is one line now,
    and nothing was started (no lab socket, no store)."""
    said = refused(
        noc("demo", "--duration", "5", NOC_HTTP_PORT=str(taken_port), NOC_VAR_DIR=str(empty_var)),
        "already running",
    )
    assert len(said.strip().splitlines()) == 1, said
    assert list(empty_var.iterdir()) == []
