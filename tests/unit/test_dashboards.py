"""Dashboards: generated from the inventory, committed, pushed the way Grafana's API documents."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from noc.cli.dashboards import DASHBOARDS_DIR, render
from noc.cli.main import app
from noc.dashboards.build import build
from noc.dashboards.push import FOLDER_UID, push
from noc.inventory import load_inventory
from tests.conftest import INVENTORY

TOKEN = "glsa_test_token_123"


def all_exprs(board: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in board["panels"] for t in p["targets"]]


def test_committed_dashboards_are_current() -> None:
    for folder, lang in ((DASHBOARDS_DIR, "en"), (DASHBOARDS_DIR / "id", "id")):
        boards = build(load_inventory(INVENTORY), lang)
        committed = {p.name for p in folder.glob("*.json")}
        assert committed == set(boards), "run: noc dashboards build"
        for name, board in boards.items():
            assert (folder / name).read_text() == render(board), f"{name} is stale"


def test_the_indonesian_dashboards_say_nothing_in_english() -> None:
    """Every title, mapped value and column a person reads, in Bahasa Indonesia; the queries,
    and the links between the dashboards, the same as the English ones' (to the -id uids)."""
    inv = load_inventory(INVENTORY)
    english, indonesian = build(inv), build(inv, "id")
    for name, board in english.items():
        mine = indonesian[name.replace(".json", "-id.json")]
        assert all_exprs(mine) == all_exprs(board)
        said = json.dumps([p.get("title") for p in mine["panels"]] + [mine["title"]])
        for word in ("Availability", "Devices", "Link", "utilisation", "Throughput", "READY"):
            assert word not in said, (name, word, said)
        assert all(ln["url"].endswith("-id") for ln in mine.get("links", []))


def test_overview_has_what_the_noc_watches() -> None:
    board = build(load_inventory(INVENTORY))["noc-overview.json"]
    kinds = {p["type"] for p in board["panels"]}
    assert {"geomap", "timeseries", "bargauge", "stat", "table"} <= kinds
    uplink = next(p for p in board["panels"] if p["title"].startswith("Internet uplink"))
    steps = uplink["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert {"value": 40_000_000.0, "color": "red"} in steps
    assert uplink["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] == "line+area"
    assert 'link="uplink-isp"' in uplink["targets"][0]["expr"]
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))


class GrafanaStandIn(BaseHTTPRequestHandler):
    """Just enough of Grafana's HTTP API (folders, dashboards/db), checking each request."""

    folders: ClassVar[dict[str, dict[str, Any]]] = {}
    dashboards: ClassVar[dict[str, dict[str, Any]]] = {}
    requests: ClassVar[list[tuple[str, str]]] = []
    problems: ClassVar[list[str]] = []

    def log_message(self, *args: object) -> None:
        return None

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        self.requests.append((self.command, self.path))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.problems.append(f"{self.command} {self.path}: bad Authorization header")
            self._reply(401, {"message": "Unauthorized"})
            return False
        return True

    def do_GET(self) -> None:
        if not self._authorised():
            return
        if self.path.startswith("/api/folders/"):
            uid = self.path.rsplit("/", 1)[1]
            if uid in self.folders:
                self._reply(200, self.folders[uid])
            else:
                self._reply(404, {"message": "folder not found"})
            return
        self._reply(404, {"message": "not found"})

    def do_POST(self) -> None:
        if not self._authorised():
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
            self.problems.append(f"{self.path}: not JSON")
        if self.path == "/api/folders":
            if not isinstance(body.get("title"), str) or "uid" not in body:
                self.problems.append(f"folder body {body}")
            self.folders[body["uid"]] = {"uid": body["uid"], "title": body["title"], "id": 1}
            self._reply(200, self.folders[body["uid"]])
        elif self.path == "/api/dashboards/db":
            board = body.get("dashboard", {})
            if not board.get("uid") or not board.get("title") or body.get("overwrite") is not True:
                self.problems.append(f"dashboard body keys {sorted(body)}")
            if body.get("folderUid") not in self.folders:
                self.problems.append(f"dashboard into unknown folder {body.get('folderUid')}")
            self.dashboards[board["uid"]] = board
            self._reply(200, {"status": "success", "uid": board["uid"], "version": 1})
        else:
            self._reply(404, {"message": "not found"})


@pytest.fixture
def grafana() -> Iterator[str]:
    GrafanaStandIn.folders, GrafanaStandIn.dashboards = {}, {}
    GrafanaStandIn.requests, GrafanaStandIn.problems = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), GrafanaStandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_push_creates_the_folder_once_and_uploads_every_dashboard(grafana: str) -> None:
    boards = build(load_inventory(INVENTORY))
    assert sorted(push(grafana, TOKEN, boards)) == sorted(b["uid"] for b in boards.values())
    assert GrafanaStandIn.problems == []
    assert set(GrafanaStandIn.dashboards) == {b["uid"] for b in boards.values()}
    assert list(GrafanaStandIn.folders) == [FOLDER_UID]
    push(grafana, TOKEN, boards)  # again: the folder exists, dashboards are overwritten
    creates = [r for r in GrafanaStandIn.requests if r == ("POST", "/api/folders")]
    assert len(creates) == 1
    assert GrafanaStandIn.problems == []


def test_push_cli_reports_a_refused_token_without_printing_it(grafana: str) -> None:
    args = [
        "dashboards",
        "push",
        "--url",
        grafana,
        "--token",
        "wrong-secret-token",
        "--inventory",
        str(INVENTORY),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "failed: GrafanaUnauthorizedError" in result.output
    assert "wrong-secret-token" not in result.output
