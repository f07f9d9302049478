"""The Kota Bogor network as code: model, loader, cross-checks, topology and profiles."""

from noc.inventory.errors import InventoryError, InventoryIssue
from noc.inventory.loader import load_inventory
from noc.inventory.model import Device, Inventory, Link, Site
from noc.inventory.topology import Topology

__all__ = [
    "Device",
    "Inventory",
    "InventoryError",
    "InventoryIssue",
    "Link",
    "Site",
    "Topology",
    "load_inventory",
]
