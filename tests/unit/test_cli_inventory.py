from __future__ import annotations

import json

from typer.testing import CliRunner

from noc.cli.main import app
from tests.conftest import DATA, INVENTORY

runner = CliRunner()


def test_check_passes_on_the_shipped_inventory() -> None:
    result = runner.invoke(app, ["inventory", "check", str(INVENTORY)])
    assert result.exit_code == 0, result.output
    assert "148 devices" in result.output


def test_check_fails_and_lists_every_error() -> None:
    broken = DATA / "inventories" / "broken" / "duplicate_name.yaml"
    result = runner.invoke(app, ["inventory", "check", str(broken)])
    assert result.exit_code == 1
    assert f"{broken}:75: devices[4](kel-a).name: duplicate name 'kel-a'" in result.output
    assert "2 error(s)" in result.output


def test_show_json_counts_the_network() -> None:
    result = runner.invoke(app, ["inventory", "show", str(INVENTORY), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["counts"]["sites_by_kind"] == {
        "datacenter": 1,
        "dr": 1,
        "bts": 18,
        "fiber_point": 20,
        "office": 104,
    }
    assert data["counts"]["devices_by_role"]["kelurahan"] == 68
    assert data["counts"]["devices_by_role"]["skpd"] == 36
    kelurahan = [
        d["name"]
        for k in data["kecamatan"]
        for s in k["sites"]
        for d in s["devices"]
        if d["role"] == "kelurahan"
    ]
    assert len(kelurahan) == 68


def test_graph_shows_kelurahan_under_their_bts() -> None:
    result = runner.invoke(app, ["inventory", "graph", str(INVENTORY)])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    bts = next(i for i, line in enumerate(lines) if "bts-02 " in line)
    assert "kel-" in lines[bts + 1]


def test_committed_json_schema_is_current() -> None:
    from noc.cli.inventory import SCHEMA_PATH, schema_text

    assert SCHEMA_PATH.read_text() == schema_text(), "run: noc inventory schema --out " + str(
        SCHEMA_PATH
    )
