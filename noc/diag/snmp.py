"""`noc diag snmp`: GET and WALK by numeric OID or by the MIB names the toolkit polls."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from noc.diag.result import DiagRefused
from noc.inventory import Inventory
from noc.inventory.profiles import available_profiles, load_profile
from noc.snmp.client import Budget, RequestStats, SnmpClient, SnmpError, Target
from noc.snmp.values import Oid, Tag, Value, check_oid, format_oid, parse_oid

_NUMERIC = re.compile(r"^\.?\d+(\.\d+)+$")
_NAMED = re.compile(r"^([A-Za-z][A-Za-z0-9]*)((?:\.\d+)*)$")


@cache
def scalar_names() -> frozenset[str]:
    return frozenset(n for p in available_profiles() for n in load_profile(p).scalars)


@cache
def mib_names() -> dict[str, Oid]:
    """Object name -> OID, from every polling profile (scalars without their `.0`)."""
    names: dict[str, Oid] = {}
    for profile_name in sorted(available_profiles()):
        profile = load_profile(profile_name)
        for name, oid in profile.scalars.items():
            full = parse_oid(str(oid))
            names[name] = full[:-1] if full[-1] == 0 else full
        for table in profile.tables.values():
            for name, column in table.columns.items():
                names[name] = parse_oid(str(column.oid))
    return names


def resolve(text: str, instance: bool = False) -> Oid:
    """`1.3.6.1.2.1.1.3.0`, `sysUpTime` (with `instance`, a bare scalar gets its `.0`),
    `ifOperStatus.3`."""
    text = text.strip()
    try:
        if _NUMERIC.match(text):
            return check_oid(parse_oid(text))
        match = _NAMED.match(text)
        if match and match[1] in mib_names():
            suffix = tuple(int(x) for x in match[2].split(".") if x)
            if instance and not suffix and match[1] in scalar_names():
                suffix = (0,)
            return check_oid(mib_names()[match[1]] + suffix)
    except ValueError as exc:
        raise DiagRefused(f"bad object {text[:80]!r}: {exc}") from None
    raise DiagRefused(
        f"unknown object {text!r}: give a numeric OID or one of the names the toolkit polls "
        f"(e.g. sysUpTime, ifOperStatus, ifHCInOctets)"
    )


def name_of(oid: Oid) -> str:
    """The longest known name prefix, e.g. `ifHCInOctets.3`."""
    best: tuple[int, str] | None = None
    for name, prefix in mib_names().items():
        if oid[: len(prefix)] == prefix and (best is None or len(prefix) > best[0]):
            best = (len(prefix), name)
    if best is None:
        return format_oid(oid)
    rest = oid[best[0] :]
    return best[1] + ("." + format_oid(rest) if rest else "")


def show(value: Value) -> Any:
    if value.is_exception:
        return value.tag.name.lower()
    if value.tag in (Tag.OCTET_STRING, Tag.OPAQUE) and isinstance(value.value, bytes):
        text = value.value.decode("utf-8", errors="replace")
        return text if text.isprintable() else value.value.hex(":")
    return value.value


async def snmp_get(client: SnmpClient, target: Target, objects: list[str]) -> list[dict[str, Any]]:
    oids = [resolve(o, instance=True) for o in objects]
    stats = RequestStats()
    got = await client.get(target, oids, stats)
    return [_row(oid, got.get(oid)) for oid in oids]


def _row(oid: Oid, value: Value | None) -> dict[str, Any]:
    return {
        "oid": format_oid(oid),
        "name": name_of(oid),
        "type": "none" if value is None else value.tag.name,
        "value": None if value is None else show(value),
    }


WALK_DEADLINE_S = 30.0
WALK_MAX_BYTES = 16 * 1024 * 1024


async def snmp_walk(
    client: SnmpClient, target: Target, objects: list[str], limit: int = 10_000
) -> list[dict[str, Any]]:
    """Walk subtrees; the row cap, a deadline and a byte cap are enforced while walking, so
    an agent that never ends its table stops the walk with a reason instead of filling
    memory."""
    roots = [resolve(o) for o in objects]
    stats = RequestStats(
        budget=Budget.within(
            WALK_DEADLINE_S,
            max_rows=limit,
            max_varbinds=limit * len(roots) + 1000,
            max_bytes=WALK_MAX_BYTES,
        )
    )
    walked = await client.bulk_walk(target, roots, stats)
    rows: list[dict[str, Any]] = []
    for root in roots:
        for suffix, value in sorted(walked.get(root, {}).items()):
            rows.append(_row(root + suffix, value))
            if len(rows) >= limit:
                return rows
    return rows


def target_of(targets: dict[str, Target], inv: Inventory, device: str) -> Target:
    if device not in inv.devices_by_name:
        raise DiagRefused(f"unknown device {device!r}")
    return targets[device]


__all__ = ["SnmpError", "mib_names", "name_of", "resolve", "snmp_get", "snmp_walk", "target_of"]
