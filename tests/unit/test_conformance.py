"""Real device walks (recorded by LibreNMS) decode to the interfaces LibreNMS reports."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from pathlib import Path

import pytest
from pydantic import SecretStr

from noc.polling.queries import plan_for, poll_device
from noc.polling.samples import OPER_STATUS, InterfaceCounters, InterfaceDetails
from noc.snmp.client import RequestStats, Target, V2cAuth
from noc.snmp.fake import FakeSnmpClient
from noc.snmp.iftypes import if_type_name
from noc.snmp.snmprec import load_snmprec
from noc.snmp.values import Tag, Value
from noc.snmp.vendors import identify
from tests.conftest import EXPECTED, RECORDINGS

PROFILE = {
    "routeros": "mikrotik_routeros",
    "routeros_1": "mikrotik_routeros",
    "routeros_crs317": "mikrotik_routeros",
    "airos_airos8": "ubiquiti_airos",
    "iosxe_isr4321": "cisco_ios",
    "ios_2960x": "cisco_ios",
    "openwrt": "net_snmp_linux",
    "pfsense": "net_snmp_linux",
    "edgeos": "net_snmp_linux",
}  # the rest: the generic IF-MIB profile
RECORDED = sorted(RECORDINGS.glob("*.snmprec"))
ADMIN_STATUS = {1: "up", 2: "down", 3: "testing"}
# Where we differ from LibreNMS on purpose, with the reason. (recording, ifIndex, field).
EXPLAINED: dict[tuple[str, int, str], str] = {
    ("epmp", 1, "speed"): "ifHighSpeed holds bit/s (10^9 'Mbit/s' = 10^15 bit/s): implausible, "
    "and there is no ifSpeed to fall back to, so the speed is unknown; LibreNMS takes it as is",
    ("epmp", 2, "speed"): "the same: 220,000,000 'Mbit/s' is 2.2x10^14 bit/s",
}


def expected_ports(stem: str) -> list[dict[str, object]]:
    ports: list[dict[str, object]] = json.loads((EXPECTED / f"{stem}.json").read_text())["ports"]
    return ports


def check_ports(
    stem: str, labels: Mapping[int, InterfaceDetails], counters: Mapping[int, InterfaceCounters]
) -> list[str]:
    """Every port LibreNMS expects, field by field; the differences not explained."""
    wrong = []
    for port in expected_ports(stem):
        index = port["ifIndex"]
        assert isinstance(index, int)
        if index not in labels:
            wrong.append(f"{stem}: ifIndex {index} missing")
            continue
        label, counter = labels[index], counters[index]
        ours = {
            "name": label.name,
            "type": if_type_name(label.if_type),
            "oper": OPER_STATUS.get(counter.oper_status or 0),
            "admin": ADMIN_STATUS.get(counter.admin_status or 0),
            "speed": label.speed_bps,
        }
        theirs = {
            "name": port["ifName"],
            "type": port["ifType"],
            "oper": port["ifOperStatus"],
            "admin": port.get("ifAdminStatus"),
            "speed": port.get("ifSpeed") or None,
        }
        for field, value in ours.items():
            if value != theirs[field] and (stem, index, field) not in EXPLAINED:
                wrong.append(
                    f"{stem} ifIndex {index} {field}: ours {value!r}, LibreNMS {theirs[field]!r}"
                )
    return wrong


def test_every_recording_of_the_corpus_is_tested() -> None:
    assert len(RECORDED) == 15
    assert {p.stem for p in RECORDED} == {p.stem for p in EXPECTED.glob("*.json")}


@pytest.mark.parametrize("path", RECORDED, ids=[p.stem for p in RECORDED])
def test_recording_decodes_to_librenms_interfaces(path: Path) -> None:
    client = FakeSnmpClient({path.stem: load_snmprec(path)})
    target = Target(path.stem, "127.0.0.1", 161, V2cAuth(SecretStr("x")))
    stats = RequestStats()
    plan = plan_for(PROFILE.get(path.stem, "if_mib"))
    sample, cache = asyncio.run(poll_device(client, target, plan, None, stats))
    assert check_ports(path.stem, sample.details, sample.counters) == []
    assert stats.varbinds > 0
    asked = {oid for _, oid in client.asked}
    assert (1, 3, 6, 1, 2, 1, 1, 3, 0) in asked  # sysUpTime asked
    # The device's own facts, as LibreNMS read them.
    device = json.loads((EXPECTED / f"{path.stem}.json").read_text())["device"]
    if device:
        assert "." + (sample.sys_object_id or "") == device["sysObjectID"]
        # Two agents (IOS XE, VRP) send sysDescr inside double quotes; LibreNMS strips them,
        # we report what the device sent.
        assert (sample.sys_descr or "").strip('"') == device["sysDescr"].strip()
        vendor, _ = identify(sample.sys_object_id)
        assert vendor is not None, path.stem
    # Labels are the interfaces' and nothing else's: no rows of other tables.
    assert set(cache.details) == set(sample.counters)
    # A second, steady-state poll asks for no slow (label) column.
    client.asked.clear()
    later = RequestStats()
    again, _ = asyncio.run(poll_device(client, target, plan, cache, later))
    slow = set(plan.slow.values())
    walked = {oid for _, oid in client.asked}
    assert not {o for o in walked for c in slow if o[: len(c)] == c}, path.stem
    assert later.requests <= stats.requests
    assert set(again.details) == set(sample.details)


def test_speed_prefers_ifhighspeed_and_falls_back_to_ifspeed() -> None:
    routeros = load_snmprec(RECORDINGS / "routeros.snmprec")
    airos = load_snmprec(RECORDINGS / "airos_airos8.snmprec")
    client = FakeSnmpClient({"r": routeros, "a": airos})
    auth = V2cAuth(SecretStr("x"))
    r, _ = asyncio.run(
        poll_device(
            client,
            Target("r", "127.0.0.1", 161, auth),
            plan_for("mikrotik_routeros"),
            None,
            RequestStats(),
        )
    )
    a, _ = asyncio.run(
        poll_device(
            client,
            Target("a", "127.0.0.1", 161, auth),
            plan_for("ubiquiti_airos"),
            None,
            RequestStats(),
        )
    )
    for port in expected_ports("routeros"):
        assert r.details[port["ifIndex"]].speed_bps == port["ifSpeed"]  # type: ignore[index]
    # airOS has no ifXTable: 32-bit counters and ifSpeed are what there is
    assert all(c.counter_bits == 32 for c in a.counters.values())
    assert a.radios and a.radios[0].signal_dbm == -70


@pytest.mark.parametrize(
    ("recording", "profile", "wide"),
    [("routeros", "mikrotik_routeros", True), ("airos_airos8", "ubiquiti_airos", False)],
)
def test_a_steady_poll_asks_for_32_bit_octets_only_where_64_bit_ones_lack(
    recording: str, profile: str, wide: bool
) -> None:
    client = FakeSnmpClient({"d": load_snmprec(RECORDINGS / f"{recording}.snmprec")})
    target = Target("d", "127.0.0.1", 161, V2cAuth(SecretStr("x")))
    plan = plan_for(profile)
    first, cache = asyncio.run(poll_device(client, target, plan, None, RequestStats()))
    assert cache.wide is wide
    client.asked.clear()
    again, _ = asyncio.run(poll_device(client, target, plan, cache, RequestStats()))
    walked = {oid[:10] for _, oid in client.asked}
    narrow = {plan.narrow["ifInOctets"], plan.narrow["ifOutOctets"]}
    assert bool(walked & narrow) is not wide
    # No packet column either: the shipped profiles do not export packets.
    assert not [n for n in plan.fast if n.endswith("Pkts")]
    # The counters are the same, whichever columns gave them.
    octets = {i: (c.in_octets, c.out_octets, c.counter_bits) for i, c in first.counters.items()}
    assert {i: (c.in_octets, c.out_octets, c.counter_bits) for i, c in again.counters.items()} == (
        octets
    )
    assert any(pair[0] is not None for pair in octets.values())


def test_an_agent_that_stops_giving_64_bit_octets_is_read_at_32_bits_in_the_same_poll() -> None:
    mib = dict(load_snmprec(RECORDINGS / "routeros.snmprec"))
    client = FakeSnmpClient({"d": mib})
    target = Target("d", "127.0.0.1", 161, V2cAuth(SecretStr("x")))
    plan = plan_for("mikrotik_routeros")
    _, cache = asyncio.run(poll_device(client, target, plan, None, RequestStats()))
    assert cache.wide
    # From now on the agent gives the same octets as 32-bit counters only.
    narrowed = {}
    for wide_name, narrow_name in (
        ("ifHCInOctets", "ifInOctets"),
        ("ifHCOutOctets", "ifOutOctets"),
    ):
        column = plan.fast[wide_name]
        for oid in [o for o in mib if o[: len(column)] == column]:
            value = mib.pop(oid)
            narrowed[plan.narrow[narrow_name] + oid[len(column) :]] = Value(
                Tag.COUNTER32, value.as_int() % 2**32
            )
    client.mibs["d"] = dict(sorted({**mib, **narrowed}.items()))
    sample, after = asyncio.run(poll_device(client, target, plan, cache, RequestStats()))
    assert not after.wide
    assert all(c.counter_bits == 32 for c in sample.counters.values())
    assert any(c.in_octets is not None for c in sample.counters.values())
