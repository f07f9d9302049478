"""Diagnostics against the lab's agents, each run landing in the audit log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from noc.diag.result import DiagError, DiagRefused
from noc.diag.runner import DiagRequest, run_diagnostic
from noc.inventory import load_inventory
from noc.inventory.topology import Topology
from noc.snmp.lean_client import LeanClient
from noc.store.audit import AuditLog
from noc.store.db import make_engine, upgrade
from noc.store.models import AuditRow
from tests.conftest import ROOT, Lab, Loop

pytestmark = pytest.mark.integration


def run(lab: Lab, loop: Loop, audit: AuditLog | None, req: DiagRequest) -> Any:
    inv = load_inventory(lab.inventory)

    async def go() -> Any:
        client = LeanClient()
        try:
            return await run_diagnostic(inv, req, client, audit, "test", set())
        finally:
            await client.close()

    return loop.run(go())


@pytest.fixture
def audit(tmp_path: Path) -> AuditLog:
    engine = make_engine(f"sqlite:///{tmp_path / 'noc.db'}")
    upgrade(engine)
    return AuditLog(engine, tmp_path / "audit-pending.jsonl")


def test_check_names_the_interface_that_is_down(lab: Lab, loop: Loop, audit: AuditLog) -> None:
    lab.scenario("bts-08", "iface-down", param="wlan1")
    try:
        result = run(lab, loop, audit, DiagRequest("check", "bts-08", window_s=1.0))
    finally:
        lab.scenario("bts-08", "iface-down", on=False, param="wlan1")
    assert not result.ok
    assert "interface wlan1 is down" in result.summary
    assert "sfp1" not in result.summary  # the interface that is up is not blamed
    rows = {r["name"]: r for r in result.data["interfaces"]}
    assert rows["wlan1"]["oper"] == "down" and rows["sfp1"]["oper"] == "up"
    with Session(audit.engine) as session:
        entry = session.scalars(select(AuditRow)).one()
    assert (entry.actor, entry.action, entry.device, entry.outcome) == (
        "test",
        "check",
        "bts-08",
        "problem",
    )
    assert "wlan1" in entry.detail


def test_check_behind_a_down_bts_says_the_parent_is_down(
    lab: Lab, loop: Loop, audit: AuditLog
) -> None:
    inv = load_inventory(lab.inventory)
    child = sorted(Topology.of(inv).descendants("bts-08"))[0]
    lab.scenario("bts-08", "down")
    try:
        result = run(lab, loop, audit, DiagRequest("check", child, window_s=1.0))
    finally:
        lab.scenario("bts-08", "down", on=False)
    assert not result.ok
    # The BTS is the root cause, said first; that the lab's office still answers from here
    # comes after.
    assert result.summary.startswith("parent device bts-08 is DOWN"), result.summary
    assert f"{child} is behind it: fix bts-08 first" in result.summary
    assert "still answers from here" in result.summary
    parents = {p["device"]: p["answering"] for p in result.data["parents"]}
    assert parents == {"bts-08": False, "bts-06": True, "core-1": True}


def test_a_healthy_device_checks_healthy(lab: Lab, loop: Loop, audit: AuditLog) -> None:
    result = run(lab, loop, audit, DiagRequest("check", "bts-09", window_s=1.0))
    assert result.ok, result.findings
    assert result.summary == "healthy"
    assert all(r["in_bps"] is not None for r in result.data["interfaces"])


def test_snmp_get_and_walk_by_name(lab: Lab, loop: Loop, audit: AuditLog) -> None:
    got = run(lab, loop, audit, DiagRequest("snmp-get", "bts-09", ("sysName", "1.3.6.1.2.1.1.3.0")))
    values = {v["name"]: v["value"] for v in got.data["varbinds"]}
    assert values["sysName.0"] == "bts-09"
    assert isinstance(values["sysUpTime.0"], int)
    walked = run(lab, loop, audit, DiagRequest("snmp-walk", "bts-09", ("ifName",)))
    expected = [i.name for i in load_inventory(lab.inventory).device("bts-09").interfaces]
    assert [v["value"] for v in walked.data["varbinds"]] == expected
    assert walked.data["varbinds"][0]["name"] == "ifName.1"


def test_refusals_and_failures_are_audited_too(lab: Lab, loop: Loop, audit: AuditLog) -> None:
    with pytest.raises(DiagRefused, match="unknown object"):
        run(lab, loop, audit, DiagRequest("snmp-get", "bts-09", ("ifNoSuchThing",)))
    lab.scenario("bts-10", "down")
    try:
        with pytest.raises(DiagError, match="timeout"):
            run(lab, loop, audit, DiagRequest("snmp-get", "bts-10", ("sysName",)))
    finally:
        lab.scenario("bts-10", "down", on=False)
    outcomes = [(e["action"], e["outcome"]) for e in reversed(audit.entries())]
    assert outcomes == [("snmp-get", "refused"), ("snmp-get", "error")]


def test_audit_entries_wait_while_the_store_is_down(tmp_path: Path) -> None:
    pending = tmp_path / "audit-pending.jsonl"
    down = AuditLog(make_engine("postgresql+psycopg://postgres@127.0.0.1:1/noc"), pending)
    down.record("cli:tech", "ping", "bts-01", {}, "ok", "4/4 replies")
    down.record("cli:tech", "check", "bts-02", {"window_s": 5.0}, "problem", "wlan1 down")
    assert len(pending.read_text().splitlines()) == 2
    engine = make_engine(f"sqlite:///{tmp_path / 'noc.db'}")
    upgrade(engine)
    up = AuditLog(engine, pending)
    up.record("cli:tech", "ifaces", "bts-03", {}, "ok", "")
    assert not pending.exists()
    assert [e["device"] for e in reversed(up.entries())] == ["bts-01", "bts-02", "bts-03"]


def test_cli_check_prints_the_verdict_and_exits_nonzero(lab: Lab, tmp_path: Path) -> None:
    lab.scenario("bts-11", "iface-down", param="sfp1")
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "noc",
                "diag",
                "check",
                "bts-11",
                "--window",
                "1",
                "--json",
                "-i",
                str(lab.inventory),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
            env={**os.environ, "NOC_VAR_DIR": str(tmp_path)},
        )
    finally:
        lab.scenario("bts-11", "iface-down", on=False, param="sfp1")
    assert result.returncode == 1, result.stderr
    assert "interface sfp1 is down" in json.loads(result.stdout)["summary"]
