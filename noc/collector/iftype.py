"""IANAifType names for the interface types seen on the city's equipment."""

from __future__ import annotations

IF_TYPES: dict[int, str] = {
    1: "other",
    6: "ethernetCsmacd",
    23: "ppp",
    24: "softwareLoopback",
    53: "propVirtual",
    71: "ieee80211",
    103: "voiceEncap",
    104: "voiceOverIp",
    117: "gigabitEthernet",
    131: "tunnel",
    135: "l2vlan",
    136: "l3ipvlan",
    161: "ieee8023adLag",
    166: "mpls",
    209: "bridge",
}


def if_type_name(value: int | None) -> str | None:
    if value is None:
        return None
    return IF_TYPES.get(value, str(value))
