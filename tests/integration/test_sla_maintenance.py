"""A maintenance window added at run time (`noc maintenance add`) is left out of the SLA, like
the inventory's standing windows; a window for a device that does not exist is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from noc.inventory import load_inventory
from noc.sla.compute import month
from noc.sla.report import build_report
from tests.conftest import INVENTORY
from tests.integration.test_sla_month import noc

pytestmark = pytest.mark.integration


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
    assert {w["source"] for w in listed} == {"run time", "inventory"}
    listed = [w for w in listed if w["source"] == "run time"]
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
    after = json.loads(noc("maintenance", "list", "--json", "--database", database).stdout)
    assert [w for w in after if w["source"] == "run time"] == []
