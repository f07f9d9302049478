"""The API over real HTTP and in-process: authentication on every route, roles, the data
routes against a real SQLite store, diagnostics against the lab, and a schemathesis run."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from noc.api.app import PUBLIC_PATHS, ApiContext, create_app
from noc.api.guard import Throttle
from noc.api.routes import routes
from noc.inventory import load_inventory
from noc.sla.compute import month
from noc.sla.render import figures
from noc.sla.report import build_report
from noc.snmp.lean_client import LeanClient
from noc.store.audit import AuditLog
from noc.store.db import make_engine, sync_inventory, upgrade
from noc.store.models import IncidentRow, StateChangeRow
from noc.store.tokens import GRANTS, Right, Role, create_token
from tests.conftest import Lab

pytestmark = pytest.mark.integration

OCT_3_10H_WIB = 1_791_003_600.0  # 2026-10-03 10:00 +07:00


@dataclass
class Api:
    app: FastAPI
    client: TestClient
    tokens: dict[Role, str]
    ctx: ApiContext

    def get(self, path: str, role: Role | None = Role.ADMIN, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return self.client.get(path, headers=headers, params=params)


def seed(engine: Any) -> None:
    with Session(engine) as session, session.begin():
        session.add_all(
            [
                StateChangeRow(
                    id="s1",
                    entity="bts-05",
                    at=OCT_3_10H_WIB,
                    old="up",
                    new="down",
                    root_cause="bts-05",
                    reason="no response (timeout)",
                ),
                StateChangeRow(
                    id="s2",
                    entity="bts-05",
                    at=OCT_3_10H_WIB + 7200,
                    old="down",
                    new="up",
                    root_cause=None,
                    reason=None,
                ),
                IncidentRow(
                    id="i1",
                    entity="bts-05",
                    state="down",
                    root_cause="bts-05",
                    reason="no response (timeout)",
                    started=OCT_3_10H_WIB,
                    ended=OCT_3_10H_WIB + 7200,
                    affected="kel-balumbangjaya",
                    flaps=0,
                ),
                IncidentRow(
                    id="i2",
                    entity="link:uplink-isp",
                    state="down",
                    root_cause="core-1",
                    reason="ether1 down",
                    started=OCT_3_10H_WIB + 86400,
                    ended=None,
                    affected="",
                    flaps=0,
                ),
            ]
        )


@pytest.fixture
def api(lab: Lab, tmp_path: Path) -> Iterator[Api]:
    engine = make_engine(f"sqlite:///{tmp_path / 'noc.db'}")
    upgrade(engine)
    inv = load_inventory(lab.inventory)
    sync_inventory(engine, inv)
    seed(engine)
    tokens = {role: create_token(engine, f"test-{role.value}", role)[1] for role in Role}
    # Every route is tried with a bogus token: lift the per-address throttle for that.
    ctx = ApiContext(
        inv=inv,
        engine=engine,
        audit=AuditLog(engine, tmp_path / "pending"),
        client_factory=LeanClient,
        throttle=Throttle(limit=100_000),
    )
    app = create_app(ctx)
    with TestClient(app) as client:
        yield Api(app, client, tokens, ctx)


def required_right(route: APIRoute) -> Right | None:
    """The right a route's `require(...)` dependency carries, searched through sub-dependencies."""
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        right = getattr(dep.call, "right", None)
        if right is not None:
            return Right(right)
        stack += dep.dependencies
    return None


def sample_path(path: str) -> str:
    return (
        path.replace("{name}", "core-1")
        .replace("{window_id}", "no-such-window")
        .replace("{token_id}", "no-such-token")
    )


def test_every_route_needs_a_token_and_the_right_role(api: Api) -> None:
    checked = 0
    for route in routes():  # every router's routes, as the app serves them
        if not isinstance(route, APIRoute) or route.path in PUBLIC_PATHS:
            continue
        if any(getattr(d.call, "webhook", False) for d in route.dependant.dependencies):
            for token in ["", "noc_bogus", *api.tokens.values()]:  # no user token opens it
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                assert api.client.post(route.path, json={}, headers=headers).status_code == 401
            continue
        right = required_right(route)
        assert right is not None, f"{route.path} has no authentication dependency"
        for method in route.methods or ():
            url = sample_path(route.path)
            anonymous = api.client.request(method, url)
            assert anonymous.status_code == 401, (method, url)
            assert anonymous.headers["www-authenticate"] == "Bearer"
            wrong = api.client.request(method, url, headers={"Authorization": "Bearer noc_bogus"})
            assert wrong.status_code == 401, (method, url)
            for role in Role:
                headers = {"Authorization": f"Bearer {api.tokens[role]}"}
                status = api.client.request(method, url, headers=headers).status_code
                if right in GRANTS[role]:
                    assert status not in (401, 403), (method, url, role)
                else:
                    assert status == 403, (method, url, role)
            checked += 1
    assert checked >= 18


