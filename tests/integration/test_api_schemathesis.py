"""Schemathesis-generated requests for every operation of the OpenAPI spec, sent with an
admin token: no 5xx. Alertmanager is a stand-in on loopback that answers as an empty one
does (without it, the alert routes answer 502, rightly, whenever no Alertmanager happens to
listen on 9093)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.core import NOT_SET

from noc.api.app import ApiContext, create_app
from noc.inventory import load_inventory
from noc.snmp.lean_client import LeanClient
from noc.store.audit import AuditLog
from noc.store.db import make_engine, sync_inventory, upgrade
from noc.store.tokens import Role, create_token
from tests.conftest import INVENTORY
from tests.integration.test_api import seed

pytestmark = pytest.mark.integration

TOKEN: dict[str, str] = {}


class EmptyAlertmanager:
    """Alertmanager's API v2 with nothing in it: no alerts, no silences; a silence is made."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def _answer(self, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._answer([])

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self._answer({"silenceID": "00000000-0000-0000-0000-000000000000"})

            def do_DELETE(self) -> None:
                self._answer({})

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    var = tmp_path_factory.mktemp("schemathesis")
    engine = make_engine(f"sqlite:///{var / 'noc.db'}")
    upgrade(engine)
    alertmanager = EmptyAlertmanager()
    inventory = var / "inventory.yaml"
    inventory.write_text(INVENTORY.read_text().replace("http://127.0.0.1:9093", alertmanager.url))
    inv = load_inventory(inventory)
    sync_inventory(engine, inv)
    seed(engine)
    TOKEN["admin"] = create_token(engine, "schemathesis", Role.ADMIN)[1]
    ctx = ApiContext(
        inv=inv,
        engine=engine,
        audit=AuditLog(engine, Path(var) / "pending"),
        client_factory=LeanClient,
    )
    yield create_app(ctx)
    alertmanager.server.shutdown()


def test_no_operation_answers_a_server_error(app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {TOKEN['admin']}"}
    tested: list[str] = []
    client = TestClient(app)
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid spec fails here

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def no_server_error(case: Any) -> None:
            if case.operation.path == "/api/v1/diagnostics" and isinstance(case.body, dict):
                case.body["window_s"] = 0.5  # a valid device must not make the run slow
            # Sent with Starlette's TestClient (httpx): schemathesis' own transport uses
            # requests, which the installed urllib3-future (a grafana-client dependency) breaks.
            response = client.request(
                case.method,
                case.formatted_path,
                params=case.query,
                headers={**(case.headers or {}), **headers},
                json=case.body if case.body is not NOT_SET else None,
            )
            assert response.status_code < 500, (case.method, case.path, response.text[:500])

        no_server_error()
        tested.append(f"{operation.method.upper()} {operation.path}")
    assert len(tested) >= 18, tested
