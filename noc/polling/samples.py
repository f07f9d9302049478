"""Typed samples: what one poll of one device yields, decoded from raw varbinds."""

from __future__ import annotations

from dataclasses import dataclass, field

from noc.snmp.iftypes import if_type_name

# ifOperStatus values (IF-MIB)
OPER_STATUS = {
    1: "up",
    2: "down",
    3: "testing",
    4: "unknown",
    5: "dormant",
    6: "notPresent",
    7: "lowerLayerDown",
}


def oper_name(status: int | None) -> str:
    """ifOperStatus by its IF-MIB name; `absent` when the device gave none."""
    if status is None:
        return "absent"
    return OPER_STATUS.get(status, str(status))


@dataclass(frozen=True)
class InterfaceDetails:
    """Slow-changing facts about an interface, refreshed on a slower cadence than counters."""

    index: int
    name: str
    descr: str
    alias: str
    if_type: int | None
    speed_bps: int | None  # from ifHighSpeed x 10^6, else ifSpeed; None when unknown
    # Why the speed the device gave was not believed (e.g. bit/s in ifHighSpeed), if so.
    speed_suspect: str | None = None

    @property
    def type_name(self) -> str | None:
        return if_type_name(self.if_type)


@dataclass(frozen=True)
class InterfaceCounters:
    """One interface's status and counters at one poll."""

    index: int
    admin_status: int | None
    oper_status: int | None
    in_octets: int | None
    out_octets: int | None
    counter_bits: int  # 64 when the HC counters were used, else 32
    in_errors: int | None = None
    out_errors: int | None = None
    in_discards: int | None = None
    out_discards: int | None = None
    in_ucast: int | None = None
    out_ucast: int | None = None
    in_multicast: int | None = None
    out_multicast: int | None = None
    in_broadcast: int | None = None
    out_broadcast: int | None = None
    discontinuity_ticks: int | None = None


@dataclass(frozen=True)
class RadioSample:
    """A wireless peer or radio: signal in dBm and rates in bits/s where the device says."""

    key: str
    signal_dbm: int | None
    tx_rate_bps: int | None
    rx_rate_bps: int | None
    peer: str | None = None  # the peer's MAC address, where the table is indexed by it
    if_index: int | None = None  # the radio interface it is heard on


@dataclass(frozen=True)
class DeviceSample:
    device: str
    timestamp: float  # the collector's clock when the answer arrived
    uptime_ticks: int | None
    sys_name: str | None
    sys_descr: str | None
    sys_object_id: str | None
    details: dict[int, InterfaceDetails]
    counters: dict[int, InterfaceCounters]
    radios: list[RadioSample] = field(default_factory=list)
    cpu_load_pct: float | None = None
    storage_used_ratio: float | None = None


@dataclass(frozen=True)
class DetailCache:
    details: dict[int, InterfaceDetails]
    fetched_at: float
    uptime_ticks: int | None
    # Every interface answered the 64-bit octet counters at the last full walk: the 32-bit
    # ones are not walked again until the next.
    wide: bool = False