def test_public_paths_are_only_health_metrics_and_docs(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    assert api.client.get("/docs").status_code == 200
    spec = api.client.get("/openapi.json").json()
    assert "/api/v1/devices" in spec["paths"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_inventory_routes_never_carry_credentials(api: Api) -> None:
    devices = api.get("/api/v1/devices", site="bts-05").json()
    assert [d["name"] for d in devices] == ["bts-05"]
    assert "credentials" not in devices[0]
    core = api.get("/api/v1/devices/core-1").json()
    assert core["address"] == "127.0.1.1" and core["tier"] == "uplink"
    ifaces = api.get("/api/v1/devices/core-1/interfaces").json()
    assert ifaces[0]["name"] == "ether1" and ifaces[0]["in_bps"] is None  # no collector here
    links = api.get("/api/v1/links", medium="isp").json()
    assert [(ln["name"], ln["capacity_bps"]) for ln in links] == [("uplink-isp", 40_000_000)]
    assert api.get("/api/v1/devices/nope").status_code == 404
    assert len(api.get("/api/v1/sites", kind="bts").json()) == 18


def test_incident_filters(api: Api) -> None:
    everything = api.get("/api/v1/incidents").json()
    assert [i["id"] for i in everything] == ["i2", "i1"]  # newest first
    assert [i["id"] for i in api.get("/api/v1/incidents", open="true").json()] == ["i2"]
    by_site = api.get("/api/v1/incidents", site="kel-balumbangjaya").json()
    assert [i["id"] for i in by_site] == ["i1"]  # affected behind bts-05
    assert [i["id"] for i in api.get("/api/v1/incidents", site="dc-balaikota").json()] == ["i2"]
    late = api.get("/api/v1/incidents", since="2026-10-04T00:00:00+07:00").json()
    assert [i["id"] for i in late] == ["i2"]
    early = api.get("/api/v1/incidents", until="2026-10-04T00:00:00+07:00").json()
    assert [i["id"] for i in early] == ["i1"]
    assert api.get("/api/v1/incidents", since="2026-10-04T00:00:00").status_code == 422
    status = {s["entity"]: s for s in api.get("/api/v1/status").json()}
    assert status["bts-05"]["state"] == "up" and status["bts-05"]["source"] == "store"


def test_maintenance_and_tokens_for_admins(api: Api) -> None:
    body = {
        "name": "BTS 07 tower work",
        "devices": ["bts-07"],
        "start": "2026-12-06T01:00:00+07:00",
        "end": "2026-12-06T03:00:00+07:00",
    }
    admin = {"Authorization": f"Bearer {api.tokens[Role.ADMIN]}"}
    created = api.client.post("/api/v1/maintenance", json=body, headers=admin)
    assert created.status_code == 201
    window = created.json()
    assert window["end"] - window["start"] == 7200
    assert [w["id"] for w in api.get("/api/v1/maintenance", Role.VIEWER).json()] == [window["id"]]
    bad = api.client.post("/api/v1/maintenance", json={**body, "devices": ["nope"]}, headers=admin)
    assert bad.status_code == 422 and "nope" in bad.text
    assert (
        api.client.delete(f"/api/v1/maintenance/{window['id']}", headers=admin).status_code == 204
    )

    made = api.client.post(
        "/api/v1/tokens", json={"name": "wallboard", "role": "viewer"}, headers=admin
    ).json()
    viewer = {"Authorization": f"Bearer {made['token']}"}
    assert api.client.get("/api/v1/me", headers=viewer).json() == {
        "name": "wallboard",
        "role": "viewer",
    }
    listed = api.get("/api/v1/tokens").json()
    assert made["token"] not in json.dumps(listed)
    assert api.client.delete(f"/api/v1/tokens/{made['id']}", headers=admin).status_code == 204
    assert api.client.get("/api/v1/me", headers=viewer).status_code == 401


def test_sla_routes_for_managers_match_the_report(api: Api) -> None:
    summary = api.get("/api/v1/sla/summary", Role.MANAGER, month="2026-10").json()
    expected = build_report(api.ctx.engine, api.ctx.inv, month(2026, 10))
    assert summary["network_availability"] == json.loads(json.dumps(figures(expected.whole)))
    assert summary["tiers"]["backbone"]["downtime_s"] == pytest.approx(7200)
    report = api.get("/api/v1/sla/report", Role.MANAGER, month="2026-10").json()
    assert report["devices"]["bts-05"]["downtime_s"] == pytest.approx(7200)
    csv_text = api.get("/api/v1/sla/report", Role.MANAGER, month="2026-10", format="csv").text
    assert "device,bts-05" in csv_text
    html = api.get(
        "/api/v1/sla/report", Role.MANAGER, month="2026-10", format="html", lang="en"
    ).text
    assert "<html" in html and "bts-05" in html
    pdf = api.get("/api/v1/sla/report", Role.MANAGER, month="2026-10", format="pdf")
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and "attachment" in pdf.headers["content-disposition"]
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True
    ).stdout.decode()
    assert "Laporan SLA" in text and "uplink-isp" in text
    assert api.get("/api/v1/sla/summary", Role.MANAGER, month="2026-13").status_code == 422
    assert api.get("/api/v1/sla/summary", Role.VIEWER, month="2026-10").status_code == 403


def test_technicians_run_diagnostics_and_they_are_audited(api: Api, lab: Lab) -> None:
    tech = {"Authorization": f"Bearer {api.tokens[Role.TECHNICIAN]}"}
    iface = api.ctx.inv.device("bts-13").interfaces[-1].name
    lab.scenario("bts-13", "iface-down", param=iface)
    try:
        response = api.client.post(
            "/api/v1/diagnostics",
            headers=tech,
            json={"action": "check", "device": "bts-13", "window_s": 1},
        )
    finally:
        lab.scenario("bts-13", "iface-down", on=False, param=iface)
    assert response.status_code == 200, response.text
    assert f"interface {iface} is down" in response.json()["summary"]
    refused = api.client.post(
        "/api/v1/diagnostics",
        headers=tech,
        json={"action": "ssh", "device": "bts-13", "command": "reboot"},
    )
    assert refused.status_code == 422
    audit = api.get("/api/v1/audit").json()
    assert [(e["actor"], e["action"], e["outcome"]) for e in audit] == [
        ("token:test-technician", "ssh", "refused"),
        ("token:test-technician", "check", "problem"),
    ]


def test_a_token_name_the_audit_cannot_hold_is_refused_and_never_acts_untraced(
    lab: Lab, tmp_path: Path
) -> None:
    """On PostgreSQL, whose columns hold their length: a name too long for the audit's actor
    is refused at creation, and a token made before the bound (its name in the store) gets no
    result its audit entry does not record."""
    from tests.conftest import pg_database

    with pg_database("noc_audit") as db:
        engine = make_engine(db.url)
        upgrade(engine)
        inv = load_inventory(lab.inventory)
        sync_inventory(engine, inv)
        pending = tmp_path / "audit-pending.jsonl"
        ctx = ApiContext(
            inv=inv, engine=engine, audit=AuditLog(engine, pending), client_factory=LeanClient
        )
        admin = create_token(engine, "admin", Role.ADMIN)[1]
        with TestClient(create_app(ctx)) as client:
            made = client.post(
                "/api/v1/tokens",
                headers={"Authorization": f"Bearer {admin}"},
                json={"name": "t" * 65, "role": "technician"},
            )
            assert made.status_code == 422, made.text
            with pytest.raises(ValueError, match="at most 64"):
                create_token(engine, "t" * 195, Role.TECHNICIAN)
            # A long-named token from before the bound, as the store holds it.
            old = create_token(engine, "t", Role.TECHNICIAN)[1]
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    "UPDATE api_tokens SET name = %s WHERE name = 't'", ("t" * 195,)
                )
            response = client.post(
                "/api/v1/diagnostics",
                headers={"Authorization": f"Bearer {old}"},
                json={"action": "snmp-get", "device": "core-1", "objects": ["sysName.0"]},
            )
        engine.dispose()
    assert response.status_code == 500, response.text
    assert "audit log refused" in response.json()["detail"]
    rejected = pending.with_name("audit-pending-rejected.jsonl").read_text()
    assert "t" * 195 in rejected


