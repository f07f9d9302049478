"""What a device's tables say about its neighbours, read the same way whatever the vendor:
LLDP (its local ports mapped through lldpLocPortTable, not taken for ifIndexes, since RouterOS
numbers them its own way; port IDs in RouterOS's bridge form `bridge1/ether2` cut to the
port), MikroTik's MNDP (the identity, the address, the local ifIndex), and Cisco's CDP. Pure:
walked columns in, adjacencies out; one neighbour told by two tables is one adjacency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from noc.snmp.values import Oid, Value

LLDP_LOC_PORT_ID = (1, 0, 8802, 1, 1, 2, 1, 3, 7, 1, 3)
LLDP_REM_PORT_ID = (1, 0, 8802, 1, 1, 2, 1, 4, 1, 1, 7)
LLDP_REM_SYS_NAME = (1, 0, 8802, 1, 1, 2, 1, 4, 1, 1, 9)
MNDP_ADDRESS = (1, 3, 6, 1, 4, 1, 14988, 1, 1, 11, 1, 1, 2)
MNDP_IDENTITY = (1, 3, 6, 1, 4, 1, 14988, 1, 1, 11, 1, 1, 6)
MNDP_INTERFACE = (1, 3, 6, 1, 4, 1, 14988, 1, 1, 11, 1, 1, 8)
CDP_DEVICE_ID = (1, 3, 6, 1, 4, 1, 9, 9, 23, 1, 2, 1, 1, 6)
CDP_DEVICE_PORT = (1, 3, 6, 1, 4, 1, 9, 9, 23, 1, 2, 1, 1, 7)
COLUMNS = (
    LLDP_LOC_PORT_ID,
    LLDP_REM_PORT_ID,
    LLDP_REM_SYS_NAME,
    MNDP_ADDRESS,
    MNDP_IDENTITY,
    MNDP_INTERFACE,
    CDP_DEVICE_ID,
    CDP_DEVICE_PORT,
)
Column = Mapping[Oid, Value]  # row index -> value


@dataclass(frozen=True)
class Adjacency:
    interface: str | None  # ours, by name
    name: str  # theirs: sysName, identity or device ID (a domain cut off)
    port: str | None  # theirs
    address: str | None  # theirs, when the table tells it
    via: str  # lldp, mndp or cdp


def _text(value: Value | None) -> str | None:
    if value is None:
        return None
    raw = value.value
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace").strip() or None
    return str(raw) if raw is not None else None


def _port(text: str | None) -> str | None:
    """RouterOS's `bridge1/ether2` is the port `ether2` (Cisco's `Gi0/1/0` is left whole)."""
    if text and "/" in text and text.lower().startswith("bridge"):
        return text.split("/", 1)[1]
    return text


def _host(name: str) -> str:
    return name.split(".", 1)[0]


def adjacencies(walked: Mapping[Oid, Column], if_names: Mapping[int, str]) -> list[Adjacency]:
    """Every neighbour the tables tell, once: LLDP first, then what MNDP and CDP add."""
    out: dict[tuple[str | None, str], Adjacency] = {}

    def add(adj: Adjacency) -> None:
        key = (adj.interface, adj.name.lower())
        known = out.get(key)
        if known is None:
            out[key] = adj
        else:  # the same neighbour from another table: fill what the first lacked
            out[key] = Adjacency(
                known.interface,
                known.name,
                known.port or adj.port,
                known.address or adj.address,
                known.via,
            )

    local_ports = {
        index[-1]: _text(v) for index, v in walked.get(LLDP_LOC_PORT_ID, {}).items() if index
    }
    port_ids = walked.get(LLDP_REM_PORT_ID, {})
    for index, value in walked.get(LLDP_REM_SYS_NAME, {}).items():
        name = _text(value)
        if name is None or len(index) < 3:
            continue
        local = index[-2]  # (timeMark, localPortNum, index)
        interface = local_ports.get(local) or if_names.get(local)
        add(
            Adjacency(
                _port(interface), _host(name), _port(_text(port_ids.get(index))), None, "lldp"
            )
        )
    addresses = walked.get(MNDP_ADDRESS, {})
    interfaces = walked.get(MNDP_INTERFACE, {})
    for index, value in walked.get(MNDP_IDENTITY, {}).items():
        name = _text(value)
        if name is None:
            continue
        found = interfaces.get(index)
        local_index = found.value if found is not None and isinstance(found.value, int) else None
        interface = if_names.get(local_index) if local_index is not None else None
        add(Adjacency(interface, _host(name), None, _text(addresses.get(index)), "mndp"))
    ports = walked.get(CDP_DEVICE_PORT, {})
    for index, value in walked.get(CDP_DEVICE_ID, {}).items():
        name = _text(value)
        if name is None or len(index) < 2:
            continue
        interface = if_names.get(index[0])
        add(Adjacency(interface, _host(name), _text(ports.get(index)), None, "cdp"))
    return list(out.values())
