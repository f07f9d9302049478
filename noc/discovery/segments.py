"""What the layer-2 tables say, where the neighbour tables are silent or misleading: each
device's own MACs (ifPhysAddress), its ARP table (ipNetToMediaPhysAddress) and its bridge
forwarding table (dot1dTpFdbPort through dot1dBasePortIfIndex), its LACP aggregates
(dot3adAggPortAttachedAggID) and its spanning-tree port states (dot1dStpPortState). Pure:
walked columns in, per-interface facts out.

- A device that speaks no discovery protocol (a server without lldpd) is placed by the ARP
  and forwarding entries of the device that learned its MAC on the port with the fewest
  stations behind it.
- MACs on a port that belong to no device that answered are stations between the two ends: a
  transparent radio bridge makes its ends look directly adjacent, and its radios' MACs are how
  it shows.
- Member ports of one aggregate are one link, and a port spanning tree blocks is a standby
  link, never the path a device depends on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from noc.snmp.values import Oid, Value

IF_PHYS = (1, 3, 6, 1, 2, 1, 2, 2, 1, 6)
ARP_PHYS = (1, 3, 6, 1, 2, 1, 4, 22, 1, 2)
FDB_PORT = (1, 3, 6, 1, 2, 1, 17, 4, 3, 1, 2)
BASE_PORT_IF = (1, 3, 6, 1, 2, 1, 17, 1, 4, 1, 2)
STP_STATE = (1, 3, 6, 1, 2, 1, 17, 2, 15, 1, 3)
LAG_ATTACHED = (1, 2, 840, 10006, 300, 43, 1, 2, 1, 1, 13)
COLUMNS = (IF_PHYS, ARP_PHYS, FDB_PORT, BASE_PORT_IF, STP_STATE, LAG_ATTACHED)
BLOCKING = 2
# Radio vendors whose MACs on a segment say "a radio bridge is here" (IEEE OUIs).
RADIO_OUI = {
    "24:a4:3c": "Ubiquiti",
    "78:8a:20": "Ubiquiti",
    "fc:ec:da": "Ubiquiti",
    "68:d7:9a": "Ubiquiti",
    "4c:5e:0c": "MikroTik",
    "b8:69:f4": "MikroTik",
    "cc:2d:e0": "MikroTik",
    "00:04:56": "Cambium",
}


def mac_text(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def vendor(mac: str) -> str | None:
    return RADIO_OUI.get(mac[:8])


@dataclass
class Layer2:
    """One device's layer-2 view, by interface name."""

    macs: dict[str, str] = field(default_factory=dict)  # interface -> its own MAC
    arp: dict[str, str] = field(default_factory=dict)  # IP address -> MAC
    arp_port: dict[str, str] = field(default_factory=dict)  # MAC -> interface it was ARPed on
    fdb: dict[str, set[str]] = field(default_factory=dict)  # interface -> MACs learned there
    aggregate: dict[str, str] = field(default_factory=dict)  # member interface -> aggregate
    blocked: set[str] = field(default_factory=set)  # interfaces spanning tree blocks

    def learned(self) -> dict[str, str]:
        """Every MAC the device learned, with where: the forwarding table (its first interface
        that holds the MAC), else the interface it was ARPed on."""
        out = dict(self.arp_port)
        for interface, macs in reversed(self.fdb.items()):  # the first interface wins
            out.update(dict.fromkeys(macs, interface))
        return out


def _raw(value: Value | None) -> bytes | None:
    raw = value.value if value is not None else None
    return raw if isinstance(raw, bytes) and len(raw) == 6 else None


def _int(value: Value | None) -> int | None:
    raw = value.value if value is not None else None
    return raw if isinstance(raw, int) else None


def layer2(walked: Mapping[Oid, Mapping[Oid, Value]], if_names: Mapping[int, str]) -> Layer2:
    out = Layer2()
    for index, value in walked.get(IF_PHYS, {}).items():
        raw = _raw(value)
        if index and raw and raw != bytes(6) and index[-1] in if_names:
            out.macs[if_names[index[-1]]] = mac_text(raw)
    for index, value in walked.get(ARP_PHYS, {}).items():
        raw = _raw(value)
        if raw is None or len(index) != 5:
            continue
        address = ".".join(str(octet) for octet in index[1:])
        out.arp[address] = mac_text(raw)
        name = if_names.get(index[0])
        if name is not None:
            out.arp_port[mac_text(raw)] = name
    port_if = {index[-1]: n for index, v in walked.get(BASE_PORT_IF, {}).items() if (n := _int(v))}
    for index, value in walked.get(FDB_PORT, {}).items():
        port = _int(value)
        name = if_names.get(port_if.get(port, -1)) if port is not None else None
        if name is not None and len(index) == 6:
            out.fdb.setdefault(name, set()).add(mac_text(bytes(index)))
    for index, value in walked.get(STP_STATE, {}).items():
        name = if_names.get(port_if.get(index[-1], -1)) if index else None
        if name is not None and _int(value) == BLOCKING:
            out.blocked.add(name)
    for index, value in walked.get(LAG_ATTACHED, {}).items():
        member, aggregate = if_names.get(index[-1]) if index else None, _int(value)
        named = if_names.get(aggregate) if aggregate else None
        if member is not None and named is not None and named != member:
            out.aggregate[member] = named
    return out
