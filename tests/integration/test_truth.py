"""What the store says, what the live API says and what /metrics says agree, after every step
of a random sequence of lab scenarios (a BTS down and back, a link down, flapping, a
maintenance window, a collector restart), and each entity's stored transitions replay, in
order and each exactly once, to its live state."""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from noc.store import queries
from noc.store.db import make_engine
from noc.store.models import StateChangeRow
from tests.conftest import ROOT, Lab
from tests.integration.test_crash import BEHIND, BTS, INTERVAL_S, Serve

pytestmark = pytest.mark.integration

STEPS = ["bts-down", "link-down", "flap", "maintenance", "restart"]
SEED = 20261130


@pytest.fixture
def serve(tmp_path: Path, lab: Lab) -> Iterator[Serve]:
    s = Serve(tmp_path, f"sqlite:///{tmp_path / 'noc.db'}")
    token = subprocess.run(
        [sys.executable, "-m", "noc", "token", "create", "--role", "admin", "--json"],
        env=s.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    s.env["TEST_TOKEN"] = json.loads(token)["token"]
    yield s
    if s.proc is not None and s.proc.poll() is None:
        s.kill(signal.SIGTERM)
    for device in (BTS, *BEHIND):
        for scenario in ("down", "iface-down"):
            lab.scenario(device, scenario, on=False)


def http(serve: Serve, path: str) -> str:
    url = f"http://127.0.0.1:{serve.env['NOC_HTTP_PORT']}{path}"
    auth = {"Authorization": f"Bearer {serve.env['TEST_TOKEN']}"}
    request = urllib.request.Request(url, headers=auth)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
        return str(response.read().decode())


def views(serve: Serve, cli: bool) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(store, live API, /metrics): entity -> state. The store as `noc status --json` says it
    (`cli`), or read with the same query in this process, to wait for agreement cheaply."""
    if cli:
        out = subprocess.run(
            [sys.executable, "-m", "noc", "status", "--json"],
            env=serve.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        store = {e["entity"]: e["state"] for e in json.loads(out)["entities"]}
    else:
        engine = make_engine(serve.env["NOC_DATABASE_URL"])
        store = {e: row.new for e, row in queries.latest_states(engine).items()}
        engine.dispose()
    api = {e["entity"]: e["state"] for e in json.loads(http(serve, "/api/v1/status"))}
    metrics: dict[str, str] = {}
    for line in http(serve, "/metrics").splitlines():
        found = re.match(r"noc_(device|link)_state\{(.*)\} 1(\.0)?$", line)
        if found:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', found[2]))
            key = labels["device"] if found[1] == "device" else f"link:{labels['link']}"
            metrics[key] = labels["state"]
    return store, api, metrics


def agree(serve: Serve, timeout: float = 40.0) -> dict[str, str]:
    """Wait until the three views agree on every entity the API lists; the agreed states."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            store, api, metrics = views(serve, cli=False)
            differ = disagreement(store, api, metrics)
            if not differ:  # and the technician's command says the same
                store, api, metrics = views(serve, cli=True)
                differ = disagreement(store, api, metrics)
                if not differ:
                    return api
        except OSError as exc:  # a collector just started: its API not listening yet
            differ = {"the API": (None, str(exc), None)}
        assert time.monotonic() < deadline, f"views disagree: {differ}"
        time.sleep(1)


def disagreement(
    store: dict[str, str], api: dict[str, str], metrics: dict[str, str]
) -> dict[str, tuple[str | None, str, str | None]]:
    """Entity -> (store, API, /metrics) where the three differ on a state the API knows."""
    return {
        e: (store.get(e), s, metrics.get(e))
        for e, s in api.items()
        if s != "unknown" and not (store.get(e) == s == metrics.get(e))
    }


def replay(serve: Serve, live: dict[str, str]) -> None:
    with Session(make_engine(serve.env["NOC_DATABASE_URL"])) as session:
        rows = list(session.scalars(select(StateChangeRow).order_by(StateChangeRow.at)))
    by_entity: dict[str, list[StateChangeRow]] = {}
    for row in rows:
        by_entity.setdefault(row.entity, []).append(row)
    for entity, state in live.items():
        chain = by_entity.get(entity, [])
        current = "unknown"
        for row in chain:
            assert row.old == current, (entity, [(r.old, r.new) for r in chain])
            current = row.new
        assert current == state, (entity, state, [(r.old, r.new) for r in chain])
        times = [r.at for r in chain]
        assert times == sorted(set(times)), (entity, "rows not strictly ordered")


def test_store_api_and_metrics_agree_through_random_scenarios(serve: Serve, lab: Lab) -> None:
    rng = random.Random(SEED)
    plan = rng.sample(STEPS, len(STEPS)) + rng.choices(STEPS, k=2)
    serve.start()
    time.sleep(2 * INTERVAL_S)  # every device polled once
    replay(serve, agree(serve))
    for step in plan:
        kel = rng.choice(sorted(BEHIND))
        if step == "bts-down":
            lab.scenario(BTS, "down")
            agree(serve)
            time.sleep(2 * INTERVAL_S)
            lab.scenario(BTS, "down", on=False)
        elif step == "link-down":
            lab.scenario(BTS, "iface-down", param="sfp1")
            agree(serve)
            lab.scenario(BTS, "iface-down", on=False, param="sfp1")
        elif step == "flap":
            for _ in range(3):
                lab.scenario(kel, "down")
                time.sleep(2.5 * INTERVAL_S)  # two polls: past down_after
                lab.scenario(kel, "down", on=False)
                time.sleep(2.5 * INTERVAL_S)
        elif step == "maintenance":
            now = datetime.now(UTC)
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "noc",
                    "maintenance",
                    "add",
                    "--name",
                    "test",
                    "--start",
                    now.isoformat(),
                    "--end",
                    datetime.fromtimestamp(now.timestamp() + 6 * INTERVAL_S, UTC).isoformat(),
                    "-d",
                    kel,
                ],
                env=serve.env,
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            time.sleep(3 * INTERVAL_S)
        else:
            serve.kill(signal.SIGTERM)
            serve.start()
            time.sleep(2 * INTERVAL_S)
        replay(serve, agree(serve))
