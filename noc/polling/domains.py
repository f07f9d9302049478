"""Poll domains and how a fleet shares them. Pure: the inventory and counts in, the domain of
every entity and each collector's next moves out.

A poll domain is a BTS or fibre point with everything behind it (so a kelurahan and the BTS it
hangs from are judged by the same collector, and UNREACHABLE is still decided locally), or, for
what sits behind no BTS or fibre point, its site (the data centre, the DR site, an SKPD office).
A link belongs to the domain of the device whose counters measure it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from noc.errors import NocError
from noc.inventory import Inventory
from noc.inventory.model import Device, SiteKind
from noc.polling.availability import Health, State, Verdict
from noc.polling.events import link_key, service_key


class FleetError(NocError, ValueError):
    """A fleet asked for where it cannot run (a store that cannot hold leases)."""


ROOT_KINDS = frozenset({SiteKind.BTS, SiteKind.FIBER_POINT})


def device_domains(inv: Inventory) -> dict[str, str]:
    """Each device's poll domain: its topmost BTS or fibre point ancestor (itself included),
    or else its site."""
    kind = {s.name: s.kind for s in inv.sites}
    by_name = {d.name: d for d in inv.devices}
    out: dict[str, str] = {}
    for device in inv.devices:
        domain, seen = None, set()
        node: Device | None = device
        while node is not None and node.name not in seen:
            seen.add(node.name)
            if kind.get(node.site) in ROOT_KINDS:
                domain = node.name
            node = by_name.get(node.parent) if node.parent else None
        out[device.name] = domain or f"site:{device.site}"
    return out


def entity_domains(inv: Inventory) -> dict[str, str]:
    """Devices, links (`link:NAME`) and services (`service:NAME`, judged with the device they
    run on; one that names none, with the uplink's device) with their poll domain."""
    devices = device_domains(inv)
    out = {**devices, **{link_key(ln): devices[ln.a.device] for ln in inv.links}}
    fallback = devices[inv.uplink.a.device] if inv.uplink is not None else None
    for svc in inv.services:
        home = devices.get(svc.runs_on[0]) if svc.runs_on else fallback
        if home is not None:
            out[service_key(svc.name)] = home
    return out


@dataclass(frozen=True)
class Moves:
    claim: int  # devices' worth of free domains to take now
    release: int  # devices' worth of its own to hand back now


def plan(mine: int, total: int, owned: Mapping[str, int], step: int = 0) -> Moves:
    """One collector's moves this round, counted in devices. `owned` is how many devices every
    live collector (this one included) holds. Each aims at an even share; free domains are
    taken at once (no one polls them), while a collector above its share gives back at most
    `step` per round (default a quarter of the share), and only as much as the others lack,
    so load moves gradually when a collector joins."""
    live = max(1, len(owned))
    share = math.ceil(total / live)
    free = max(0, total - sum(owned.values()))
    claim = min(free, max(0, share - mine))
    if mine <= share:
        return Moves(claim, 0)
    wanting = sum(max(0, total // live - n) for n in owned.values())
    step = step or max(1, share // 4)
    return Moves(0, min(mine - share, step, wanting))


def pick(candidates: Iterable[tuple[str, int]], amount: int, overshoot: bool = False) -> list[str]:
    """Domains (name, devices) in the given order until `amount` devices are covered. A domain
    larger than what is left is skipped for a smaller one; with `overshoot` (taking free
    domains, which someone must poll) the first one is taken whatever its size."""
    out: list[str] = []
    left = amount
    for name, weight in candidates:
        if left <= 0:
            break
        if weight <= left or (overshoot and not out):
            out.append(name)
            left -= weight
    return out


# --- what a new owner takes over --------------------------------------------------------


def snapshot(
    healths: Mapping[str, Health], verdicts: Mapping[str, Verdict], entities: Iterable[str]
) -> str:
    """The hysteresis and verdict of each entity, as JSON, for the lease row."""
    out = {}
    for entity in sorted(entities):
        health, verdict = healths.get(entity), verdicts.get(entity)
        if health is None and verdict is None:
            continue
        out[entity] = {
            "health": asdict(health) if health is not None else None,
            "verdict": asdict(verdict) if verdict is not None else None,
        }
    return json.dumps(out, separators=(",", ":"))


def restore(text: str) -> tuple[dict[str, Health], dict[str, Verdict]]:
    """A snapshot read back; what cannot be read is left out (the new owner starts it afresh)."""
    healths: dict[str, Health] = {}
    verdicts: dict[str, Verdict] = {}
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return healths, verdicts
    for entity, item in data.items() if isinstance(data, dict) else ():
        try:
            if item.get("health"):
                healths[entity] = Health(**item["health"])
            if item.get("verdict"):
                v = dict(item["verdict"])
                verdicts[entity] = Verdict(State(v.pop("state")), **v)
        except (TypeError, ValueError, AttributeError):
            continue
    return healths, verdicts
