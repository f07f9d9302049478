"""The fleet as a person reads it, for `noc fleet status` and the API: each collector with
its site, heartbeat and load, and the poll domains no live collector polls right now."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Engine

from noc.inventory import Inventory
from noc.polling.domains import device_domains
from noc.store.leases import fleet_view


def fleet_status(engine: Engine, inv: Inventory, lease_s: float) -> dict[str, Any]:
    collectors, leases = fleet_view(engine, lease_s)
    devices: dict[str, list[str]] = {}
    for device, domain in device_domains(inv).items():
        devices.setdefault(domain, []).append(device)
    held: Counter[str] = Counter()
    for lease in leases:
        if lease.owner is not None and not lease.in_handover:
            held[lease.owner] += len(devices.get(lease.domain, []))
    return {
        "lease_s": lease_s,
        "collectors": [
            {
                "name": c.name,
                "site": c.site,
                "url": c.url,
                "alive": c.alive,
                "heartbeat_age_s": round(c.heartbeat_age_s, 1),
                "stopped": c.stopped,
                "domains": c.domains,
                "devices": held[c.name],
            }
            for c in collectors
        ],
        "handover": [
            {
                "domain": lease.domain,
                "devices": sorted(devices[lease.domain]),
                "last_owner": lease.owner or lease.previous_owner,
                "since_s": round(-lease.expires_in_s, 1) if lease.owner else None,
            }
            for lease in leases
            if lease.in_handover and lease.domain in devices
        ]
        # Domains of the inventory with no lease at all: never taken by anyone.
        + [
            {"domain": domain, "devices": sorted(members), "last_owner": None, "since_s": None}
            for domain, members in sorted(devices.items())
            if domain not in {lease.domain for lease in leases}
        ],
    }
