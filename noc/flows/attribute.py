"""Who a flow belongs to: its inside address's site (an SKPD or a kelurahan, by the sites'
`subnets:`), its application (by the server's port or the remote network), and its direction
on the uplink (`in`: toward the city, a download; `out`: from it). Pure.

A download through the uplink router's NAT has the public address as its destination; the
post-NAT destination (IPFIX 226) is the inside address, and is what names the site.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from noc.flows.decode import V6, FlowRecord
from noc.inventory import Inventory
from noc.inventory.flows import Application, IpNetwork

OUTSIDE = "-"  # a flow no site's subnet claims
OTHER = "other"
# The applications every NOC asks about first, by the server's port; the inventory's come first.
BUILT_IN = (
    Application(name="dns", ports=["53", "853", "5353"]),
    Application(name="mail", ports=["25", "110", "143", "465", "587", "993", "995"]),
    Application(
        name="video",
        ports=["554", "1935", "3478-3481", "8801-8810", "19302-19309"],
    ),
    Application(name="updates", ports=["7680"]),
    Application(name="web", ports=["80", "443", "8000", "8080", "8443"]),
)
TCP_UDP = frozenset({6, 17, 132})


@dataclass(frozen=True)
class Place:
    site: str
    app: str
    direction: str  # "in" or "out"


@dataclass
class Prefixes:
    """Longest-prefix match over a few thousand networks: one dictionary per prefix length."""

    by_length: list[tuple[int, int, dict[int, str]]] = field(default_factory=list)

    @classmethod
    def of(cls, pairs: list[tuple[IpNetwork, str]]) -> Prefixes:
        tables: dict[tuple[int, int], dict[int, str]] = {}
        for net, name in pairs:
            bits = 32 if net.version == 4 else 128
            shift = bits - net.prefixlen
            key = (net.version, shift)
            tables.setdefault(key, {}).setdefault(int(net.network_address) >> shift, name)
        ordered = sorted(tables.items(), key=lambda kv: kv[0][1])  # longest prefix first
        return cls([(version, shift, table) for (version, shift), table in ordered])

    def get(self, address: int) -> str | None:
        if not address:
            return None
        version = 6 if address & V6 else 4
        plain = address & ~V6
        for v, shift, table in self.by_length:
            if v == version:
                found = table.get(plain >> shift)
                if found is not None:
                    return found
        return None


@dataclass
class Attribution:
    sites: Prefixes
    remote_apps: Prefixes
    ports: dict[int, str]
    uplink_if: int | None = None  # the uplink's ifIndex on the exporter, once it is known

    @classmethod
    def of(cls, inv: Inventory) -> Attribution:
        found = cls.of_applications(inv.flows.applications)
        found.sites = Prefixes.of([(net, s.name) for s in inv.sites for net in s.subnets])
        return found

    @classmethod
    def of_applications(cls, applications: list[Application]) -> Attribution:
        """By application only (no sites): the inventory's applications, then the built-in."""
        apps = [*applications, *BUILT_IN]
        ports: dict[int, str] = {}
        for app in apps:
            for port in app.port_numbers():
                ports.setdefault(port, app.name)
        return cls(
            Prefixes(), Prefixes.of([(net, a.name) for a in apps for net in a.networks]), ports
        )

    def place(self, r: FlowRecord) -> Place:
        site = self.sites.get(r.src)
        if site is not None:
            direction, remote, remote_port, local_port = "out", r.dst, r.dst_port, r.src_port
        else:
            site = self.sites.get(r.nat_dst) or self.sites.get(r.dst)
            if site is not None:
                direction, remote, remote_port, local_port = "in", r.src, r.src_port, r.dst_port
            else:
                site = self.sites.get(r.nat_src) or OUTSIDE
                direction, remote, remote_port, local_port = "out", r.dst, r.dst_port, r.src_port
        up = self.uplink_if
        if up and (r.in_if or r.out_if):  # the interfaces, when given, tell the direction
            direction = "in" if r.in_if == up else "out" if r.out_if == up else direction
        app = self.remote_apps.get(remote)
        if app is None and r.proto in TCP_UDP:
            app = self.ports.get(remote_port) or self.ports.get(local_port)
        return Place(site, app or OTHER, direction)

    def crosses_uplink(self, r: FlowRecord) -> bool:
        """Whether the record is the uplink's (an exporter that names no interfaces, or names
        the uplink's): the router's other interfaces would count the same traffic twice."""
        up = self.uplink_if
        return not up or not (r.in_if or r.out_if) or up in (r.in_if, r.out_if)


def address_text(address: int) -> str:
    if address & V6:
        return str(ipaddress.IPv6Address(address & ~V6))
    return str(ipaddress.IPv4Address(address))
