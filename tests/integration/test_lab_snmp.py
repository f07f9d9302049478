"""The simulated network, observed from outside with net-snmp's own tools."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from noc.inventory import load_inventory
from noc.snmp.snmprec import load_snmprec
from noc.snmp.values import Tag, format_oid
from tests import netsnmp
from tests.conftest import INVENTORY, RECORDINGS, Lab
from tests.netsnmp import V3_LAB, SnmpToolError, v2c

pytestmark = pytest.mark.integration

IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_HC_IN = "1.3.6.1.2.1.31.1.1.1.6"
IF_HC_OUT = "1.3.6.1.2.1.31.1.1.1.10"
IF_IN = "1.3.6.1.2.1.2.2.1.10"
IF_OPER = "1.3.6.1.2.1.2.2.1.8"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"


INV = load_inventory(INVENTORY)


def agent(name: str) -> str:
    """The net-snmp address of a lab device, by inventory name."""
    return Lab.target(str(INV.device(name).address))


@contextmanager
def scenario(lab: Lab, device: str, name: str, param: str | None = None) -> Iterator[None]:
    lab.scenario(device, name, param=param)
    try:
        yield
    finally:
        if name != "reboot":
            lab.scenario(device, name, on=False)


def test_bulkwalk_returns_a_bts_ifxtable(lab: Lab) -> None:
    for name in ("bts-01", "bts-03"):  # MikroTik and airOS, both on SNMPv3 authPriv
        device = INV.device(name)
        names = netsnmp.walk(V3_LAB, agent(name), IF_NAME)
        assert [v.value for v in names.values()] == [i.name for i in device.interfaces]
        hc = netsnmp.walk(V3_LAB, agent(name), IF_HC_IN)
        assert len(hc) == len(device.interfaces)
        assert all(v.type == "Counter64" for v in hc.values())


def test_octet_counters_grow_at_the_simulated_rate(lab: Lab) -> None:
    """Two minutes of traffic without waiting for them: the lab's clock is moved forward."""
    address = agent("bts-01")
    before = lab.device("bts-01")
    t0 = lab.now()
    first = {**netsnmp.walk(V3_LAB, address, IF_HC_IN), **netsnmp.walk(V3_LAB, address, IF_HC_OUT)}
    t0 = (t0 + lab.now()) / 2
    lab.advance(120)
    t1 = lab.now()
    second = {**netsnmp.walk(V3_LAB, address, IF_HC_IN), **netsnmp.walk(V3_LAB, address, IF_HC_OUT)}
    t1 = (t1 + lab.now()) / 2
    assert t1 - t0 >= 120
    after = lab.device("bts-01")
    checked = 0
    for old, new in zip(before["interfaces"], after["interfaces"], strict=True):
        for column, key in ((IF_HC_IN, "in_bps"), (IF_HC_OUT, "out_bps")):
            oid = f"{column}.{old['index']}"
            grown = second[oid].as_int() - first[oid].as_int()
            expected = (old[key] + new[key]) / 2 / 8 * (t1 - t0)
            assert grown == pytest.approx(expected, rel=0.02), (old["name"], key)
            checked += 1
    assert checked == 2 * len(before["interfaces"])


def test_v2c_device_ignores_wrong_community_and_v3_device_ignores_v2c(lab: Lab) -> None:
    with pytest.raises(SnmpToolError, match="Timeout"):
        netsnmp.get(v2c("wrong"), agent("kel-batutulis"), SYS_NAME)
    with pytest.raises(SnmpToolError, match="Timeout"):
        netsnmp.get(v2c("public"), agent("bts-01"), SYS_NAME)
    assert netsnmp.get(v2c("public"), agent("kel-batutulis"), SYS_NAME)[SYS_NAME].value.startswith(
        "kel-"
    )


def test_v3_wrong_key_is_refused(lab: Lab) -> None:
    wrong = [*V3_LAB[:-1], "not-the-passphrase"]
    wrong[V3_LAB.index("-A") + 1] = "wrong-auth-passphrase"
    with pytest.raises(SnmpToolError, match="Authentication failure"):
        netsnmp.get(wrong, agent("bts-01"), SYS_NAME)


def test_scenario_down(lab: Lab) -> None:
    address = agent("kel-sempur")
    with scenario(lab, "kel-sempur", "down"), pytest.raises(SnmpToolError, match="Timeout"):
        netsnmp.get(v2c(), address, SYS_UPTIME)
    assert netsnmp.get(v2c(), address, SYS_UPTIME)[SYS_UPTIME].as_int() > 0


def test_scenario_interface_down(lab: Lab) -> None:
    address = agent("bts-02")  # wlan1 is ifIndex 2
    with scenario(lab, "bts-02", "iface-down", "wlan1"):
        oper = netsnmp.get(V3_LAB, address, f"{IF_OPER}.2", f"{IF_HC_IN}.2")
        time.sleep(1.5)
        again = netsnmp.get(V3_LAB, address, f"{IF_HC_IN}.2")
        assert oper[f"{IF_OPER}.2"].value.startswith(("down", "2"))
        assert again[f"{IF_HC_IN}.2"].as_int() == oper[f"{IF_HC_IN}.2"].as_int()
    up = netsnmp.get(V3_LAB, address, f"{IF_OPER}.2")
    assert up[f"{IF_OPER}.2"].value.startswith(("up", "1"))


