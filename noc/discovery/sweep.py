"""The sweep: every address of the ranges asked for sysObjectID, sysName, sysDescr and
sysLocation, with a bound on requests in flight and on new requests a second; then each device
that answered is read for its interfaces and its neighbour tables. A silent address costs one
timeout and is counted, never an error."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from noc.discovery.neighbours import COLUMNS, Adjacency, adjacencies
from noc.discovery.segments import COLUMNS as L2_COLUMNS
from noc.discovery.segments import Layer2, layer2
from noc.snmp.client import (
    Budget,
    RequestStats,
    SnmpClient,
    SnmpError,
    Target,
    V2cAuth,
    V3Auth,
)
from noc.snmp.values import Tag

SYS = (1, 3, 6, 1, 2, 1, 1)
SYS_DESCR, SYS_OBJECT_ID, SYS_NAME, SYS_LOCATION = (
    (*SYS, 1, 0),
    (*SYS, 2, 0),
    (*SYS, 5, 0),
    (*SYS, 6, 0),
)
IF_DESCR = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
IF_SPEED = (1, 3, 6, 1, 2, 1, 2, 2, 1, 5)
IF_NAME = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1)
IF_HIGH_SPEED = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 15)
MAX_ADDRESSES = 65_536


@dataclass(frozen=True)
class Interface:
    index: int
    name: str
    speed_bps: int


@dataclass
class Found:
    """A device that answered."""

    address: str
    name: str
    object_id: str
    descr: str
    location: str
    interfaces: list[Interface] = field(default_factory=list)
    neighbours: list[Adjacency] = field(default_factory=list)
    l2: Layer2 = field(default_factory=Layer2)  # MACs, ARP, forwarding, LACP, spanning tree
    reason: str | None = None  # why its tables could not be read, if they could not
    credentials: str = ""  # the profile it answered


@dataclass
class Sweep:
    found: list[Found]
    asked: int
    silent: int
    seconds: float


def addresses(ranges: Iterable[str]) -> Iterator[str]:
    """Every host address of the ranges (a /32 is itself), in order; ValueError for a range
    that is not one, or more than MAX_ADDRESSES in all."""
    count = 0
    for text in ranges:
        network = ipaddress.ip_network(text, strict=False)
        hosts = [network.network_address] if network.num_addresses == 1 else network.hosts()
        for host in hosts:
            count += 1
            if count > MAX_ADDRESSES:
                raise ValueError(f"more than {MAX_ADDRESSES} addresses: sweep a smaller range")
            yield str(host)


def _text(value: object) -> str:
    raw = getattr(value, "value", None)
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace").strip()
    return "" if raw is None else str(raw)


async def probe(
    client: SnmpClient, address: str, port: int, auth: V2cAuth | V3Auth, timeout_s: float
) -> Found | None:
    target = Target(address, address, port, auth, timeout_s=timeout_s, retries=0)
    stats = RequestStats(budget=Budget.within(timeout_s * 2 + 1))
    try:
        got = await client.get(target, [SYS_DESCR, SYS_OBJECT_ID, SYS_NAME, SYS_LOCATION], stats)
    except SnmpError:
        return None
    oid = got.get(SYS_OBJECT_ID)
    if oid is None or oid.tag is not Tag.OBJECT_IDENTIFIER:
        return None
    return Found(
        address,
        _text(got.get(SYS_NAME)) or address,
        str(oid.value),
        _text(got.get(SYS_DESCR)),
        _text(got.get(SYS_LOCATION)),
    )


async def read_tables(
    client: SnmpClient, found: Found, port: int, auth: V2cAuth | V3Auth, timeout_s: float
) -> None:
    """Its interfaces (name and speed) and what its neighbour tables say."""
    target = Target(found.name, found.address, port, auth, timeout_s=timeout_s, retries=1)
    stats = RequestStats(budget=Budget.within(30, max_rows=10_000))
    try:
        walked = await client.bulk_walk(
            target, [IF_DESCR, IF_SPEED, IF_NAME, IF_HIGH_SPEED, *COLUMNS, *L2_COLUMNS], stats
        )
    except SnmpError as exc:
        found.reason = str(exc) or type(exc).__name__
        return
    names: dict[int, str] = {}
    for column in (IF_DESCR, IF_NAME):  # ifName wins where the device has it
        for index, value in walked.get(column, {}).items():
            if index and _text(value):
                names[index[-1]] = _text(value)
    speeds: dict[int, int] = {}
    for index, value in walked.get(IF_SPEED, {}).items():
        if index and isinstance(value.value, int):
            speeds[index[-1]] = value.value
    for index, value in walked.get(IF_HIGH_SPEED, {}).items():
        if (
            index
            and isinstance(value.value, int)
            and value.value * 1_000_000 > speeds.get(index[-1], 0)
        ):
            speeds[index[-1]] = value.value * 1_000_000
    found.interfaces = [Interface(i, names[i], max(1, speeds.get(i, 0))) for i in sorted(names)]
    found.neighbours = adjacencies(walked, names)
    found.l2 = layer2(walked, names)


async def sweep(
    client: SnmpClient,
    ranges: Iterable[str],
    auths: Mapping[str, V2cAuth | V3Auth],
    port: int = 161,
    concurrency: int = 1024,
    per_second: int = 1000,
    timeout_s: float = 1.0,
) -> Sweep:
    """Ask every address (no retry) with each credential profile in turn until one answers,
    at most `concurrency` addresses in flight and `per_second` new ones a second; then read
    the tables of those that answered, with the profile they answered."""
    started = time.monotonic()
    limit = asyncio.Semaphore(concurrency)
    found: list[Found] = []
    asked = 0

    async def one(address: str) -> None:
        try:
            for name, auth in auths.items():
                got = await probe(client, address, port, auth, timeout_s)
                if got is not None:
                    got.credentials = name
                    found.append(got)
                    return
        finally:
            limit.release()

    tasks = []
    for address in addresses(ranges):
        await limit.acquire()
        asked += 1
        tasks.append(asyncio.create_task(one(address)))
        pause = started + asked / per_second - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
    await asyncio.gather(*tasks)
    tables = asyncio.Semaphore(32)

    async def read(f: Found) -> None:
        async with tables:
            await read_tables(client, f, port, auths[f.credentials], timeout_s * 2)

    await asyncio.gather(*(read(f) for f in found))
    found.sort(key=lambda f: ipaddress.ip_address(f.address))
    return Sweep(found, asked, asked - len(found), time.monotonic() - started)
