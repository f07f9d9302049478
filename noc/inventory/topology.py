"""The dependency graph: what each device needs to be reachable from the collector."""

from __future__ import annotations

from dataclasses import dataclass

from noc.inventory.model import Inventory


@dataclass(frozen=True)
class Topology:
    """Parent/child relations; `path(d)` runs from the collector's side down to `d`."""

    parents: dict[str, str | None]

    @classmethod
    def of(cls, inventory: Inventory) -> Topology:
        return cls({d.name: d.parent for d in inventory.devices})

    def ancestors(self, device: str) -> list[str]:
        """Devices between the collector and `device`, nearest first."""
        out: list[str] = []
        node = self.parents.get(device)
        while node is not None and node not in out:
            out.append(node)
            node = self.parents.get(node)
        return out

    def path(self, device: str) -> list[str]:
        """From the root (the collector's side) down to the device itself."""
        return [*reversed(self.ancestors(device)), device]

    def children(self, device: str) -> list[str]:
        return sorted(name for name, parent in self.parents.items() if parent == device)

    def roots(self) -> list[str]:
        return sorted(name for name, parent in self.parents.items() if parent is None)

    def descendants(self, device: str) -> list[str]:
        out: list[str] = []
        stack = self.children(device)
        while stack:
            node = stack.pop(0)
            out.append(node)
            stack.extend(self.children(node))
        return out
