"""Build the simulated network from the inventory: one agent per device, traffic per link."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

from noc.inventory.model import Device, DeviceKind, Inventory, Link, Medium, Role, SnmpV2c
from noc.lab.device import ETHERNET_CSMACD, IEEE80211, Flow, Neighbour, SimDevice, SimInterface
from noc.snmp.snmprec import load_snmprec

# Peak utilisation of a link's contract (before the daily curve), per medium and tier.
PEAK_SHARE: dict[tuple[Medium, str], tuple[float, float]] = {
    (Medium.ISP, "uplink"): (0.97, 0.97),  # the 40 Mbps uplink is near saturation at peak
    (Medium.RADIO, "access"): (0.35, 0.75),
    (Medium.FIBER, "access"): (0.10, 0.30),
    (Medium.RADIO, "backbone"): (0.15, 0.45),
    (Medium.FIBER, "backbone"): (0.02, 0.10),
}
UPLOAD_SHARE = 0.35  # offices download far more than they upload
LAN_SHARE = 0.02

SYSTEM: dict[DeviceKind, tuple[str, str]] = {
    DeviceKind.MIKROTIK_ROUTEROS: ("RouterOS {model}", "1.3.6.1.4.1.14988.1"),
    DeviceKind.UBIQUITI_AIROS: (
        "Linux 2.6.32.71 #1 Thu Apr 15 11:03:26 EEST 2021 mips (airOS {model})",
        "1.3.6.1.4.1.10002.1",
    ),
    DeviceKind.CISCO_IOS: (
        "Cisco IOS Software [Bengaluru], ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), "
        "Version 17.6.4, RELEASE SOFTWARE (fc1) {model}",
        "1.3.6.1.4.1.9.1.2068",
    ),
    DeviceKind.LINUX: (
        "Linux {model} 6.1.0-28-amd64 #1 SMP Debian x86_64",
        "1.3.6.1.4.1.8072.3.2.10",
    ),
}
MODEL: dict[Role, str] = {
    Role.CORE: "CCR2116-12G-4S+",
    Role.BTS: "RB4011iGS+ / LiteBeam 5AC",
    Role.FIBER: "ISR4321",
    Role.SKPD: "RB3011UiAS",
    Role.KELURAHAN: "hAP ac2",
    Role.DR: "CCR2004-1G-12S+2XS",
    Role.SERVER: "server",
}


@dataclass(frozen=True)
class LabAgent:
    """A device of the simulated network and where it listens."""

    address: str
    port: int
    device: SimDevice


def share(link: Link) -> float:
    low, high = PEAK_SHARE.get((link.medium, link.tier.value), (0.1, 0.3))
    spread = (zlib.crc32(link.name.encode()) % 1000) / 1000
    return low + (high - low) * spread


def _peaks(inv: Inventory) -> dict[tuple[str, str], list[float]]:
    """Peak in/out bits/s per (device, interface): a link's `a` end measures it, the `b` end
    sees the mirror image."""
    peaks: dict[tuple[str, str], list[float]] = {}
    for link in inv.links:
        down = link.capacity_bps * share(link)
        up = down * UPLOAD_SHARE
        a = peaks.setdefault((link.a.device, link.a.interface), [0.0, 0.0])
        a[0] += down
        a[1] += up
        if link.b is not None:
            b = peaks.setdefault((link.b.device, link.b.interface), [0.0, 0.0])
            b[0] += up
            b[1] += down
    return peaks


def _contracts(inv: Inventory) -> dict[tuple[str, str], int]:
    return {(ln.a.device, ln.a.interface): ln.capacity_bps for ln in inv.links}


def security_names(inv: Inventory, device: Device) -> frozenset[str]:
    cred = inv.credentials[device.credentials]
    return frozenset({device.credentials if isinstance(cred, SnmpV2c) else cred.user})


def build_device(inv: Inventory, device: Device, started: float) -> SimDevice:
    peaks, contracts = _peaks(inv), _contracts(inv)
    # Each device booted some days before the lab started, the same every run; its counters
    # hold everything since boot.
    boot = started - 86400 * (1 + zlib.crc32(device.name.encode()) % 40)
    interfaces = []
    for index, spec in enumerate(device.interfaces, start=1):
        peak = peaks.get((device.name, spec.name))
        down, up = peak if peak else (spec.speed_bps * LAN_SHARE, spec.speed_bps * LAN_SHARE / 2)
        wireless = spec.name.startswith(("wlan", "ath"))
        interfaces.append(
            SimInterface(
                index=index,
                name=spec.name,
                description=spec.description,
                speed_bps=spec.speed_bps,
                rx=Flow(min(down, spec.speed_bps), base_time=boot),
                tx=Flow(min(up, spec.speed_bps), base_time=boot),
                if_type=IEEE80211 if wireless else ETHERNET_CSMACD,
                contract_bps=contracts.get((device.name, spec.name)),
            )
        )
    descr, object_id = SYSTEM[device.kind]
    return SimDevice(
        name=device.name,
        sys_descr=descr.format(model=MODEL[device.role]),
        sys_object_id=object_id,
        interfaces=interfaces,
        boot_time=boot,
        accepts=security_names(inv, device),
        radio={DeviceKind.MIKROTIK_ROUTEROS: "mikrotik", DeviceKind.UBIQUITI_AIROS: "airos"}.get(
            device.kind
        ),
        host_resources=device.kind is DeviceKind.LINUX,
        location=_location(inv, device),
        neighbours=_neighbours(inv, device),
        neighbour_mibs=() if device.name == SWOS else NEIGHBOUR_MIBS[device.kind],
    )


# The lab's one MikroTik SwOS switch (a kelurahan office behind a RouterOS BTS): it sends
# MNDP only and answers no neighbour table, so only its BTS's MNDP table tells of it (its
# SNMP is otherwise a RouterOS device's, as the collector polls it).
SWOS = "kel-batutulis"
# The discovery protocols each kind sends: RouterOS all three, IOS LLDP and CDP, the rest LLDP.
SPEAKS: dict[DeviceKind, tuple[str, ...]] = {
    DeviceKind.MIKROTIK_ROUTEROS: ("lldp", "mndp", "cdp"),
    DeviceKind.CISCO_IOS: ("lldp", "cdp"),
    DeviceKind.UBIQUITI_AIROS: ("lldp",),
    DeviceKind.LINUX: (),  # servers without lldpd: only the ARP and forwarding tables tell
}
# Which neighbour tables each kind answers: RouterOS both LLDP and MNDP, IOS LLDP and CDP.
NEIGHBOUR_MIBS: dict[DeviceKind, tuple[str, ...]] = {
    DeviceKind.MIKROTIK_ROUTEROS: ("lldp", "mndp"),
    DeviceKind.CISCO_IOS: ("lldp", "cdp"),
    DeviceKind.UBIQUITI_AIROS: ("lldp",),
    DeviceKind.LINUX: (),
}
# The lab's one transparent radio link: a pair of bridging radios between bts-13 and bts-14
# (their management MACs Ubiquiti's), which pass LLDP through, so the two ends look adjacent.
TRANSPARENT = "backhaul-bts-14"
TRANSPARENT_RADIOS = (bytes.fromhex("24a43c0d0e13"), bytes.fromhex("24a43c0d0e14"))


def _location(inv: Inventory, device: Device) -> str:
    """sysLocation as a technician types it: the site's title and the kecamatan."""
    site = inv.sites_by_name.get(device.site)
    return f"{site.title}, Kec. {site.kecamatan}" if site is not None else "Kota Bogor"


