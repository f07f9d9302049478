"""IPFIX to a collector under test, from a device's own (loopback) address: each site
downloading at its rate over the last few full minutes (what the top-talker views read)."""

from __future__ import annotations

import ipaddress
import socket
import time

from noc.inventory import Inventory
from noc.lab import netflow as nf

REMOTE, PUBLIC = "198.51.100.9", "203.0.113.10"


def export_flows(inv: Inventory, device: str, port: int, bps_by_site: dict[str, float]) -> None:
    now = int(time.time())
    start, end = (now // 60 - 4) * 60, (now // 60 - 1) * 60  # full minutes, inside the last 5
    rows = []
    for site, bps in bps_by_site.items():
        host = int(inv.site(site).subnets[0].network_address) + 20
        octets = int(bps / 8 * (end - start))
        rows.append(
            (
                int(ipaddress.ip_address(REMOTE)),
                int(ipaddress.ip_address(PUBLIC)),
                443,
                50000,
                6,
                octets,
                octets // 1400,
                0,
                0,
                start * 1000,
                end * 1000,
                0,
                host,
            )
        )
    sets = [nf.template_set(10, 256, nf.IPV4_NAT), nf.data_set(256, nf.IPV4_NAT, rows)]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((str(inv.device(device).address), 0))
        sock.sendto(nf.message(10, sets, now, 0, 1), ("127.0.0.1", port))
