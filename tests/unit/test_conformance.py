"""Real device walks (recorded by LibreNMS) decode to the interfaces LibreNMS reports."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from pathlib import Path

import pytest
from pydantic import SecretStr

from noc.collector.iftype import if_type_name
from noc.collector.poller import plan_for, poll_device
from noc.collector.samples import OPER_STATUS, InterfaceCounters, InterfaceLabels
from noc.snmp.client import RequestStats, Target, V2cAuth
from noc.snmp.fake import FakeSnmpClient
from noc.snmp.snmprec import load_snmprec
from tests.conftest import EXPECTED, RECORDINGS

PROFILE = {
    "routeros": "mikrotik_routeros",
    "airos_airos8": "ubiquiti_airos",
    "iosxe_isr4321": "cisco_ios",
    "openwrt": "net_snmp_linux",
}
RECORDED = sorted(RECORDINGS.glob("*.snmprec"))


def expected_ports(stem: str) -> list[dict[str, object]]:
    ports: list[dict[str, object]] = json.loads((EXPECTED / f"{stem}.json").read_text())["ports"]
    return ports


def check_ports(
    stem: str, labels: Mapping[int, InterfaceLabels], counters: Mapping[int, InterfaceCounters]
) -> None:
    for port in expected_ports(stem):
        index = port["ifIndex"]
        assert isinstance(index, int)
        assert index in labels, f"{stem}: ifIndex {index} missing"
        assert labels[index].name == port["ifName"], (stem, index)
        assert if_type_name(labels[index].if_type) == port["ifType"], (stem, index)
        oper = OPER_STATUS.get(counters[index].oper_status or 0)
        assert oper == port["ifOperStatus"], (stem, index)


@pytest.mark.parametrize("path", RECORDED, ids=[p.stem for p in RECORDED])
def test_recording_decodes_to_librenms_interfaces(path: Path) -> None:
    client = FakeSnmpClient({path.stem: load_snmprec(path)})
    target = Target(path.stem, "127.0.0.1", 161, V2cAuth(SecretStr("x")))
    stats = RequestStats()
    sample, _ = asyncio.run(poll_device(client, target, plan_for(PROFILE[path.stem]), None, stats))
    check_ports(path.stem, sample.labels, sample.counters)
    assert stats.varbinds > 0
    asked = {oid for _, oid in client.asked}
    assert (1, 3, 6, 1, 2, 1, 1, 3, 0) in asked  # sysUpTime asked


def test_speed_prefers_ifhighspeed_and_falls_back_to_ifspeed() -> None:
    routeros = load_snmprec(RECORDINGS / "routeros.snmprec")
    airos = load_snmprec(RECORDINGS / "airos_airos8.snmprec")
    client = FakeSnmpClient({"r": routeros, "a": airos})
    auth = V2cAuth(SecretStr("x"))
    r, _ = asyncio.run(
        poll_device(client, Target("r", "127.0.0.1", 161, auth), plan_for("mikrotik_routeros"),
                    None, RequestStats())
    )  # fmt: skip
    a, _ = asyncio.run(
        poll_device(client, Target("a", "127.0.0.1", 161, auth), plan_for("ubiquiti_airos"),
                    None, RequestStats())
    )  # fmt: skip
    for port in expected_ports("routeros"):
        assert r.labels[port["ifIndex"]].speed_bps == port["ifSpeed"]  # type: ignore[index]
    # airOS has no ifXTable: 32-bit counters and ifSpeed are what there is
    assert all(c.counter_bits == 32 for c in a.counters.values())
    assert a.radios and a.radios[0].signal_dbm == -70
