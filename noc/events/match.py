"""Which device a message is from, in order: the source address; the v1 agent address or the
`snmpTrapAddress` varbind (a relay in between); the syslog hostname (the device's name, any
case, with or without a domain); an address in the device's `aliases:`. Pure."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from noc.inventory import Inventory


@dataclass(frozen=True)
class Match:
    device: str | None
    how: str  # "source", "agent address", "hostname", "alias", or "unknown"


class Directory:
    def __init__(self, inv: Inventory) -> None:
        self.by_address = {_norm(str(d.address)): d.name for d in inv.devices}
        self.by_alias = {_norm(str(a)): d.name for d in inv.devices for a in d.aliases}
        self.by_name = {d.name.lower(): d.name for d in inv.devices}

    def match(self, source: str, agent: str | None = None, hostname: str | None = None) -> Match:
        found = self.by_address.get(_norm(source))
        if found is not None:
            return Match(found, "source")
        if agent is not None:
            found = self.by_address.get(_norm(agent))
            if found is not None:
                return Match(found, "agent address")
        if hostname:
            name = hostname.lower()
            found = self.by_name.get(name) or self.by_name.get(name.split(".", 1)[0])
            if found is None:  # a device that gives its address as its name
                found = self.by_address.get(_norm(hostname))
            if found is not None:
                return Match(found, "hostname")
        for address in (source, agent):
            if address is not None and _norm(address) in self.by_alias:
                return Match(self.by_alias[_norm(address)], "alias")
        return Match(None, "unknown")


def _norm(address: str) -> str:
    """One spelling per address (an IPv4-mapped IPv6 source is its IPv4 address)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address.lower()
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)
