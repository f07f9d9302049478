"""Vendor and model from a device's sysObjectID: the enterprise number names the vendor, and
product OIDs that vendors publish name the model. Shipped as data (`data/vendors.tsv`)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from noc.snmp.values import Oid


@cache
def _table() -> dict[Oid, tuple[str, str]]:
    text = resources.files("noc.snmp").joinpath("data/vendors.tsv").read_text("utf-8")
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        oid, vendor, model = [*line.split("\t"), "", ""][:3]
        out[tuple(int(x) for x in oid.split("."))] = (vendor, model.strip())
    return out


def identify(sys_object_id: str | None) -> tuple[str | None, str | None]:
    """(vendor, model) for a sysObjectID such as `1.3.6.1.4.1.9.1.1208`; None where the OID
    does not tell. The longest known prefix wins."""
    if not sys_object_id:
        return None, None
    try:
        oid = tuple(int(x) for x in sys_object_id.strip().lstrip(".").split("."))
    except ValueError:
        return None, None
    table = _table()
    vendor = model = None
    for length in range(len(oid), 6, -1):
        found = table.get(oid[:length])
        if found is None:
            continue
        vendor = vendor or found[0]
        if found[1] and model is None and length == len(oid):
            model = found[1]
        if vendor:
            break
    return vendor, model
