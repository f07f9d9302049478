"""Neighbour tables read alike whatever the vendor (pure): RouterOS's LLDP with its own local
port numbers and bridge-form port IDs, MNDP, CDP with Cisco's slashed port names."""

from __future__ import annotations

from noc.discovery.neighbours import (
    CDP_DEVICE_ID,
    CDP_DEVICE_PORT,
    LLDP_LOC_PORT_ID,
    LLDP_REM_PORT_ID,
    LLDP_REM_SYS_NAME,
    MNDP_ADDRESS,
    MNDP_IDENTITY,
    MNDP_INTERFACE,
    Adjacency,
    adjacencies,
)
from noc.snmp.values import Oid, Tag, Value


def text(s: str) -> Value:
    return Value(Tag.OCTET_STRING, s.encode())


def test_routeros_lldp_ports_are_its_own_numbers_and_bridge_port_ids_are_cut() -> None:
    """RouterOS numbers LLDP port 22 for ifIndex 2: lldpLocPortTable says which interface it
    is. Its MNDP table tells the same neighbour (one adjacency, the address added) and a
    switch that speaks MNDP only (kel-batutulis)."""
    if_names = {1: "sfp1", 2: "wlan1", 3: "wlan2"}
    walked: dict[Oid, dict[Oid, Value]] = {
        LLDP_LOC_PORT_ID: {(22,): text("wlan1")},
        LLDP_REM_SYS_NAME: {(0, 22, 1): text("kel-harjasari.kotabogor.go.id")},
        LLDP_REM_PORT_ID: {(0, 22, 1): text("bridge1/wlan1")},
        MNDP_IDENTITY: {(1,): text("kel-harjasari"), (2,): text("kel-batutulis")},
        MNDP_ADDRESS: {
            (1,): Value(Tag.IP_ADDRESS, "127.0.6.2"),
            (2,): Value(Tag.IP_ADDRESS, "127.0.6.1"),
        },
        MNDP_INTERFACE: {(1,): Value(Tag.INTEGER, 2), (2,): Value(Tag.INTEGER, 3)},
    }
    assert sorted(adjacencies(walked, if_names), key=lambda a: a.name) == [
        Adjacency("wlan2", "kel-batutulis", None, "127.0.6.1", "mndp"),
        Adjacency("wlan1", "kel-harjasari", "wlan1", "127.0.6.2", "lldp"),
    ]


def test_cisco_cdp_keeps_slashed_port_names() -> None:
    walked: dict[Oid, dict[Oid, Value]] = {
        CDP_DEVICE_ID: {(3, 1): text("fo-02")},
        CDP_DEVICE_PORT: {(3, 1): text("Gi0/0")},
    }
    assert adjacencies(walked, {3: "Gi0/1/1"}) == [
        Adjacency("Gi0/1/1", "fo-02", "Gi0/0", None, "cdp")
    ]
