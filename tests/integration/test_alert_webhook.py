"""Alertmanager's webhook against odd bodies, on PostgreSQL: what is not a version 4
notification is a 422 and stores nothing; a retried notification is stored once; a NUL in a
label is kept as an escape (not a 503 Alertmanager would retry for ever); and a row stored
before the webhook was validated never breaks the month's report or summary."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from noc.api.app import ApiContext, create_app
from noc.inventory import load_inventory
from noc.snmp.lean_client import LeanClient
from noc.store.audit import AuditLog
from noc.store.db import make_engine, sync_inventory, upgrade
from noc.store.models import AlertNotificationRow
from noc.store.tokens import Role, create_token
from tests.conftest import INVENTORY, pg_database

pytestmark = pytest.mark.integration
SECRET = {"Authorization": "Bearer lab-webhook-secret"}


class Hook:
    def __init__(self, client: TestClient, engine: Any, manager: str) -> None:
        self.client, self.engine, self.manager = client, engine, manager

    def post(self, body: Any) -> int:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return int(
            self.client.post("/api/v1/alerts/webhook", headers=SECRET, content=data).status_code
        )

    def rows(self) -> int:
        with Session(self.engine) as session:
            return int(session.scalar(select(func.count()).select_from(AlertNotificationRow)) or 0)


@pytest.fixture
def hook(tmp_path: Path) -> Iterator[Hook]:
    with pg_database("noc_webhook") as db:
        engine = make_engine(db.url)
        upgrade(engine)
        inv = load_inventory(INVENTORY)
        sync_inventory(engine, inv)
        manager = create_token(engine, "manager", Role.MANAGER)[1]
        ctx = ApiContext(
            inv=inv,
            engine=engine,
            audit=AuditLog(engine, tmp_path / "a.jsonl"),
            client_factory=LeanClient,
        )
        with TestClient(create_app(ctx)) as client:
            yield Hook(client, engine, manager)
        engine.dispose()


def notification(**over: Any) -> dict[str, Any]:
    body = {
        "version": "4",
        "groupKey": '{}:{group="bts-07"}',
        "status": "firing",
        "receiver": "history",
        "groupLabels": {"group": "bts-07"},
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "NocBtsDown", "device": "bts-07"},
                "annotations": {},
                "startsAt": "2026-12-07T01:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
            }
        ],
    }
    return {**body, **over}


BAD = [
    {"status": "firing", "alerts": [{"status": "firing", "labels": "x"}]},  # the issue's own
    notification(alerts=[{"status": "firing", "labels": "x"}]),
    notification(alerts=[{"status": "firing", "labels": {"device": 7}}]),
    notification(alerts=["x"]),
    notification(alerts={"a": 1}),
    notification(status="burning"),
    notification(receiver=None),
    [1, 2, 3],
    b"not json",
    b"",
    b'{"status": "firing", "receiver": "x", "alerts": [' + b'{"status":"firing"},' * 3 + b"1]}",
]


def test_what_is_not_a_notification_is_422_and_stores_nothing(hook: Hook) -> None:
    for body in BAD:
        assert hook.post(body) == 422, body
    assert hook.rows() == 0


def test_a_retried_notification_is_stored_once(hook: Hook) -> None:
    assert [hook.post(notification()) for _ in range(5)] == [202] * 5
    assert hook.rows() == 1
    resolved = notification(
        status="resolved",
        alerts=[
            {**notification()["alerts"][0], "status": "resolved", "endsAt": "2026-12-07T02:00:00Z"}
        ],
    )
    assert hook.post(resolved) == 202
    assert hook.rows() == 2


def test_a_nul_in_a_label_is_kept_as_an_escape(hook: Hook) -> None:
    body = notification(alerts=[{"status": "firing", "labels": {"device": "bts-07\u0000x"}}])
    assert hook.post(body) == 202
    with Session(hook.engine) as session:
        stored = session.scalars(select(AlertNotificationRow.alerts)).one()
    assert "bts-07\\\\x00x" in stored


def test_a_malformed_stored_row_never_breaks_the_report(hook: Hook) -> None:
    now = time.time()
    with Session(hook.engine) as session, session.begin():
        for i, alerts in enumerate(
            [
                '[{"status":"firing","labels":"x"}]',
                '"x"',
                "not json",
                '[1, {"labels": {"device": 3}}]',
            ]
        ):
            session.add(
                AlertNotificationRow(
                    id=f"old-{i}",
                    received=now,
                    receiver="history",
                    status="firing",
                    group_name="g",
                    firing=1,
                    resolved=0,
                    alerts=alerts,
                )
            )
    assert hook.post(notification()) == 202
    month = datetime.fromtimestamp(now, ZoneInfo("Asia/Jakarta")).strftime("%Y-%m")
    auth = {"Authorization": f"Bearer {hook.manager}"}
    for path in ("/api/v1/sla/summary", "/api/v1/sla/report"):
        got = hook.client.get(path, params={"month": month}, headers=auth)
        assert got.status_code == 200, (path, got.text)
    report = hook.client.get("/api/v1/sla/report", params={"month": month}, headers=auth).json()
    assert json.dumps(report).count("bts-07") >= 1
    history = hook.client.get("/api/v1/alerts/history", headers=auth)
    assert history.status_code == 200 and len(history.json()) == 5
