"""A simulated device: its MIB view at any moment, and the scenarios that bend it.

Counters are computed, not stored: octets = bytes-per-second at peak x the integral of the daily
curve since the interface's last change of regime (boot, scenario switch). So two reads any time
apart differ by exactly the advertised rate over that time.
"""

from __future__ import annotations

import bisect
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from noc.lab.traffic import curve_at, curve_integral
from noc.snmp.values import Oid, Tag, Value

SYS = (1, 3, 6, 1, 2, 1, 1)
IF_ENTRY = (1, 3, 6, 1, 2, 1, 2, 2, 1)
IFX_ENTRY = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)
IF_NUMBER = (1, 3, 6, 1, 2, 1, 2, 1, 0)
MIKROTIK_RTAB = (1, 3, 6, 1, 4, 1, 14988, 1, 1, 1, 2, 1)
LLDP_LOC_PORT = (1, 0, 8802, 1, 1, 2, 1, 3, 7, 1)
LLDP_REM = (1, 0, 8802, 1, 1, 2, 1, 4, 1, 1)
MNDP = (1, 3, 6, 1, 4, 1, 14988, 1, 1, 11, 1, 1)
CDP_CACHE = (1, 3, 6, 1, 4, 1, 9, 9, 23, 1, 2, 1, 1)
IF_PHYS = (1, 3, 6, 1, 2, 1, 2, 2, 1, 6)
ARP_PHYS = (1, 3, 6, 1, 2, 1, 4, 22, 1, 2)
FDB_PORT = (1, 3, 6, 1, 2, 1, 17, 4, 3, 1, 2)
BASE_PORT_IF = (1, 3, 6, 1, 2, 1, 17, 1, 4, 1, 2)


def mac_of(device: str, interface: str) -> bytes:
    """A lab interface's MAC: locally administered, the same every run."""
    return b"\x02" + zlib.crc32(f"{device}/{interface}".encode()).to_bytes(4, "big") + b"\x01"


ROUTEROS_LLDP_PORT_BASE = 20  # RouterOS numbers its LLDP ports its own way, not by ifIndex
AIROS_WLSTAT = (1, 3, 6, 1, 4, 1, 41112, 1, 4, 5, 1)
HR_PROCESSOR_LOAD = (1, 3, 6, 1, 2, 1, 25, 3, 3, 1, 2)
HR_STORAGE_ENTRY = (1, 3, 6, 1, 2, 1, 25, 2, 3, 1)

ETHERNET_CSMACD = 6
IEEE80211 = 71
C32 = 1 << 32
C64 = 1 << 64

Getter = Callable[[float], Value]


@dataclass
class Flow:
    """One direction of an interface's traffic: curve-following, or pinned to a constant rate."""

    peak_bps: float
    base_bytes: int = 0
    base_time: float = 0.0
    constant_bps: float | None = None
    running: bool = True
    # Added to the 32-bit counter only: the wrap scenario uses it to make it wrap soon.
    offset32: int = 0

    def rate_bps(self, t: float) -> float:
        if not self.running:
            return 0.0
        return self.constant_bps if self.constant_bps is not None else self.peak_bps * curve_at(t)

    def octets(self, t: float) -> int:
        if not self.running:
            return self.base_bytes
        dt = max(t - self.base_time, 0.0)
        if self.constant_bps is not None:
            grown = self.constant_bps / 8 * dt
        else:
            grown = self.peak_bps / 8 * curve_integral(self.base_time, self.base_time + dt)
        return self.base_bytes + int(grown)

    def rebase(self, t: float, *, reset: bool = False) -> None:
        """Start a new regime at t, keeping the counter continuous (or from zero on reset)."""
        self.base_bytes = 0 if reset else self.octets(t)
        self.base_time = t


@dataclass
class SimInterface:
    index: int
    name: str
    description: str
    speed_bps: int
    rx: Flow
    tx: Flow
    if_type: int = ETHERNET_CSMACD
    admin_up: bool = True
    oper_up: bool = True
    contract_bps: int | None = None

    def set_running(self, t: float, running: bool) -> None:
        for flow in (self.rx, self.tx):
            flow.rebase(t)
            flow.running = running


