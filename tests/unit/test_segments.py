"""The layer-2 tables (pure): read from walked columns, and what the graph makes of them: a
silent server placed by ARP and forwarding entries, a transparent radio bridge, LACP members as
one link, a blocked port as a standby link that is never a device's path."""

from __future__ import annotations

from noc.discovery.neighbours import Adjacency
from noc.discovery.propose import graph, link_notes, parents
from noc.discovery.segments import (
    ARP_PHYS,
    BASE_PORT_IF,
    FDB_PORT,
    IF_PHYS,
    LAG_ATTACHED,
    STP_STATE,
    Layer2,
    layer2,
)
from noc.discovery.sweep import Found
from noc.snmp.values import Oid, Tag, Value

SERVER_MAC = bytes.fromhex("02aabbccdd01")
RADIO_MAC = bytes.fromhex("24a43c000001")


def mac(raw: bytes) -> Value:
    return Value(Tag.OCTET_STRING, raw)


def integer(n: int) -> Value:
    return Value(Tag.INTEGER, n)


def test_the_tables_read_by_interface() -> None:
    names = {1: "ether1", 2: "bridge-dc", 3: "bond1", 4: "sfp1", 5: "sfp2"}
    walked: dict[Oid, dict[Oid, Value]] = {
        IF_PHYS: {(1,): mac(bytes.fromhex("020000000001")), (2,): mac(bytes(6))},
        ARP_PHYS: {(2, 127, 1, 1, 5): mac(SERVER_MAC)},
        BASE_PORT_IF: {(7,): integer(2), (8,): integer(5)},
        FDB_PORT: {tuple(SERVER_MAC): integer(7), tuple(RADIO_MAC): integer(9)},
        STP_STATE: {(8,): integer(2), (7,): integer(5)},
        LAG_ATTACHED: {(4,): integer(3), (5,): integer(3), (3,): integer(3)},
    }
    got = layer2(walked, names)
    assert got.macs == {"ether1": "02:00:00:00:00:01"}  # an all-zero MAC is no MAC
    assert got.arp == {"127.1.1.5": "02:aa:bb:cc:dd:01"}
    assert got.fdb == {"bridge-dc": {"02:aa:bb:cc:dd:01"}}  # bridge port 9 maps to nothing
    assert got.blocked == {"sfp2"}  # port 8 blocking; port 7 forwarding
    assert got.aggregate == {"sfp1": "bond1", "sfp2": "bond1"}
    assert got.learned()["02:aa:bb:cc:dd:01"] == "bridge-dc"


def found(name: str, neighbours: list[Adjacency], l2: Layer2) -> Found:
    return Found(f"127.0.0.{len(name)}", name, "", "", "", [], neighbours, l2)


def test_a_silent_server_is_placed_on_the_edge_port_not_the_uplink() -> None:
    server = found("srv", [], Layer2(macs={"eth0": "02:aa:bb:cc:dd:01"}))
    core = found(
        "core",
        [Adjacency("sfp1", "access", "sfp1", None, "lldp")],
        Layer2(fdb={"sfp1": {"02:aa:bb:cc:dd:01", "02:00:00:00:00:09"}}),
    )
    access = found(
        "access",
        [Adjacency("sfp1", "core", "sfp1", None, "lldp")],
        Layer2(fdb={"ether5": {"02:aa:bb:cc:dd:01"}}),
    )
    edges = graph([core, access, server])
    placed = [e for e in edges if "srv" in (e.a, e.b)]
    assert [(e.a, e.a_if, e.b, e.b_if, e.via) for e in placed] == [
        ("access", "ether5", "srv", "eth0", "layer 2")
    ]
    assert parents(edges, "core")["srv"] == "access"