def test_token_create_takes_the_name_as_an_argument(tmp_path: Path) -> None:
    import os
    import sys

    env = {**os.environ, "NOC_VAR_DIR": str(tmp_path)}
    run = [sys.executable, "-m", "noc", "token", "create"]
    made = subprocess.run(
        [*run, "layar", "--role", "viewer", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "noc", "token", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert [t["name"] for t in json.loads(listed.stdout)] == ["layar"]
    long = subprocess.run(
        [*run, "x" * 65, "--role", "viewer"], env=env, capture_output=True, text=True, timeout=60
    )
    assert long.returncode == 2 and "at most 64" in long.stderr, long.stderr
    assert "Traceback" not in long.stderr


def test_the_api_finds_names_as_the_cli_does(api: Api) -> None:
    """`BTS-12` is bts-12 in the API too (it was a 422 "did you mean bts-12?")."""
    tech = {"Authorization": f"Bearer {api.tokens[Role.TECHNICIAN]}"}
    got = api.client.post(
        "/api/v1/diagnostics",
        headers=tech,
        json={"action": "snmp-get", "device": "BTS-12", "objects": ["sysName.0"]},
    )
    assert got.status_code == 200, got.text
    assert got.json()["device"] == "bts-12"
    assert api.get("/api/v1/devices/Bts-7").json()["name"] == "bts-07"
    missing = api.get("/api/v1/devices/bts-70")
    assert missing.status_code == 404 and "did you mean bts-07" in missing.json()["detail"]
