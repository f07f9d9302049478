"""Poll one device as its profile says: scalars, then every table column in one bulk walk.

Slow detail columns (ifName, ifAlias, ifType, speeds) are cached per device and walked again
only when the cache is old, the device rebooted, or the set of ifIndexes changed. A device
whose every interface gave 64-bit octet counters at its last poll is not asked for the 32-bit
ones (asked at once when one goes missing), and packet counters are walked only for profiles
that export them (`export_packets`): 9 columns an interface instead of 19.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache

from noc.inventory.profiles import load_profile
from noc.polling.decode import (
    decode_counters,
    decode_details,
    decode_host,
    decode_radios,
    interface_indexes,
)
from noc.polling.samples import DetailCache, DeviceSample
from noc.snmp.client import Column, RequestStats, SnmpClient, Target
from noc.snmp.values import Oid, parse_oid

LABEL_MAX_AGE_S = 15 * 60


@dataclass(frozen=True)
class PollPlan:
    """A profile turned into OIDs: what to GET and which columns to walk."""

    scalars: dict[str, Oid]
    fast: dict[str, Oid]  # counters and statuses: every poll
    slow: dict[str, Oid]  # details: on the slow cadence
    narrow: dict[str, Oid] = field(default_factory=dict)  # 32-bit octets: when 64-bit lack

    def name_of(self) -> dict[Oid, str]:
        return {oid: name for name, oid in {**self.fast, **self.narrow, **self.slow}.items()}


# What only the packet series (`export_packets`) need.
PACKET_COLUMNS = frozenset(
    {
        "ifInUcastPkts",
        "ifOutUcastPkts",
        "ifHCInUcastPkts",
        "ifHCOutUcastPkts",
        "ifHCInMulticastPkts",
        "ifHCOutMulticastPkts",
        "ifHCInBroadcastPkts",
        "ifHCOutBroadcastPkts",
    }
)
NARROW_OCTETS = frozenset({"ifInOctets", "ifOutOctets"})


@cache
def plan_for(profile_name: str) -> PollPlan:
    profile = load_profile(profile_name)
    fast: dict[str, Oid] = {}
    slow: dict[str, Oid] = {}
    narrow: dict[str, Oid] = {}
    for table in profile.tables.values():
        for name, column in table.columns.items():
            if name in PACKET_COLUMNS and not profile.export_packets:
                continue
            kind = slow if column.slow else narrow if name in NARROW_OCTETS else fast
            kind[name] = parse_oid(column.oid)
    return PollPlan({n: parse_oid(o) for n, o in profile.scalars.items()}, fast, slow, narrow)


def _rebooted(cached: DetailCache, uptime: int | None) -> bool:
    return uptime is not None and cached.uptime_ticks is not None and uptime < cached.uptime_ticks


async def poll_device(
    client: SnmpClient,
    target: Target,
    plan: PollPlan,
    cached: DetailCache | None,
    stats: RequestStats,
    clock: Callable[[], float] = time.time,
) -> tuple[DeviceSample, DetailCache]:
    """One poll; raises SnmpError when the device cannot be polled."""
    scalars = await client.get(target, list(plan.scalars.values()), stats)
    by_name = {name: scalars.get(oid) for name, oid in plan.scalars.items()}
    uptime_value = by_name.get("sysUpTime")
    uptime = uptime_value.value if uptime_value and isinstance(uptime_value.value, int) else None
    now = clock()

    refresh = (
        cached is None or now - cached.fetched_at > LABEL_MAX_AGE_S or _rebooted(cached, uptime)
    )
    if refresh or cached is None:
        columns = {**plan.fast, **plan.narrow, **plan.slow}
    else:
        columns = dict(plan.fast) if cached.wide else {**plan.fast, **plan.narrow}
    walked = await _walk(client, target, columns, stats)
    if not refresh and cached is not None:
        interfaces = {n: c for n, c in walked.items() if n in _interface_columns()}
        if interface_indexes(interfaces) != set(cached.details):  # ifIndex set changed
            rest = {n: oid for n, oid in {**plan.narrow, **plan.slow}.items() if n not in walked}
            walked.update(await _walk(client, target, rest, stats))
            refresh = True
    interface_walk = {n: c for n, c in walked.items() if n in _interface_columns()}
    counters = decode_counters(interface_walk)
    wide = bool(counters) and all(c.counter_bits == 64 for c in counters.values())
    if not wide and plan.narrow and not all(n in walked for n in plan.narrow):
        # The 64-bit counters were there and are not now (an agent that stopped giving them):
        # the 32-bit ones at once, not at the next full walk.
        walked.update(await _walk(client, target, plan.narrow, stats))
        interface_walk = {n: c for n, c in walked.items() if n in _interface_columns()}
        counters = decode_counters(interface_walk)
    timestamp = clock()
    if refresh or cached is None:
        # Details of the interface table only: rows of other tables (hrStorage, hrProcessor)
        # are not interfaces, and counting them made every poll look like a new ifIndex set.
        cached = DetailCache(decode_details(interface_walk), timestamp, uptime, wide)
    else:
        cached = replace(cached, uptime_ticks=uptime, wide=wide)

    def text(name: str) -> str | None:
        value = by_name.get(name)
        return None if value is None or value.is_exception else value.as_text()

    cpu, storage = decode_host(walked)
    sample = DeviceSample(
        device=target.name,
        timestamp=timestamp,
        uptime_ticks=uptime,
        sys_name=text("sysName"),
        sys_descr=text("sysDescr"),
        sys_object_id=text("sysObjectID"),
        details=cached.details,
        counters=counters,
        radios=decode_radios(walked),
        cpu_load_pct=cpu,
        storage_used_ratio=storage,
    )
    return sample, cached


@cache
def _interface_columns() -> frozenset[str]:
    return frozenset(load_profile("if_mib").tables["interfaces"].columns)


async def _walk(
    client: SnmpClient, target: Target, columns: dict[str, Oid], stats: RequestStats
) -> dict[str, Column]:
    if not columns:
        return {}
    result = await client.bulk_walk(target, list(columns.values()), stats)
    return {name: result.get(oid, {}) for name, oid in columns.items()}
