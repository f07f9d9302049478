"""The lab's uplink router exports its traffic as IPFIX, the way a MikroTik with NAT does: its
simulated uplink counters, every few seconds, split over the sites with subnets and over the
applications, downloads to the router's public address with the inside host as post-NAT
destination, uploads from the inside host with the public address as post-NAT source.

The template and the sampling option are sent every TEMPLATE_S. Scenarios (`noc lab flows`):
- `restart`: the exporter starts again with its sequence from zero and template 256 in
  another layout, and sends that template only at the next refresh (the collector must hold
  the sets until then);
- `sampling`: it samples 1 in 10 packets and says so in its option record;
- `sampling-unsaid`: it samples 1 in 10 without saying so (the cross-check must catch it);
- `pause`, `resume`: its export is switched off (the traffic of the pause is neither sent nor
  counted in `sent_octets`) and on again.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from noc.flows.attribute import OTHER, Attribution
from noc.flows.process import uplink_exporter
from noc.inventory import Inventory
from noc.lab import netflow as nf
from noc.lab.device import SimDevice
from noc.lab.notify import send_from

log = logging.getLogger(__name__)
EVERY_S = 5.0
TEMPLATE_S = 30.0
PER_MESSAGE = 30
TEMPLATE, OPTIONS = 256, 257
PUBLIC = int(ipaddress.ip_address("203.0.113.10"))
# The share of each application in a site's traffic, and the remote servers it talks to.
APPS = (  # (server port, share, remote network start)
    (443, 0.55, "198.51.100.0"),
    (1935, 0.18, "198.51.100.64"),
    (7680, 0.10, "198.51.100.128"),
    (993, 0.06, "198.51.100.160"),
    (53, 0.02, "198.51.100.200"),
    (5060, 0.09, "198.51.100.220"),
)
# The layout after a restart: the same elements in another order, octets in 4 bytes.
RESTARTED: tuple[nf.Field, ...] = (
    (12, 4),
    (8, 4),
    (11, 2),
    (7, 2),
    (4, 1),
    (1, 4),
    (2, 4),
    (14, 4),
    (10, 4),
    (152, 8),
    (153, 8),
    (226, 4),
    (225, 4),
)


def site_shares(inv: Inventory) -> list[tuple[str, int, float]]:
    """(site, its first subnet's address, its share of the uplink): the same every run, and
    as uneven as a city's (a few offices fill most of it: shares fall with rank, 1/rank)."""
    sites = [(s.name, int(s.subnets[0].network_address)) for s in inv.sites if s.subnets]
    rank = {
        name: i
        for i, (name, _) in enumerate(sorted(sites, key=lambda s: zlib.crc32(s[0].encode())))
    }
    weights = [1 / (1 + rank[name]) for name, _ in sites]
    total = sum(weights) or 1
    return [(n, base, w / total) for (n, base), w in zip(sites, weights, strict=True)]


def app_shares() -> list[tuple[str, float]]:
    """Each application the lab's traffic is made of, named as the collector names it."""
    names = Attribution.of_applications([]).ports
    return [(names.get(port, OTHER), share) for port, share, _ in APPS]


@dataclass
class LabFlowExporter:
    inv: Inventory
    devices: dict[str, SimDevice]
    target: tuple[str, int]
    sequence: int = 0
    sampling: int = 1
    say_sampling: bool = True
    layout: tuple[nf.Field, ...] = nf.IPV4_NAT
    hold_template_until: float = 0.0
    sent_template_at: float = -1e9
    sent_octets: int = 0  # before sampling: what the counters say
    paused: bool = False
    _sites: list[tuple[str, int, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._sites = site_shares(self.inv)

    SCENARIOS = ("restart", "sampling", "sampling-unsaid", "normal", "pause", "resume")

    def scenario(self, name: str, now: float) -> None:
        if name == "restart":
            self.sequence = 0
            self.layout = RESTARTED if self.layout == nf.IPV4_NAT else nf.IPV4_NAT
            self.sent_template_at = now
            self.hold_template_until = now + TEMPLATE_S
        elif name == "sampling":
            self.sampling, self.say_sampling = 10, True
        elif name == "sampling-unsaid":
            self.sampling, self.say_sampling = 10, False
        elif name == "normal":
            self.sampling, self.say_sampling = 1, True
        elif name in ("pause", "resume"):
            self.paused = name == "pause"
        else:
            raise ValueError(f"unknown flow scenario {name!r}")

    def messages(self, t0: float, t1: float) -> list[bytes]:
        """The records of [t0, t1) on the uplink, in messages of PER_MESSAGE."""
        exporter = uplink_exporter(self.inv)
        if exporter is None or exporter[0] not in self.devices:
            return []
        sim = self.devices[exporter[0]]
        iface = next((i for i in sim.interfaces if i.name == exporter[1]), None)
        if iface is None or not iface.rx.running:
            return []
        down = iface.rx.octets(t1) - iface.rx.octets(t0)
        up = iface.tx.octets(t1) - iface.tx.octets(t0)
        self.sent_octets += down + up
        rows = self._rows(down, up, iface.index, t0, t1)
        sets: list[bytes] = []
        if t1 - self.sent_template_at >= TEMPLATE_S and t1 >= self.hold_template_until:
            sets.append(nf.template_set(10, TEMPLATE, self.layout))
            if self.say_sampling:
                sets.append(nf.options_template_set(10, OPTIONS, nf.SCOPE, nf.SAMPLING))
                sets.append(nf.data_set(OPTIONS, (*nf.SCOPE, *nf.SAMPLING), [(1, self.sampling)]))
            self.sent_template_at = t1
        out = []
        for i in range(0, len(rows), PER_MESSAGE):
            data = nf.data_set(TEMPLATE, self.layout, rows[i : i + PER_MESSAGE])
            out.append(nf.message(10, [*sets, data], int(t1), self.sequence, 1))
            self.sequence += len(rows[i : i + PER_MESSAGE])
            sets = []
        return out

    def _rows(self, down: int, up: int, uplink: int, t0: float, t1: float) -> list[tuple[int, ...]]:
        start, end = int(t0 * 1000), int(t1 * 1000)
        lan = 2
        rows = []
        for site, base, share in self._sites:
            for port, app_share, remote_text in APPS:
                host = base + 10 + port % 50
                remote = int(ipaddress.ip_address(remote_text)) + zlib.crc32(site.encode()) % 30
                for direction, total in (("in", down), ("out", up)):
                    octets = int(total * share * app_share) // self.sampling
                    if octets <= 0:
                        continue
                    packets = max(1, octets // 1200)
                    if direction == "in":
                        values = {
                            8: remote,
                            12: PUBLIC,
                            7: port,
                            11: 40000 + port % 1000,
                            10: uplink,
                            14: lan,
                            225: 0,
                            226: host,
                        }
                    else:
                        values = {
                            8: host,
                            12: remote,
                            7: 40000 + port % 1000,
                            11: port,
                            10: lan,
                            14: uplink,
                            225: PUBLIC,
                            226: 0,
                        }
                    values |= {
                        4: 6 if port != 53 else 17,
                        1: octets,
                        2: packets,
                        152: start,
                        153: end,
                    }
                    rows.append(tuple(values[e] for e, _ in self.layout))
        return rows

    async def run(self, stop: asyncio.Event, now: Callable[[], float]) -> None:
        """Export every EVERY_S from the uplink router's address, until `stop`."""
        last = now()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), EVERY_S)
            t = now()
            exporter = uplink_exporter(self.inv)
            if exporter is None:
                return
            if not self.paused:
                for message in self.messages(last, t):
                    send_from(self.inv, exporter[0], message, self.target)
            last = t
