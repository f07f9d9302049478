"""A simulated month written into the store (SQLite and PostgreSQL), then reported."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from noc.inventory import Topology, load_inventory
from noc.sla.compute import month
from noc.sla.report import build_report
from noc.sla.simulate import plan_month
from tests.conftest import INVENTORY, ROOT

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'month.db'}"
        return
    name = f"noc_sla_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres",
                         autocommit=True) as admin:  # fmt: skip
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres",
                         autocommit=True) as admin:  # fmt: skip
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def noc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "noc", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=900, check=False)  # fmt: skip


def test_simulated_october_reports_what_was_planned(database: str, tmp_path: Path) -> None:
    result = noc("sla", "simulate", "--month", "2026-10", "--database", database)
    assert result.returncode == 0, result.stderr
    inv = load_inventory(INVENTORY)
    period = month(2026, 10)
    plan = plan_month(inv, period)
    from noc.store.db import make_engine

    report = build_report(make_engine(database), inv, period)
    gap = plan.collector_gap
    assert gap is not None
    # every device has the collector's 3 h gap as unknown time, so coverage is exactly that
    assert report.coverage == pytest.approx(1 - (gap[1] - gap[0]) / period.seconds, abs=1e-3)
    assert report.whole.unknown_warning is False
    # the planned BTS outages are the root causes: the devices behind them are not charged
    bts_down = {o.device for o in plan.outages if o.device.startswith("bts-")}
    for name in bts_down:
        assert report.devices[name].downtime_s > 0
    downs = [i for i in report.incidents if i.state in ("down", "flapping")]
    assert {i.root_cause for i in downs} >= bts_down
    topo = Topology.of(inv)
    for outage in (o for o in plan.outages if o.device in bts_down):
        behind = set(topo.descendants(outage.device))
        during = [i for i in downs if i.entity in behind and outage.start <= i.started < outage.end]
        assert during == [], during  # UNREACHABLE behind the BTS, never an incident of their own
    uplink = report.links[report.uplink]
    assert uplink.p95_bps is not None and uplink.p95_bps > 0.9 * 40e6
    assert uplink.hours_above_80 >= 8 * len(plan.congested_days) - 0.1
    out = tmp_path / "oct.json"
    assert noc("sla", "report", "--month", "2026-10", "--format", "json", "--out", str(out),
               "--database", database).returncode == 0  # fmt: skip
    assert json.loads(out.read_text())["coverage"] == pytest.approx(report.coverage)


def test_maintenance_cli_window_is_left_out_of_the_sla(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'maint.db'}"
    added = noc(
        "maintenance",
        "add",
        "--name",
        "tower repaint",
        "--site",
        "bts-03",
        "--start",
        "2026-10-10T08:00",
        "--end",
        "2026-10-10T12:00",
        "--database",
        database,
    )
    assert added.returncode == 0, added.stderr
    listed = json.loads(noc("maintenance", "list", "--json", "--database", database).stdout)
    assert [w["sites"] for w in listed] == [["bts-03"]]
    assert listed[0]["end"] - listed[0]["start"] == 4 * 3600
    from noc.store.db import make_engine

    inv = load_inventory(INVENTORY)
    report = build_report(make_engine(database), inv, month(2026, 10))
    assert report.devices["bts-03"].maintenance_s == 4 * 3600
    assert report.devices["bts-04"].maintenance_s == 0
    assert report.devices["bts-02"].maintenance_s == 4 * 2 * 3600  # the inventory: 4 Sundays
    refused = noc(
        "maintenance",
        "add",
        "--name",
        "x",
        "--device",
        "bts-99",
        "--start",
        "2026-10-10T08:00",
        "--end",
        "2026-10-10T09:00",
        "--database",
        database,
    )
    assert refused.returncode == 2 and "bts-99" in refused.stderr
    assert noc("maintenance", "remove", listed[0]["id"], "--database", database).returncode == 0
    assert json.loads(noc("maintenance", "list", "--json", "--database", database).stdout) == []


def test_pdf_report_through_chromium(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'pdf.db'}"
    out = tmp_path / "oktober.pdf"
    result = noc("sla", "report", "--month", "2026-10", "--format", "pdf", "--out", str(out),
                 "--lang", "id", "--database", database)  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(data) > 10_000
