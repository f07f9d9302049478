"""What a report says about time that has not happened, or has no data: a future month and a
month before any data are n/a, never compliant or not; a running month counts up to now."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from noc.inventory import load_inventory
from noc.sla.compute import month
from noc.sla.report import build_report
from noc.store.db import make_engine, sync_inventory, upgrade
from noc.store.models import StateChangeRow
from tests.conftest import INVENTORY, ROOT

pytestmark = pytest.mark.integration

ZONE = "Asia/Jakarta"
NOV_10 = month(2026, 11, ZONE).start + 9 * 86400
NOV_20 = NOV_10 + 10 * 86400


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'noc.db'}"
    engine = make_engine(url)
    upgrade(engine)
    inv = load_inventory(INVENTORY)
    sync_inventory(engine, inv)
    with Session(engine) as session, session.begin():
        for d in inv.devices:  # every device up since 10 November
            session.add(
                StateChangeRow(
                    id=f"u-{d.name}",
                    entity=d.name,
                    at=NOV_10,
                    old="unknown",
                    new="up",
                    root_cause=None,
                    reason=None,
                )
            )
    return url


def test_future_past_and_running_months(store: str) -> None:
    inv = load_inventory(INVENTORY)
    engine = make_engine(store)
    future = build_report(engine, inv, month(2027, 3, ZONE), now=NOV_20)
    assert future.coverage is None
    assert future.whole.availability is None and future.whole.compliant is None
    assert all(t.compliant is None for t in future.tiers.values())

    before = build_report(engine, inv, month(2025, 3, ZONE), now=NOV_20)
    assert before.coverage == 0.0
    assert before.whole.compliant is None
    assert all(t.compliant is None for t in before.tiers.values())

    running = build_report(engine, inv, month(2026, 11, ZONE), now=NOV_20)
    devices = len(inv.devices)
    assert running.whole.period_s == pytest.approx(19 * 86400 * devices)
    # The first nine days are UNKNOWN, less the standing maintenance windows inside them.
    unknown_days = 9 * 86400 * devices
    assert unknown_days - running.whole.maintenance_s <= running.whole.unknown_s <= unknown_days
    assert running.coverage == pytest.approx(10 / 19, rel=0.01)
    assert running.whole.availability == 1.0 and running.whole.compliant is True
    assert len(running.uplink_daily_p95) == 19  # days that have begun, not the whole month


def test_the_cli_says_no_data_for_a_future_month(store: str) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "noc",
            "sla",
            "summary",
            "--month",
            "2030-03",
            "--lang",
            "en",
            "--database",
            store,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    assert "n/a (no data)" in out.stdout
    assert " yes " not in out.stdout and " no " not in out.stdout
    assert "100" not in out.stdout