def test_a_device_that_learned_its_own_mac_is_placed_on_the_next_best_port() -> None:
    # A silent server whose own bridge learned its MAC on the quietest port: that place is
    # itself, so it goes to the next quietest, never to an edge with both ends the same.
    mac = "02:aa:bb:cc:dd:07"
    server = found("srv", [], Layer2(macs={"eth0": mac}, fdb={"br0": {mac}}))
    access = found("access", [], Layer2(fdb={"ether5": {mac, "02:00:00:00:00:01"}}))
    core = found("core", [], Layer2(fdb={"sfp1": {mac, "02:00:00:00:00:01", "02:00:00:00:00:02"}}))
    placed = [e for e in graph([core, access, server]) if "srv" in (e.a, e.b)]
    assert [(e.a, e.a_if, e.b, e.b_if) for e in placed] == [("access", "ether5", "srv", "eth0")]


def test_the_forwarding_table_names_the_port_before_arp() -> None:
    l2 = Layer2(
        arp_port={"02:00:00:00:00:01": "vlan10", "02:00:00:00:00:02": "vlan10"},
        fdb={"ether2": {"02:00:00:00:00:01"}, "ether3": {"02:00:00:00:00:01"}},
    )
    assert l2.learned() == {"02:00:00:00:00:01": "ether2", "02:00:00:00:00:02": "vlan10"}


def test_a_transparent_bridge_shows_by_its_radios_macs() -> None:
    a = found(
        "bts-13",
        [Adjacency("ptp", "bts-14", "sfp1", None, "lldp")],
        Layer2(
            macs={"ptp": "02:00:00:00:00:13"},
            fdb={"ptp": {"02:00:00:00:00:14", "24:a4:3c:00:00:01"}},
        ),
    )
    b = found(
        "bts-14",
        [Adjacency("sfp1", "bts-13", "ptp", None, "lldp")],
        Layer2(
            macs={"sfp1": "02:00:00:00:00:14"},
            fdb={"sfp1": {"02:00:00:00:00:13", "24:a4:3c:00:00:02"}},
        ),
    )
    (edge,) = graph([a, b])
    assert edge.through == ("24:a4:3c:00:00:01", "24:a4:3c:00:00:02")
    assert (
        "through a transparent bridge (2 radio MACs between the ends: Ubiquiti)"
        in link_notes(edge)[0]
    )


def test_lacp_members_are_one_link_and_a_blocked_port_is_standby() -> None:
    lag = Layer2(aggregate={"sfp1": "bond1", "sfp2": "bond1"})
    core = found(
        "core",
        [
            Adjacency("sfp1", "dist", "sfp1", None, "lldp"),
            Adjacency("sfp2", "dist", "sfp2", None, "lldp"),
            Adjacency("ether9", "ring", "ether1", None, "lldp"),
        ],
        lag,
    )
    dist = found(
        "dist",
        [
            Adjacency("sfp1", "core", "sfp1", None, "lldp"),
            Adjacency("sfp2", "core", "sfp2", None, "lldp"),
            Adjacency("ether2", "ring", "ether2", None, "lldp"),
        ],
        lag,
    )
    ring = found(
        "ring",
        [
            Adjacency("ether1", "core", "ether9", None, "lldp"),
            Adjacency("ether2", "dist", "ether2", None, "lldp"),
        ],
        Layer2(blocked={"ether1"}),  # spanning tree blocks its port toward the core
    )
    edges = graph([core, dist, ring])
    pairs = [(e.a, e.a_if, e.b, e.b_if, e.standby) for e in edges]
    assert ("core", "bond1", "dist", "bond1", False) in pairs
    assert ("core", "ether9", "ring", "ether1", True) in pairs
    assert len(pairs) == 3  # two members, one link; no phantom second one
    assert parents(edges, "core") == {"core": None, "dist": "core", "ring": "dist"}
    # With the active path gone, the standby link is what is left.
    only_standby = [e for e in edges if e.standby or "ring" not in (e.a, e.b)]
    only_standby = [e for e in only_standby if not (e.a == "dist" and e.b == "ring")]
    assert parents(only_standby, "core")["ring"] == "core"