def test_scenario_congestion_pins_the_uplink_at_its_contract(lab: Lab) -> None:
    address, oid = agent("core-1"), f"{IF_HC_IN}.1"  # ether1, the 40 Mbps uplink
    with scenario(lab, "core-1", "congestion", "0.99"):
        assert lab.interface("core-1", "ether1")["in_bps"] == pytest.approx(39.6e6)
        # The agent's own clock (sysUpTime, in the same answer as the counter) times the
        # interval, as a collector does: the test's clock around two snmpget processes is off
        # by their start-up, a few per cent on a busy machine.
        first = netsnmp.get(V3_LAB, address, SYS_UPTIME, oid)
        time.sleep(3)
        second = netsnmp.get(V3_LAB, address, SYS_UPTIME, oid)
        seconds = (second[SYS_UPTIME].as_int() - first[SYS_UPTIME].as_int()) / 100
        octets = second[oid].as_int() - first[oid].as_int()
        assert octets * 8 / seconds == pytest.approx(39.6e6, rel=0.01)


def test_scenario_wrap_hides_hc_counters_and_wraps_the_32_bit_ones(lab: Lab) -> None:
    address = agent("kel-babakan")
    with scenario(lab, "kel-babakan", "wrap", "3"):
        hc = netsnmp.get(v2c(), address, f"{IF_HC_IN}.1")[f"{IF_HC_IN}.1"]
        assert hc.type == "" and "No Such Object" in hc.value  # the whole column is gone
        first = netsnmp.get(v2c(), address, f"{IF_IN}.1")[f"{IF_IN}.1"].as_int()
        assert first > 2**32 - 10_000_000  # close to the top
        time.sleep(4)
        second = netsnmp.get(v2c(), address, f"{IF_IN}.1")[f"{IF_IN}.1"].as_int()
        assert second < first  # it wrapped
        discontinuity = netsnmp.get(v2c(), address, "1.3.6.1.2.1.31.1.1.1.19.1")
        assert discontinuity["1.3.6.1.2.1.31.1.1.1.19.1"].as_int() > 0


def test_scenario_reboot_resets_uptime_and_counters(lab: Lab) -> None:
    address = agent("kel-kayumanis")
    before = netsnmp.get(v2c(), address, SYS_UPTIME, f"{IF_HC_IN}.1")
    assert before[SYS_UPTIME].as_int() > 86400 * 100
    lab.scenario("kel-kayumanis", "reboot")
    after = netsnmp.get(v2c(), address, SYS_UPTIME, f"{IF_HC_IN}.1")
    assert after[SYS_UPTIME].as_int() < 10 * 100
    assert after[f"{IF_HC_IN}.1"].as_int() < before[f"{IF_HC_IN}.1"].as_int()
    assert after[f"{IF_HC_IN}.1"].as_int() < 10_000_000


def test_scenario_slow_answers_late(lab: Lab) -> None:
    address = agent("kel-cilendek-timur")
    with scenario(lab, "kel-cilendek-timur", "slow", "2"):
        with pytest.raises(SnmpToolError, match="Timeout"):
            netsnmp.get(v2c(), address, SYS_NAME, timeout=1)
        start = time.monotonic()
        assert SYS_NAME in netsnmp.get(v2c(), address, SYS_NAME, timeout=5)
        assert time.monotonic() - start >= 1.9


def test_scenario_loss_drops_requests(lab: Lab) -> None:
    address = agent("kel-semplak")
    with scenario(lab, "kel-semplak", "loss", "0.5"):
        answered = 0
        for _ in range(24):
            try:
                netsnmp.get(v2c(), address, SYS_NAME, timeout=0.3)
                answered += 1
            except SnmpToolError:
                pass
        assert 0 < answered < 24
    assert SYS_NAME in netsnmp.get(v2c(), address, SYS_NAME)


@pytest.mark.parametrize(
    ("number", "path"),
    list(enumerate(sorted(RECORDINGS.glob("*.snmprec")), 1)),
    ids=[p.stem for p in sorted(RECORDINGS.glob("*.snmprec"))],
)
def test_each_recording_is_served_and_walks_completely(lab: Lab, number: int, path: Path) -> None:
    recorded = load_snmprec(path)
    walked = netsnmp.walk(v2c(path.stem), Lab.target(f"127.0.9.{number}"), "1", timeout=2)
    assert list(walked) == [format_oid(oid) for oid in recorded]
    for oid, value in recorded.items():
        if value.tag in (Tag.INTEGER, Tag.COUNTER32, Tag.COUNTER64, Tag.GAUGE32):
            assert walked[format_oid(oid)].as_int() == value.value
