"""Bad input on the command line gets one clear line and a non-zero exit, never a traceback:
numbers out of range, OIDs SNMP cannot carry, malformed store URLs (and postgres:// accepted),
inventories that are not UTF-8, hold NUL, nest too deep or are not files, and report outputs
that cannot or should not be written, refused before any work is done."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import INVENTORY, ROOT

pytestmark = pytest.mark.integration


def noc(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "noc", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def refused(result: subprocess.CompletedProcess[str], *words: str) -> str:
    said = result.stdout + result.stderr
    assert result.returncode != 0, said
    assert "Traceback" not in said and 'File "' not in said, said
    for word in words:
        assert word in said, (word, said)
    return said


@pytest.mark.parametrize("window", ["inf", "-1", "nan", "0"])
def test_rate_window_must_be_a_finite_positive_number(window: str) -> None:
    refused(noc("poll", "--once", "--rate-window", window, "-d", "core-1"), "0.5 and 3600")


@pytest.mark.parametrize(
    ("oid", "why"),
    [
        ("1.3.6.1.2.1.1.99999999999", "outside 0..4294967295"),
        ("7.1", "starts with"),
        ("ifDescr.4294967296", "outside"),
        ("1." + ".".join(["1"] * 200), "128 arcs"),
    ],
)
def test_oids_snmp_cannot_carry_are_refused_before_any_request(oid: str, why: str) -> None:
    refused(noc("diag", "snmp", "core-1", "get", oid), why)


@pytest.fixture
def pg_database() -> Iterator[str]:
    name = f"noc_cli_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(
        host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(
        host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_store_urls(pg_database: str) -> None:
    secret = "pw-Qk83Zr1x"
    for url in (
        f"postgresql://noc:{secret}@127.0.0.1:notaport/siak",
        "nonsense://x",
        f"postgresql+nodriver://noc:{secret}@127.0.0.1/x",
        "sqlite:////no/such/dir/x.db",
    ):
        said = refused(noc("maintenance", "list", "--database", url))
        assert secret not in said
        assert said.count("\n") <= 2, said
    accepted = noc(
        "maintenance",
        "list",
        "--json",
        "--database",
        f"postgres://postgres@127.0.0.1:5432/{pg_database}",
    )
    assert accepted.returncode == 0, accepted.stderr
    said = refused(
        noc("serve", env={"NOC_DATABASE_URL": f"postgresql://u:{secret}@h:zz/x"}), "bad store URL"
    )
    assert secret not in said


def test_unreadable_inventories_name_file_and_line(tmp_path: Path) -> None:
    good = INVENTORY.read_bytes()
    cases = {
        "latin1.yaml": (good.replace(b"Kota Bogor", "Kota Bogor é".encode("latin-1"), 1), ":"),
        "utf16.yaml": (good.decode().encode("utf-16"), ":1: the file is UTF-16"),
        "nul.yaml": (good.replace(b"\n", b"\n\0", 3), "NUL"),
        "deep.yaml": (b"version: " + b"[" * 1000 + b"]" * 1000 + b"\n", ":1: nested more"),
    }
    for name, (data, expected) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        said = refused(noc("inventory", "check", str(path)), str(path), expected)
        assert said.strip().splitlines()[0].startswith(f"{path}:"), said
    refused(noc("inventory", "check", "/dev/zero"), "/dev/zero", "not a regular file")


def test_report_outputs_are_checked_before_the_report_is_computed(tmp_path: Path) -> None:
    existing = tmp_path / "old.html"
    existing.write_text("keep me")
    target = tmp_path / "target.html"
    target.write_text("keep me too")
    link = tmp_path / "link.html"
    link.symlink_to(target)
    db = f"sqlite:///{tmp_path / 'noc.db'}"
    cases = [
        (tmp_path / "no-such-dir" / "x.pdf", "pdf", "no such directory"),
        (tmp_path, "html", "not a regular file"),
        (Path("/dev/full"), "html", "not a regular file"),
        (existing, "html", "--force"),
        (link, "html", "symbolic link"),
    ]
    for out, fmt, why in cases:
        result = noc(
            "sla",
            "report",
            "--month",
            "2026-10",
            "--format",
            fmt,
            "--out",
            str(out),
            "--database",
            db,
        )
        # The store named does not exist: refused for the output, not for the missing store,
        # so the output was checked first, before the store was opened or anything computed.
        said = refused(result, why)
        assert "wrote" not in said and "no store" not in said
        assert not (tmp_path / "noc.db").exists(), out
    assert existing.read_text() == "keep me" and target.read_text() == "keep me too"
    # Several outputs: each is checked before the store is read, and none is written if one
    # is refused.
    fresh = tmp_path / "fresh.csv"
    said = refused(
        noc(
            "sla",
            "report",
            "--month",
            "2026-10",
            "--out",
            str(fresh),
            "--out",
            str(existing),
            "--database",
            db,
        ),
        "--force",
    )
    assert "wrote" not in said and not fresh.exists() and existing.read_text() == "keep me"
    for outs, why in (
        ((fresh, tmp_path / "notes.txt"), "a report is .html, .pdf, .csv or .json"),
        ((fresh, fresh), "the same --out is given twice"),
    ):
        args = [a for out in outs for a in ("--out", str(out))]
        refused(noc("sla", "report", "--month", "2026-10", *args, "--database", db), why)
    assert not fresh.exists() and not (tmp_path / "noc.db").exists()


def test_a_renderer_failure_is_an_error_and_nothing_is_said_written(tmp_path: Path) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    chromium = fake_bin / "chromium"
    chromium.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 21\n")
    chromium.chmod(0o755)
    out = tmp_path / "report.pdf"
    from noc.store.db import make_engine, upgrade

    upgrade(make_engine(f"sqlite:///{tmp_path / 'noc.db'}"))  # an empty store: reports read it
    result = noc(
        "sla",
        "report",
        "--month",
        "2026-10",
        "--format",
        "pdf",
        "--out",
        str(out),
        "--database",
        f"sqlite:///{tmp_path / 'noc.db'}",
        env={"PATH": f"{fake_bin}:{os.environ['PATH']}"},
    )
    said = refused(result, "the PDF was not made", "cannot open display")
    assert "wrote" not in said
    assert not out.exists()
    # Beside other outputs: everything is made before anything is written.
    beside = tmp_path / "report.csv"
    result = noc(
        "sla",
        "report",
        "--month",
        "2026-10",
        "--out",
        str(beside),
        "--out",
        str(out),
        "--database",
        f"sqlite:///{tmp_path / 'noc.db'}",
        env={"PATH": f"{fake_bin}:{os.environ['PATH']}"},
    )
    assert "wrote" not in refused(result, "the PDF was not made")
    assert not out.exists() and not beside.exists()
