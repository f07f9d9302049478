"""The API's edge: control characters refused (422) before they reach the store or the audit,
an audit entry the store refuses never blocks the others, security headers on every answer,
throttled and logged failed tokens, token expiry, and the live view kept through a store
outage by the token cache. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from noc.api.app import ApiContext, create_app
from noc.inventory import load_inventory
from noc.snmp.lean_client import LeanClient
from noc.store.audit import AuditLog
from noc.store.db import make_engine, sync_inventory, upgrade
from noc.store.models import AuditRow
from noc.store.tokens import Role, create_token
from tests.conftest import INVENTORY, Database

pytestmark = pytest.mark.integration


class Api:
    def __init__(self, client: TestClient, admin: str, ctx: ApiContext, db: Database) -> None:
        self.client, self.admin, self.ctx, self.db = client, admin, ctx, db

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.admin}"}


@pytest.fixture
def api(database: Database, tmp_path: Path) -> Iterator[Api]:
    engine = make_engine(database.url)
    upgrade(engine)
    inv = load_inventory(INVENTORY)
    sync_inventory(engine, inv)
    admin = create_token(engine, "admin", Role.ADMIN)[1]
    ctx = ApiContext(
        inv=inv,
        engine=engine,
        audit=AuditLog(engine, tmp_path / "audit.jsonl"),
        client_factory=LeanClient,
    )
    with TestClient(create_app(ctx)) as client:
        yield Api(client, admin, ctx, database)


def test_control_characters_are_refused_at_the_edge(api: Api) -> None:
    post = [
        ("/api/v1/diagnostics", {"action": "check", "device": "bts-07\u0000"}),
        ("/api/v1/tokens", {"name": "ops\u0000", "role": "viewer"}),
        (
            "/api/v1/maintenance",
            {
                "name": "x\u0007",
                "devices": ["bts-07"],
                "start": "2026-12-01T00:00:00+07:00",
                "end": "2026-12-01T01:00:00+07:00",
            },
        ),
        (
            "/api/v1/maintenance",
            {
                "name": "x",
                "devices": ["bts-07\u0000"],
                "start": "2026-12-01T00:00:00+07:00",
                "end": "2026-12-01T01:00:00+07:00",
            },
        ),
    ]
    for path, body in post:
        response = api.client.post(path, json=body, headers=api.headers())
        assert response.status_code == 422, (path, body, response.text)
    for path in (
        "/api/v1/devices/bts-07%00",
        "/api/v1/status?state=up%00",
        "/api/v1/devices/bts%0A07",
    ):
        assert api.client.get(path, headers=api.headers()).status_code == 422, path
    # The store still takes everything else: a later, clean request works.
    created = api.client.post(
        "/api/v1/tokens", json={"name": "ops", "role": "viewer"}, headers=api.headers()
    )
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"


def test_an_audit_entry_the_store_refuses_never_blocks_the_others(api: Api, tmp_path: Path) -> None:
    audit = api.ctx.audit
    poisoned = {
        "id": "x" * 80,
        "at": 1.0,
        "actor": "token:t",
        "action": "check",
        "device": "bts-07\u0000",
        "arguments": "{}",
        "outcome": "ok",
        "detail": "",
    }
    audit.pending.write_text(json.dumps(poisoned) + "\n")
    ids = [audit.record("token:t", "check", f"bts-0{i}", {"n": i}, "ok") for i in range(1, 4)]
    with Session(audit.engine) as session:
        stored = set(session.scalars(select(AuditRow.id)))
    assert set(ids) <= stored
    assert not audit.pending.exists()
    if api.db.kind == "postgresql":  # a 36-character column: PostgreSQL refuses the 80
        assert "x" * 80 not in stored
        assert json.loads(audit.rejected.read_text().splitlines()[0])["id"] == "x" * 80
    # NUL in what a technician typed is kept, as an escape, on both stores.
    audit.record("token:t", "check", "bts-07\u0000", {"device": "bts-07\u0000"}, "refused")
    with Session(audit.engine) as session:
        devices = set(session.scalars(select(AuditRow.device)))
    assert "bts-07\\x00" in devices


def test_headers_and_token_throttle(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    ok = api.client.get("/api/v1/me", headers=api.headers())
    for name, value in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
    ]:
        assert ok.headers[name] == value
    assert "frame-ancestors 'none'" in ok.headers["content-security-policy"]
    with caplog.at_level(logging.WARNING, logger="noc.api.guard"):
        codes = [
            api.client.get("/api/v1/me", headers=api.headers(f"noc_wrong{i}")).status_code
            for i in range(15)
        ]
    assert codes[:10] == [401] * 10
    assert codes[10:] == [429] * 5
    assert len([r for r in caplog.records if "API token refused" in r.message]) == 10
    assert not any("noc_wrong" in r.getMessage() for r in caplog.records)
    # A valid token from the same address (every screen behind one NAT) is still served.
    assert api.client.get("/api/v1/me", headers=api.headers()).status_code == 200
    assert api.client.get("/api/v1/me", headers=api.headers("noc_wrong")).status_code == 429


def test_wrong_webhook_secrets_are_throttled_and_the_right_one_always_served(api: Api) -> None:
    codes = [
        api.client.post(
            "/api/v1/alerts/webhook", headers=api.headers(f"guess{i}"), json={}
        ).status_code
        for i in range(40)
    ]
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}
    right = api.client.post(
        "/api/v1/alerts/webhook",
        headers=api.headers("lab-webhook-secret"),
        json={"version": "4", "groupKey": "g", "status": "firing", "receiver": "r", "alerts": []},
    )
    assert right.status_code == 202, right.text


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_throttle(
    api: Api,
) -> None:
    import ipaddress

    def me(token: str, forwarded: str) -> int:
        headers = {**api.headers(token), "X-Forwarded-For": forwarded}
        return int(api.client.get("/api/v1/me", headers=headers).status_code)

    # Not trusted: the header is the client's own word, and the peer's address counts.
    assert [me("noc_bad", f"203.0.113.{i}") for i in range(11)][-1] == 429
    api.ctx.throttle = type(api.ctx.throttle)()
    # TestClient's peer is "testclient"; trust it by name as the settings would an address.
    api.ctx.trusted_proxies = (ipaddress.ip_network("127.0.0.1/32"),)
    api.client = TestClient(api.client.app, client=("127.0.0.1", 50000))
    assert [me("noc_bad", "203.0.113.7") for _ in range(11)][-1] == 429
    assert me("noc_bad", "203.0.113.8") == 401  # another screen behind the same proxy
    # What a client writes before the proxy's own entry is not believed.
    assert me("noc_bad", "203.0.113.8, 203.0.113.7") == 429


def test_expired_tokens_stop_working(api: Api) -> None:
    _, short = create_token(api.ctx.engine, "short", Role.VIEWER, expires_in_s=-1)
    assert api.client.get("/api/v1/me", headers=api.headers(short)).status_code == 401
    made = api.client.post(
        "/api/v1/tokens",
        json={"name": "t", "role": "viewer", "expires_days": 1},
        headers=api.headers(),
    )
    assert made.status_code == 201 and made.json()["expires"] is not None
    assert api.client.get("/api/v1/me", headers=api.headers(made.json()["token"])).json() == {
        "name": "t",
        "role": "viewer",
    }


def test_the_live_view_survives_a_store_outage(api: Api) -> None:
    assert api.client.get("/api/v1/status", headers=api.headers()).status_code == 200
    api.db.down()
    try:
        # Checked a moment ago: the cached token still opens the live view.
        api.ctx.tokens.fresh_s = 0
        live = api.client.get("/api/v1/status", headers=api.headers())
        assert live.status_code in (200, 503), live.text
        if api.ctx.live is None:  # no collector here: status comes from the store
            assert live.status_code == 503
            assert "store" in live.json()["detail"]
        me = api.client.get("/api/v1/me", headers=api.headers())
        assert me.status_code == 200, me.text
        unknown = api.client.get("/api/v1/me", headers=api.headers("noc_never_seen"))
        assert unknown.status_code == 503
    finally:
        api.db.up()


def test_a_frozen_store_is_503_in_seconds_and_dr_answers_from_memory(
    tmp_path: Path,
) -> None:
    """PostgreSQL stops answering, its connections open (a hung server): store reads answer
    503 within their deadline instead of holding the request, and the live DR verdict is
    served with no history."""
    import time

    from noc.api.deps import STORE_READ_S
    from noc.dr.readiness import DrReport, Readiness
    from tests.conftest import pg_database

    with pg_database("noc_frozen") as db:
        engine = make_engine(db.url)
        upgrade(engine)
        inv = load_inventory(INVENTORY)
        sync_inventory(engine, inv)
        viewer = create_token(engine, "v", Role.ADMIN)[1]
        report = DrReport(at=time.time(), readiness=Readiness.READY, reason="all checks pass")
        ctx = ApiContext(
            inv=inv,
            engine=engine,
            audit=AuditLog(engine, tmp_path / "a.jsonl"),
            client_factory=LeanClient,
            dr_report=lambda: report,
        )
        headers = {"Authorization": f"Bearer {viewer}"}
        with TestClient(create_app(ctx)) as client:
            assert client.get("/api/v1/incidents", headers=headers).status_code == 200
            assert db.proxy is not None
            db.proxy.flowing.clear()
            try:
                started = time.monotonic()
                got = client.get("/api/v1/incidents", headers=headers)
                took = time.monotonic() - started
                assert got.status_code == 503 and "in time" in got.json()["detail"], got.text
                assert took < STORE_READ_S + 3, took
                dr = client.get("/api/v1/dr", headers=headers)
                assert dr.status_code == 200, dr.text
                assert dr.json()["current"]["readiness"] == "ready"
                assert dr.json()["history"] is None and dr.json()["history_error"]
                answers = [client.get("/api/v1/poll-stats", headers=headers) for _ in range(3)]
                assert {a.status_code for a in answers} == {503}
            finally:
                db.proxy.flowing.set()
        engine.dispose()
