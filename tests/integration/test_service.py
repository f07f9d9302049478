"""The long-running collector service and the CLI, against the lab."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from sqlalchemy import select
from sqlalchemy.orm import Session

from noc.inventory import load_inventory
from noc.service import build_service, run_service
from noc.settings import Settings
from noc.snmp.lean_client import LeanClient
from noc.store.db import make_engine
from noc.store.models import DeviceRow, PollStatRow, StateChangeRow
from tests.conftest import ROOT, Lab

pytestmark = pytest.mark.integration


def test_service_polls_on_schedule_and_a_clean_stop_flushes_everything(
    lab: Lab, tmp_path: Path
) -> None:
    # The whole network on its own tiers, five times faster: the uplink tier every 6 s, the
    # others every 12 s.
    yaml = YAML(typ="safe")
    doc = yaml.load(lab.inventory.read_text())
    for name, tier in doc["tiers"].items():
        tier["poll_interval_s"] = 6 if name == "uplink" else 12
    with (tmp_path / "inventory.yaml").open("w") as out:
        yaml.dump(doc, out)
    inv = load_inventory(tmp_path / "inventory.yaml")
    settings = Settings(var_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'noc.db'}")

    async def go() -> int:
        service = build_service(inv, LeanClient(), settings)
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(7, stop.set)  # one uplink interval and then some
        await run_service(service, stop)
        await service.poller.client.close()
        return service.writer.pending

    assert asyncio.run(go()) == 0
    with Session(make_engine(settings.db_url())) as session:
        assert len(session.scalars(select(DeviceRow)).all()) == len(inv.devices)
        polled = session.scalars(select(PollStatRow)).all()
        # start times are spread over each tier's interval: within 7 s every uplink-tier
        # device (6 s) has been polled, and a share of the 12 s ones
        assert {p.device for p in polled} >= {d.name for d in inv.devices if d.tier == "uplink"}
        assert 0 < len(polled) < len(inv.devices)
        assert all(p.ok for p in polled)
        core = [
            c.new
            for c in session.scalars(
                select(StateChangeRow)
                .where(StateChangeRow.entity == "core-1")
                .order_by(StateChangeRow.at)
            )
        ]
        assert core == ["up", "unknown"]  # UNKNOWN from the moment the collector stopped


def test_noc_poll_once_json(lab: Lab, tmp_path: Path) -> None:
    env = {**os.environ, "NOC_VAR_DIR": str(tmp_path)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "noc",
            "poll",
            "--once",
            "--json",
            "--rate-window",
            "3",
            "--inventory",
            str(lab.inventory),
            "--device",
            "core-1",
            "--device",
            "kel-sempur",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    rows = {r["device"]: r for r in json.loads(proc.stdout)}
    assert rows["core-1"]["state"] == "up"
    assert rows["core-1"]["link"] == "uplink-isp"
    advertised = lab.interface("core-1", "ether1")["in_bps"]
    assert rows["core-1"]["in_bps"] == pytest.approx(advertised, rel=0.05)
    assert 0 < rows["core-1"]["utilisation"] < 1.05


def test_noc_poll_names_an_unknown_device(lab: Lab) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "noc",
            "poll",
            "--once",
            "--inventory",
            str(lab.inventory),
            "--device",
            "bts-99",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "bts-99" in proc.stderr


def test_a_writer_loop_that_ends_in_error_stops_the_collector_cleanly(
    lab: Lab, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The store writer's loop is what turns polls into stored history: if it ends in an error,
    the collector does not poll on with nothing written. It stops at once, still writes what it
    polled, and ends in that error (for its supervisor or systemd to start it again)."""
    inv = load_inventory(lab.inventory)
    settings = Settings(var_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'noc.db'}")

    limit: list[str] = []

    async def go() -> tuple[int, int]:
        service = build_service(inv, LeanClient(), settings)
        run = service.writer.run

        async def breaks_after_a_while(stop: asyncio.Event, interval_s: float = 2.0) -> None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(run(stop, interval_s), timeout=3.0)
            raise RuntimeError("the writer's loop broke")

        service.writer.run = breaks_after_a_while  # type: ignore[method-assign]
        stop = asyncio.Event()

        def the_tests_limit() -> None:
            limit.append("hit")
            stop.set()

        asyncio.get_running_loop().call_later(120, the_tests_limit)
        with pytest.raises(RuntimeError, match="the writer's loop broke"):
            await run_service(service, stop)
        await service.poller.client.close()
        return service.writer.pending, service.scheduler.stats.polls

    pending, polled = asyncio.run(go())
    assert limit == []  # stopped by the broken loop, not by the test's own limit
    assert pending == 0 and polled > 0  # what it polled is in the store
    with Session(make_engine(settings.db_url())) as session:
        assert session.scalars(select(PollStatRow)).first() is not None
    assert "the store writer ended: the writer's loop broke; the collector stops" in caplog.text


def test_the_shipped_systemd_unit_is_valid_and_runs_a_checkout(tmp_path: Path) -> None:
    """systemd's own check of the unit, installed for this checkout: every directive known and
    well formed, and the command it starts there to run. (A directive systemd cannot parse is
    a warning on its output, so the output must be empty as well.)"""
    shipped = (ROOT / "deploy" / "systemd" / "noc-collector.service").read_text()
    assert "ExecStart=/opt/noc/.venv/bin/noc serve\n" in shipped
    assert "Restart=on-failure\n" in shipped  # an error restarts it; a clean stop (0) does not
    unit = tmp_path / "noc-collector.service"
    unit.write_text(shipped.replace("/opt/noc", str(ROOT)))
    checked = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False
    )
    said = (checked.stdout + checked.stderr).strip()
    assert checked.returncode == 0 and said == "", said
