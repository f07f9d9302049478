"""The simulated device's MIB view and scenarios, without the network."""

from __future__ import annotations

import pytest

from noc.inventory import load_inventory
from noc.lab.builder import build_device
from noc.lab.device import C32, IF_ENTRY, IFX_ENTRY, SimDevice
from noc.lab.scenarios import ScenarioError, apply
from noc.snmp.values import Tag
from tests.conftest import SMALL

T0 = 1_796_090_400.0  # 2026-12-01 09:00 WIB, office hours


def device(name: str = "kel-a") -> SimDevice:
    inv = load_inventory(SMALL)
    return build_device(inv, inv.device(name), T0 - 3600)


def test_get_next_and_exceptions() -> None:
    d = device()
    assert d.get((1, 3, 6, 1, 2, 1, 1, 5, 0), T0).value == b"kel-a"
    assert d.get((*IF_ENTRY, 8, 99), T0).tag is Tag.NO_SUCH_INSTANCE
    assert d.get((1, 3, 6, 1, 4, 1, 99999, 1, 0), T0).tag is Tag.NO_SUCH_OBJECT
    oid, value = d.next((1, 3, 6, 1, 2, 1, 1), T0)
    assert oid == (1, 3, 6, 1, 2, 1, 1, 1, 0) and value.tag is Tag.OCTET_STRING
    last = max(d._order)
    assert d.next(last, T0)[1].tag is Tag.END_OF_MIB_VIEW


def test_counters_are_the_integral_of_the_rate() -> None:
    d = device()
    wlan = d.interface("wlan1")
    grown = d.get((*IFX_ENTRY, 6, 1), T0 + 60).as_int() - d.get((*IFX_ENTRY, 6, 1), T0).as_int()
    rate = (wlan.rx.rate_bps(T0) + wlan.rx.rate_bps(T0 + 60)) / 2
    assert grown * 8 / 60 == pytest.approx(rate, rel=1e-3)


def test_wrap_scenario_wraps_32_bit_counter_at_the_promised_time() -> None:
    d = device()
    apply(d, "wrap", T0, enable=True, param="10")
    assert d.get((*IFX_ENTRY, 6, 1), T0).tag is Tag.NO_SUCH_OBJECT
    before = d.get((*IF_ENTRY, 10, 1), T0 + 9).as_int()
    after = d.get((*IF_ENTRY, 10, 1), T0 + 11).as_int()
    assert after < before  # wrapped between 9 s and 11 s
    delta = (after - before) % C32
    assert delta * 8 / 2 == pytest.approx(d.interface("wlan1").rx.rate_bps(T0 + 10), rel=0.01)
    apply(d, "wrap", T0 + 20, enable=False)
    assert d.get((*IFX_ENTRY, 6, 1), T0 + 20).tag is Tag.COUNTER64
    assert "wrap" not in d.active


def test_reboot_and_interface_down() -> None:
    d = device()
    apply(d, "reboot", T0, enable=True)
    assert d.get((1, 3, 6, 1, 2, 1, 1, 3, 0), T0 + 5).value == 500
    assert d.get((*IFX_ENTRY, 6, 1), T0).value == 0
    apply(d, "iface-down", T0 + 5, enable=True, param="wlan1")
    frozen = d.get((*IFX_ENTRY, 6, 1), T0 + 5).as_int()
    assert d.get((*IFX_ENTRY, 6, 1), T0 + 50).as_int() == frozen
    assert d.get((*IF_ENTRY, 8, 1), T0 + 50).value == 2


def test_congestion_pins_rate_to_the_contract() -> None:
    d = device()
    apply(d, "congestion", T0, enable=True, param="0.5")
    assert d.interface("wlan1").rx.rate_bps(T0 + 1) == pytest.approx(10e6)


def test_bad_scenarios_are_refused() -> None:
    d = device()
    with pytest.raises(ScenarioError, match="unknown scenario"):
        apply(d, "meltdown", T0, enable=True)
    with pytest.raises(ScenarioError, match="no interface"):
        apply(d, "iface-down", T0, enable=True, param="eth9")
    with pytest.raises(ScenarioError, match="between 0 and 1"):
        apply(d, "loss", T0, enable=True, param="7")
    with pytest.raises(ScenarioError, match="takes no parameter"):
        apply(d, "down", T0, enable=True, param="x")