def _neighbours(inv: Inventory, device: Device) -> list[Neighbour]:
    """The far end of each of the device's links (the uplink's provider is not heard)."""
    out = []
    for ln in inv.links:
        if ln.b is None:
            continue
        for near, far in ((ln.a, ln.b), (ln.b, ln.a)):
            if near.device == device.name:
                other = inv.devices_by_name.get(far.device)
                if other is not None:
                    out.append(
                        Neighbour(
                            near.interface,
                            other.name,
                            far.interface,
                            str(other.address),
                            ("mndp",) if other.name == SWOS else SPEAKS[other.kind],
                            TRANSPARENT_RADIOS if ln.name == TRANSPARENT else (),
                        )
                    )
    return out


def build_lab(inv: Inventory, started: float) -> list[LabAgent]:
    return [LabAgent(str(d.address), d.port, build_device(inv, d, started)) for d in inv.devices]


def recording_agent(path: Path, address: str, port: int, started: float) -> LabAgent:
    """A recorded walk served as it is, on v2c with the file's stem as the community."""
    device = SimDevice(
        name=f"rec-{path.stem}",
        sys_descr="",
        sys_object_id="",
        interfaces=[],
        boot_time=started,
        accepts=frozenset({f"rec-{path.stem}"}),
        static=load_snmprec(path),
    )
    return LabAgent(address, port, device)
