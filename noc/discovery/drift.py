"""Drift: what the live neighbour tables say that the inventory does not. Pure: what was read
in, findings out, each with its kind (device, link, parent) and one line for people."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from noc.discovery.propose import graph, name_of
from noc.discovery.sweep import Found
from noc.inventory.model import Inventory


@dataclass(frozen=True)
class Finding:
    kind: str  # device, link, parent
    text: str


def drift(inv: Inventory, found: Sequence[Found]) -> list[Finding]:
    by_address = {str(d.address) for d in inv.devices}
    out = [
        Finding("device", f"a device answers where the inventory has none: {f.address} ({f.name})")
        for f in found
        if f.address not in by_address and name_of(f) not in inv.devices_by_name
    ]
    have = {frozenset({ln.a.device, ln.b.device}) for ln in inv.links if ln.b is not None}
    near: dict[str, set[str]] = {}
    for e in graph(found):
        near.setdefault(e.a, set()).add(e.b)
        near.setdefault(e.b, set()).add(e.a)
        if frozenset({e.a, e.b}) not in have:
            out.append(
                Finding("link", f"a link the inventory lacks: {e.a} {e.a_if} - {e.b} {e.b_if}")
            )
    seen = {name_of(f) for f in found}
    read = {name_of(f) for f in found if f.reason is None}
    for d in inv.devices:
        if not d.parent or d.name not in read or d.parent not in seen:
            continue
        if d.parent not in near.get(d.name, set()):
            out.append(Finding("parent", f"{d.name}: its parent {d.parent} is no longer adjacent"))
    return out


@dataclass
class DriftState:
    """The last check inside `noc serve`, for /metrics."""

    findings: list[Finding] | None = None  # None: not checked yet
    at: float | None = None
    devices: int = 0  # devices whose tables were read