@dataclass(frozen=True)
class Neighbour:
    """What a device hears of the device at the other end of one of its links."""

    interface: str  # ours
    name: str  # theirs (sysName / identity / device ID)
    port: str  # their interface
    address: str  # their management address
    speaks: tuple[str, ...] = ("lldp", "mndp", "cdp")  # the discovery protocols they send
    bridged: tuple[bytes, ...] = ()  # MACs between us and them (a transparent radio bridge)


@dataclass
class SimDevice:
    """One agent of the simulated network."""

    name: str
    sys_descr: str
    sys_object_id: str
    interfaces: list[SimInterface]
    boot_time: float
    accepts: frozenset[str] = frozenset()  # security names (community index / v3 user) served
    radio: str | None = None  # "mikrotik" or "airos"
    host_resources: bool = False
    static: dict[Oid, Value] | None = None  # a recording served as it is
    location: str = "Kota Bogor"
    # Neighbour tables and which MIBs tell them: lldp, mndp (MikroTik), cdp (Cisco).
    neighbours: list[Neighbour] = field(default_factory=list)
    neighbour_mibs: tuple[str, ...] = ()
    # Scenario state
    down: bool = False
    slow_s: float = 0.0
    loss: float = 0.0
    hc_hidden: bool = False
    too_big_above: int | None = None  # GETBULK asking more repetitions than this: tooBig
    non_increasing: bool = False  # GETNEXT/GETBULK answer the OID asked, not the next one
    discontinuity_ticks: int = 0
    active: dict[str, str] = field(default_factory=dict)  # scenario name -> parameter
    _view: dict[Oid, Getter] = field(default_factory=dict)
    _order: list[Oid] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rebuild()

    # --- the MIB view -------------------------------------------------------------------

    def rebuild(self) -> None:
        """Recompute the set of OIDs this device answers (after a structural change)."""
        view: dict[Oid, Getter] = {}
        if self.static is not None:
            for oid, value in self.static.items():
                view[oid] = _const(value)
        else:
            self._system(view)
            self._interfaces(view)
            if self.radio == "mikrotik":
                self._mikrotik(view)
            elif self.radio == "airos":
                self._airos(view)
            if self.host_resources:
                self._host(view)
            self._neighbours(view)
            self._layer2(view)
        self._view = view
        self._order = sorted(view)

    def uptime_ticks(self, t: float) -> int:
        return int((t - self.boot_time) * 100) % C32

    def _system(self, view: dict[Oid, Getter]) -> None:
        view[(*SYS, 1, 0)] = _const(Value(Tag.OCTET_STRING, self.sys_descr.encode()))
        view[(*SYS, 2, 0)] = _const(Value(Tag.OBJECT_IDENTIFIER, self.sys_object_id))
        view[(*SYS, 3, 0)] = lambda t: Value(Tag.TIMETICKS, self.uptime_ticks(t))
        view[(*SYS, 4, 0)] = _const(Value(Tag.OCTET_STRING, b"Kominfo Kota Bogor NOC"))
        view[(*SYS, 5, 0)] = _const(Value(Tag.OCTET_STRING, self.name.encode()))
        view[(*SYS, 6, 0)] = _const(Value(Tag.OCTET_STRING, self.location.encode()))
        view[IF_NUMBER] = _const(Value(Tag.INTEGER, len(self.interfaces)))

    def _interfaces(self, view: dict[Oid, Getter]) -> None:
        for i in self.interfaces:
            n = i.index
            text = _const_text
            view[(*IF_ENTRY, 1, n)] = _const(Value(Tag.INTEGER, n))
            view[(*IF_ENTRY, 2, n)] = text(i.name)
            view[(*IF_ENTRY, 3, n)] = _const(Value(Tag.INTEGER, i.if_type))
            view[(*IF_ENTRY, 4, n)] = _const(Value(Tag.INTEGER, 1500))
            view[(*IF_ENTRY, 5, n)] = _const(Value(Tag.GAUGE32, min(i.speed_bps, C32 - 1)))
            view[(*IF_ENTRY, 7, n)] = partial(_admin, i)
            view[(*IF_ENTRY, 8, n)] = partial(_oper, i)
            view[(*IF_ENTRY, 10, n)] = partial(_octets32, i.rx)
            view[(*IF_ENTRY, 11, n)] = partial(_packets32, i.rx)
            view[(*IF_ENTRY, 13, n)] = _const(Value(Tag.COUNTER32, 0))
            view[(*IF_ENTRY, 14, n)] = _const(Value(Tag.COUNTER32, 0))
            view[(*IF_ENTRY, 16, n)] = partial(_octets32, i.tx)
            view[(*IF_ENTRY, 17, n)] = partial(_packets32, i.tx)
            view[(*IF_ENTRY, 19, n)] = _const(Value(Tag.COUNTER32, 0))
            view[(*IF_ENTRY, 20, n)] = _const(Value(Tag.COUNTER32, 0))
            view[(*IFX_ENTRY, 1, n)] = text(i.name)
            if not self.hc_hidden:
                view[(*IFX_ENTRY, 6, n)] = partial(_octets64, i.rx)
                view[(*IFX_ENTRY, 7, n)] = partial(_packets64, i.rx)
                view[(*IFX_ENTRY, 8, n)] = _const(Value(Tag.COUNTER64, 0))
                view[(*IFX_ENTRY, 9, n)] = _const(Value(Tag.COUNTER64, 0))
                view[(*IFX_ENTRY, 10, n)] = partial(_octets64, i.tx)
                view[(*IFX_ENTRY, 11, n)] = partial(_packets64, i.tx)
                view[(*IFX_ENTRY, 12, n)] = _const(Value(Tag.COUNTER64, 0))
                view[(*IFX_ENTRY, 13, n)] = _const(Value(Tag.COUNTER64, 0))
            view[(*IFX_ENTRY, 15, n)] = _const(Value(Tag.GAUGE32, i.speed_bps // 1_000_000))
            view[(*IFX_ENTRY, 18, n)] = text(i.description)
            view[(*IFX_ENTRY, 19, n)] = lambda t: Value(Tag.TIMETICKS, self.discontinuity_ticks)

    def _neighbours(self, view: dict[Oid, Getter]) -> None:
        """LLDP, MNDP and CDP as the vendors answer them. RouterOS's LLDP numbers its local
        ports its own way (not by ifIndex: lldpLocPortTable maps them) and gives port IDs in
        bridge form (`bridge1/ether2`); its MNDP table gives the ifIndex."""
        text = _const_text
        index_of = {i.name: i.index for i in self.interfaces}
        routeros = "mndp" in self.neighbour_mibs
        for n, nb in enumerate(self.neighbours, start=1):
            local = index_of.get(nb.interface)
            if local is None:
                continue
            if "lldp" in self.neighbour_mibs and "lldp" in nb.speaks:
                port = local + ROUTEROS_LLDP_PORT_BASE if routeros else local
                view[(*LLDP_LOC_PORT, 3, port)] = text(nb.interface)
                row = (0, port, n)
                view[(*LLDP_REM, 7, *row)] = text(f"bridge1/{nb.port}" if routeros else nb.port)
                view[(*LLDP_REM, 9, *row)] = text(nb.name)
            if "mndp" in self.neighbour_mibs and "mndp" in nb.speaks:
                view[(*MNDP, 2, n)] = _const(Value(Tag.IP_ADDRESS, nb.address))
                view[(*MNDP, 6, n)] = text(nb.name)
                view[(*MNDP, 8, n)] = _const(Value(Tag.INTEGER, local))
            if "cdp" in self.neighbour_mibs and "cdp" in nb.speaks:
                view[(*CDP_CACHE, 6, local, n)] = text(nb.name)
                view[(*CDP_CACHE, 7, local, n)] = text(nb.port)

    def _layer2(self, view: dict[Oid, Getter]) -> None:
        """Each interface's MAC, and what the device learned of its neighbours' (the ARP table
        and the bridge forwarding table, one bridge port per interface)."""
        index_of = {i.name: i.index for i in self.interfaces}
        for i in self.interfaces:
            view[(*IF_PHYS, i.index)] = _const(Value(Tag.OCTET_STRING, mac_of(self.name, i.name)))
        for nb in self.neighbours:
            local = index_of.get(nb.interface)
            if local is None:
                continue
            theirs = mac_of(nb.name, nb.port)
            octets = tuple(int(x) for x in nb.address.split("."))
            view[(*ARP_PHYS, local, *octets)] = _const(Value(Tag.OCTET_STRING, theirs))
            view[(*BASE_PORT_IF, local)] = _const(Value(Tag.INTEGER, local))
            for mac in (theirs, *nb.bridged):
                view[(*FDB_PORT, *mac)] = _const(Value(Tag.INTEGER, local))

    def _mikrotik(self, view: dict[Oid, Getter]) -> None:
        wlan = [i for i in self.interfaces if i.if_type == IEEE80211]
        for n, i in enumerate(wlan):
            index = (0x4C, 0x5E, 0x0C, 0x10, 0x20, n + 1, i.index)
            view[(*MIKROTIK_RTAB, 3, *index)] = _const(Value(Tag.INTEGER, -58 - 3 * n))
            view[(*MIKROTIK_RTAB, 8, *index)] = _const(Value(Tag.GAUGE32, 300_000_000))
            view[(*MIKROTIK_RTAB, 9, *index)] = _const(Value(Tag.GAUGE32, 270_000_000))

    def _airos(self, view: dict[Oid, Getter]) -> None:
        view[(*AIROS_WLSTAT, 5, 1)] = _const(Value(Tag.INTEGER, -62))
        view[(*AIROS_WLSTAT, 6, 1)] = _const(Value(Tag.INTEGER, 34))
        view[(*AIROS_WLSTAT, 8, 1)] = _const(Value(Tag.INTEGER, -92))
        view[(*AIROS_WLSTAT, 9, 1)] = _const(Value(Tag.INTEGER, 450_000_000))
        view[(*AIROS_WLSTAT, 10, 1)] = _const(Value(Tag.INTEGER, 400_000_000))

    def _host(self, view: dict[Oid, Getter]) -> None:
        view[(*HR_PROCESSOR_LOAD, 196608)] = lambda t: Value(Tag.INTEGER, int(5 + 60 * curve_at(t)))
        view[(*HR_STORAGE_ENTRY, 3, 1)] = _const_text("/")
        view[(*HR_STORAGE_ENTRY, 4, 1)] = _const(Value(Tag.INTEGER, 4096))
        view[(*HR_STORAGE_ENTRY, 5, 1)] = _const(Value(Tag.INTEGER, 25_000_000))
        view[(*HR_STORAGE_ENTRY, 6, 1)] = _const(Value(Tag.INTEGER, 11_000_000))

    # --- reads -------------------------------------------------------------------------

    def get(self, oid: Oid, t: float) -> Value:
        getter = self._view.get(oid)
        if getter is not None:
            return getter(t)
        # noSuchObject when no column/scalar starts with this prefix, else noSuchInstance.
        pos = bisect.bisect_left(self._order, oid[:-1])
        if pos < len(self._order) and self._order[pos][: len(oid) - 1] == oid[:-1]:
            return Value(Tag.NO_SUCH_INSTANCE, None)
        return Value(Tag.NO_SUCH_OBJECT, None)

    def next(self, oid: Oid, t: float) -> tuple[Oid, Value]:
        pos = bisect.bisect_right(self._order, oid)
        if pos >= len(self._order):
            return oid, Value(Tag.END_OF_MIB_VIEW, None)
        found = self._order[pos]
        return found, self._view[found](t)

    def interface(self, name: str) -> SimInterface:
        for i in self.interfaces:
            if i.name == name:
                return i
        raise KeyError(f"{self.name} has no interface {name!r}")


def _const(value: Value) -> Getter:
    return lambda t: value


def _const_text(text: str) -> Getter:
    return _const(Value(Tag.OCTET_STRING, text.encode()))


AVERAGE_PACKET_BYTES = 800


def _admin(i: SimInterface, t: float) -> Value:
    return Value(Tag.INTEGER, 1 if i.admin_up else 2)


def _oper(i: SimInterface, t: float) -> Value:
    return Value(Tag.INTEGER, 1 if i.oper_up else 2)


def _octets32(flow: Flow, t: float) -> Value:
    return Value(Tag.COUNTER32, (flow.octets(t) + flow.offset32) % C32)


def _packets32(flow: Flow, t: float) -> Value:
    return Value(Tag.COUNTER32, flow.octets(t) // AVERAGE_PACKET_BYTES % C32)


def _octets64(flow: Flow, t: float) -> Value:
    return Value(Tag.COUNTER64, flow.octets(t) % C64)


def _packets64(flow: Flow, t: float) -> Value:
    return Value(Tag.COUNTER64, flow.octets(t) // AVERAGE_PACKET_BYTES % C64)
