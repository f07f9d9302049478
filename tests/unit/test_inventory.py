"""The inventory loader: the shipped network, and broken files reported by file, line and field."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import pytest

from noc.inventory import InventoryError, Topology, load_inventory
from noc.inventory.model import Medium, Role, SiteKind
from tests.conftest import DATA, INVENTORY, SMALL

BROKEN = sorted((DATA / "inventories" / "broken").glob("*.yaml"))


def test_shipped_inventory_describes_kota_bogor() -> None:
    inv = load_inventory(INVENTORY)
    kinds = [s.kind for s in inv.sites]
    roles = [d.role for d in inv.devices]
    assert kinds.count(SiteKind.BTS) == 18
    assert kinds.count(SiteKind.FIBER_POINT) == 20
    assert kinds.count(SiteKind.DATACENTER) == 1
    assert kinds.count(SiteKind.DR) == 1
    assert roles.count(Role.KELURAHAN) == 68
    assert 25 <= roles.count(Role.SKPD) <= 40
    assert 130 <= len(inv.devices) <= 170
    assert len(inv.kecamatan) == 6
    uplink = [ln for ln in inv.links if ln.medium is Medium.ISP]
    assert [ln.capacity_bps for ln in uplink] == [40_000_000]
    assert inv.uplink is not None and inv.uplink.capacity_bps == 40_000_000


def test_shipped_inventory_points_only_at_loopback() -> None:
    inv = load_inventory(INVENTORY)
    assert all(ipaddress.ip_address(d.address).is_loopback for d in inv.devices)


def test_kelurahan_depend_on_a_bts_which_depends_on_the_core() -> None:
    inv = load_inventory(INVENTORY)
    topo = Topology.of(inv)
    for device in inv.devices:
        path = topo.path(device.name)
        assert path[0] == "core-1", path
        if device.role is Role.KELURAHAN:
            assert inv.device(path[-2]).role is Role.BTS


def _expectation(path: Path) -> tuple[int, str]:
    match = re.search(r"^# expect: line (\d+): (.+)$", path.read_text(), re.MULTILINE)
    assert match, f"{path} has no '# expect:' line"
    return int(match[1]), match[2]


def test_there_are_at_least_ten_broken_inventories() -> None:
    assert len(BROKEN) >= 10


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_inventory_is_reported_at_the_right_line(path: Path) -> None:
    line, message = _expectation(path)
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    found = [(i.line, i.message) for i in caught.value.issues]
    assert any(ln == line and message in msg for ln, msg in found), found
    assert all(i.file == path for i in caught.value.issues)


def test_every_error_is_reported_at_once(tmp_path: Path) -> None:
    text = SMALL.read_text()
    text = text.replace("parent: bts-b", "parent: nowhere")
    text = text.replace("capacity_bps: 300000000", "capacity_bps: -5")
    text = text.replace("    role: core\n", "    role: core\n    colour: blue\n")
    broken = tmp_path / "many.yaml"
    broken.write_text(text)
    with pytest.raises(InventoryError) as caught:
        load_inventory(broken)
    messages = " | ".join(str(i) for i in caught.value.issues)
    assert "unknown device 'nowhere'" in messages
    assert "greater than 0" in messages
    assert "unknown key 'colour'" in messages
    assert len(caught.value.issues) == 3


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="cannot read"):
        load_inventory(tmp_path / "nope.yaml")


def test_errors_name_the_item() -> None:
    with pytest.raises(InventoryError) as caught:
        load_inventory(DATA / "inventories" / "broken" / "missing_parent.yaml")
    assert caught.value.issues[0].field == "devices[4](kel-b).parent"


def test_dr_section_is_cross_checked_with_lines(tmp_path: Path) -> None:
    text = INVENTORY.read_text()
    text = text.replace("database: siak-pbb}", "database: siak-pbx}")
    text = text.replace("links: [dc-dr, dr-srv-dr-1]", "links: [dc-dr, dr-nowhere]")
    broken = tmp_path / "inventory.yaml"
    broken.write_text(text)
    with pytest.raises(InventoryError) as caught:
        load_inventory(broken)
    messages = {(i.line, i.message) for i in caught.value.issues}
    line_of = {
        n: text[: text.index(s)].count("\n") + 1
        for n, s in (("db", "siak-pbx}"), ("link", "dr-nowhere"))
    }
    assert (line_of["db"], "unknown DR database 'siak-pbx'") in messages
    assert (line_of["link"], "unknown link 'dr-nowhere'") in messages


def test_shipped_dr_section() -> None:
    dr = load_inventory(INVENTORY).dr
    assert dr is not None and dr.runbook is not None
    assert {s.name for s in dr.services} == {
        "website",
        "webmail",
        "sim-kantaya",
        "e-procurement",
        "siak",
        "pbb",
    }
    for service in dr.services:
        for url in (service.primary_url, service.dr_url):
            host = re.match(r"https?://([\d.]+)", url)
            assert host and ipaddress.ip_address(host[1]).is_loopback, url
    assert [s.kind for s in dr.runbook.fence] == ["http"]
