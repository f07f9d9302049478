"""The lab's devices speak as real ones do: when a BTS goes down, the device at the other end of
its link (core-1 for a BTS) sends a v2c linkDown for its port toward it, and a syslog line
`<port> link down`, from its own address; coming back, linkUp and `link up`. A reboot sends a
coldStart from the device itself. Sent only to the addresses `noc lab serve --events-to` names
(loopback in the lab and the tests)."""

from __future__ import annotations

import itertools
import logging
import socket
import time

from noc.events.meaning import IF_INDEX, IF_NAME
from noc.events.traps import SNMP_TRAPS, encode_v2_trap
from noc.inventory import Inventory
from noc.lab.device import SimDevice
from noc.snmp.values import Tag, Value

log = logging.getLogger(__name__)
COMMUNITY = b"public"


class LabNotifier:
    def __init__(
        self,
        inv: Inventory,
        devices: dict[str, SimDevice],
        traps: tuple[str, int] | None,
        syslog: tuple[str, int] | None,
    ) -> None:
        self.inv, self.devices = inv, devices
        self.traps, self.syslog = traps, syslog
        self.ids = itertools.count(1)

    def scenario(self, device: str, name: str, enable: bool) -> None:
        """Called after a scenario changed on `device`."""
        if self.traps is None and self.syslog is None:
            return
        if name == "down":
            for near, interface in self._neighbours(device):
                self._link(near, interface, up=not enable)
        elif name == "reboot" and enable:
            self._send_trap(device, f"{SNMP_TRAPS}.1", [])

    def _neighbours(self, device: str) -> list[tuple[str, str]]:
        """(parent, its interface toward `device`): only the side toward the NOC can still
        tell (what sits behind a dead device cannot reach anyone)."""
        parent = self.inv.device(device).parent
        out = []
        for link in self.inv.links:
            if link.b is None:
                continue
            for far, near in ((link.a, link.b), (link.b, link.a)):
                if far.device == device and near.device == parent and near.device in self.devices:
                    out.append((near.device, near.interface))
        return out

    def _link(self, device: str, interface: str, up: bool) -> None:
        sim = self.devices[device]
        index = next((i.index for i in sim.interfaces if i.name == interface), None)
        if index is None:
            return
        varbinds = [
            (f"{IF_INDEX}.{index}", Value(Tag.INTEGER, index)),
            (f"{IF_NAME}.{index}", Value(Tag.OCTET_STRING, interface.encode())),
        ]
        self._send_trap(device, f"{SNMP_TRAPS}.{4 if up else 3}", varbinds)
        self._send_syslog(device, f"interface,info {interface} link {'up' if up else 'down'}")

    def _send_trap(self, device: str, trap_oid: str, varbinds: list[tuple[str, Value]]) -> None:
        if self.traps is None:
            return
        sim = self.devices[device]
        ticks = int((time.time() - sim.boot_time) * 100) % (1 << 32)
        data = encode_v2_trap(COMMUNITY, trap_oid, varbinds, ticks, next(self.ids))
        self._send(device, data, self.traps)

    def _send_syslog(self, device: str, text: str) -> None:
        if self.syslog is not None:
            send_syslog(self.inv, device, text, self.syslog)

    def _send(self, device: str, data: bytes, target: tuple[str, int]) -> None:
        send_from(self.inv, device, data, target)


def send_syslog(inv: Inventory, device: str, text: str, target: tuple[str, int]) -> None:
    """An RFC 3164 line (facility daemon, info) from the device's own address."""
    now = time.localtime()
    stamp = f"{time.strftime('%b', now)} {now.tm_mday:>2} {time.strftime('%H:%M:%S', now)}"
    send_from(inv, device, f"<30>{stamp} {device} {text}".encode(), target)


def send_from(inv: Inventory, device: str, data: bytes, target: tuple[str, int]) -> None:
    address = str(inv.device(device).address)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((address, 0))  # from the device's own (loopback) address
            sock.sendto(data, target)
    except OSError as exc:
        log.warning("lab: %s could not send to %s:%d: %s", device, *target, exc)
