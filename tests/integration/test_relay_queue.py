"""The WhatsApp relay's queue on PostgreSQL, against a gateway stand-in on loopback that fails
(500) and refuses messages over 4,096 characters (413), as real gateways do:

- while the gateway fails, every notification is still taken (202: it is in the store), and
  nothing is lost: each is tried again later and later;
- a relay started afresh (a restart) delivers what the last one left;
- 356 notifications reach the chat within its 20 a minute, each once, in messages that all
  fit the gateway's limit;
- a store that does not take a notification is a 503, so Alertmanager tries again."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from noc.alerts.gateway import GatewayRelay, RelayMetrics
from noc.api.app import ApiContext, create_app
from noc.inventory import load_inventory
from noc.snmp.lean_client import LeanClient
from noc.store.audit import AuditLog
from noc.store.db import make_engine, sync_inventory, upgrade
from noc.store.models import RelayMessageRow
from tests.conftest import INVENTORY, pg_database

pytestmark = pytest.mark.integration
SECRET = {"Authorization": "Bearer lab-webhook-secret"}


class Gateway:
    """A gateway's send API: 500 while `failing`, 413 above `limit` characters."""

    def __init__(self, limit: int = 4096) -> None:
        self.messages: list[str] = []
        self.failing = True
        self.too_long = self.errors = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                text = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["text"]
                if outer.failing:
                    outer.errors += 1
                    self.send_response(500)
                elif len(text) > limit:
                    outer.too_long += 1
                    self.send_response(413)
                else:
                    outer.messages.append(text)
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Any, Gateway, Any, Any]]:
    gateway = Gateway()
    path = tmp_path / "inventory.yaml"
    path.write_text(
        INVENTORY.read_text().replace(
            "http://127.0.0.1:18091/send", f"http://127.0.0.1:{gateway.port}/send"
        )
    )
    inv = load_inventory(path)
    with pg_database("noc_relay") as db:
        engine = make_engine(db.url)
        upgrade(engine)
        sync_inventory(engine, inv)
        yield inv, gateway, engine, db
        engine.dispose()
    gateway.server.shutdown()


def notification(n: int) -> dict[str, Any]:
    return {
        "status": "firing",
        "receiver": "whatsapp-noc",
        "groupKey": f"g{n}",
        "groupLabels": {"group": f"kel-{n:03d}"},
        "alerts": [
            {"status": "firing", "labels": {"alertname": "NocDeviceDown", "device": f"kel-{n:03d}"}}
        ],
    }


def waiting(engine: Any) -> int:
    with Session(engine) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(RelayMessageRow)
                .where(RelayMessageRow.sent.is_(None))
            )
            or 0
        )


def test_nothing_is_lost_through_a_failing_gateway_a_restart_and_a_flood(
    setup: tuple[Any, Gateway, Any, Any], tmp_path: Path
) -> None:
    inv, gateway, engine, _ = setup
    now = [1_000_000.0]
    relay = GatewayRelay(inv, engine, clock=lambda: now[0])
    ctx = ApiContext(
        inv=inv,
        engine=engine,
        audit=AuditLog(engine, tmp_path / "a.jsonl"),
        client_factory=LeanClient,
        gateway=relay,
    )
    with TestClient(create_app(ctx)) as client:
        codes = {
            client.post(
                "/api/v1/alerts/relay/whatsapp-noc", headers=SECRET, json=notification(n)
            ).status_code
            for n in range(356)
        }
    assert codes == {202}
    assert waiting(engine) == 356
    # The gateway answers 500: nothing is taken, nothing dropped, and it is tried again later.
    for _ in range(5):
        relay.deliver()
        now[0] += 1
    assert gateway.errors >= 1 and gateway.messages == []
    assert waiting(engine) == 356
    metrics = {m.name: m.samples[0].value for m in RelayMetrics(relay).collect()}
    assert metrics["noc_relay_waiting_messages"] == 356
    assert metrics["noc_relay_failed_messages"] >= 1
    # A restart: a new relay on the same store, the gateway back.
    gateway.failing = False
    relay = GatewayRelay(inv, engine, clock=lambda: now[0])
    sent_at: list[float] = []
    for _ in range(15 * 60):
        before = len(gateway.messages)
        relay.deliver()
        sent_at += [now[0]] * (len(gateway.messages) - before)
        if waiting(engine) == 0:
            break
        now[0] += 1
    assert waiting(engine) == 0
    assert gateway.too_long == 0
    assert all(len(m) <= 4096 for m in gateway.messages)
    text = "\n".join(gateway.messages)
    named = [n for n in range(356) if f"kel-{n:03d}" in text]
    assert named == list(range(356))
    windows = [sum(1 for t in sent_at if s <= t < s + 60) for s in sent_at]
    assert max(windows) <= 20


def test_a_store_that_does_not_take_the_notification_is_503(
    setup: tuple[Any, Gateway, Any, Any], tmp_path: Path
) -> None:
    inv, _, engine, db = setup
    relay = GatewayRelay(inv, engine)
    ctx = ApiContext(
        inv=inv,
        engine=engine,
        audit=AuditLog(engine, tmp_path / "a.jsonl"),
        client_factory=LeanClient,
        gateway=relay,
    )
    with TestClient(create_app(ctx)) as client:
        db.proxy.stop()
        got = client.post("/api/v1/alerts/relay/whatsapp-noc", headers=SECRET, json=notification(1))
    assert got.status_code == 503, got.text
