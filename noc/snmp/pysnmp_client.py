"""SnmpClient on pysnmp's asyncio API (v1, v2c, v3 USM with SHA/SHA-2 and AES)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
)
from pysnmp.proto import errind, rfc1902, rfc1905

from noc.snmp.client import (
    Column,
    RequestStats,
    SnmpAuthError,
    SnmpError,
    SnmpProtocolError,
    SnmpTimeout,
    Target,
    V2cAuth,
    check_walk,
    walk_step,
)
from noc.snmp.usm import AUTH_PROTOCOLS, PRIV_PROTOCOLS
from noc.snmp.values import Oid, Tag, Value

_TAGS: list[tuple[Any, Tag]] = [
    (rfc1902.Counter32.tagSet, Tag.COUNTER32),
    (rfc1902.Gauge32.tagSet, Tag.GAUGE32),
    (rfc1902.TimeTicks.tagSet, Tag.TIMETICKS),
    (rfc1902.Counter64.tagSet, Tag.COUNTER64),
    (rfc1902.IpAddress.tagSet, Tag.IP_ADDRESS),
    (rfc1902.Opaque.tagSet, Tag.OPAQUE),
    (rfc1902.Integer32.tagSet, Tag.INTEGER),
    (rfc1902.OctetString.tagSet, Tag.OCTET_STRING),
    (rfc1902.ObjectIdentifier.tagSet, Tag.OBJECT_IDENTIFIER),
    (rfc1905.NoSuchObject.tagSet, Tag.NO_SUCH_OBJECT),
    (rfc1905.NoSuchInstance.tagSet, Tag.NO_SUCH_INSTANCE),
    (rfc1905.EndOfMibView.tagSet, Tag.END_OF_MIB_VIEW),
]
_AUTH_ERRORS = (
    errind.WrongDigest,
    errind.UnknownUserName,
    errind.UnsupportedSecurityLevel,
    errind.DecryptionError,
    errind.AuthenticationError,
    errind.AuthenticationFailure,
)


def decode(value: Any) -> Value:
    tag_set = value.tagSet
    tag = next((tag for known, tag in _TAGS if tag_set == known), None)
    if tag is None:
        return Value(Tag.NULL, None)
    if tag in (Tag.NO_SUCH_OBJECT, Tag.NO_SUCH_INSTANCE, Tag.END_OF_MIB_VIEW):
        return Value(tag, None)
    if tag in (Tag.OCTET_STRING, Tag.OPAQUE):
        return Value(tag, bytes(value))
    if tag is Tag.IP_ADDRESS:
        return Value(tag, ".".join(str(b) for b in bytes(value)))
    if tag is Tag.OBJECT_IDENTIFIER:
        return Value(tag, str(value))
    return Value(tag, int(value))


class PysnmpClient:
    """pysnmp engines: one for every community-based target, and one per distinct SNMPv3
    credential, because pysnmp keys its USM table by user name alone: two targets with the same
    user and different keys would otherwise overwrite each other's keys mid-request."""

    def __init__(self) -> None:
        self.engine = SnmpEngine()
        self._engines: dict[str, Any] = {}
        self._transports: dict[tuple[str, int, float, int], Any] = {}

    async def close(self) -> None:
        for engine in [self.engine, *self._engines.values()]:
            engine.close_dispatcher()

    def _engine(self, target: Target) -> Any:
        auth = target.auth
        if isinstance(auth, V2cAuth):
            return self.engine
        material = "\0".join(
            [
                auth.user,
                auth.auth_protocol,
                auth.auth_key.get_secret_value(),
                auth.priv_protocol or "",
                auth.priv_key.get_secret_value() if auth.priv_key else "",
            ]
        )
        key = hashlib.sha256(material.encode()).hexdigest()
        engine = self._engines.get(key)
        if engine is None:
            engine = self._engines[key] = SnmpEngine()
        return engine

    def _auth(self, target: Target) -> Any:
        auth = target.auth
        if isinstance(auth, V2cAuth):
            return CommunityData(
                auth.community.get_secret_value(), mpModel=0 if auth.version == "1" else 1
            )
        return UsmUserData(
            auth.user,
            auth.auth_key.get_secret_value(),
            auth.priv_key.get_secret_value() if auth.priv_key else None,
            authProtocol=AUTH_PROTOCOLS[auth.auth_protocol],
            privProtocol=PRIV_PROTOCOLS[auth.priv_protocol],
        )

    async def _transport(self, target: Target) -> Any:
        key = (target.address, target.port, target.timeout_s, target.retries)
        transport = self._transports.get(key)
        if transport is None:
            transport = await UdpTransportTarget.create(
                (target.address, target.port), timeout=target.timeout_s, retries=target.retries
            )
            self._transports[key] = transport
        return transport

    async def _request(
        self, target: Target, stats: RequestStats, send: Any, *args: Any
    ) -> list[tuple[Oid, Value]]:
        stats.admit()
        stats.requests += 1
        error_indication, error_status, _, var_binds = await send(
            self._engine(target),
            self._auth(target),
            await self._transport(target),
            ContextData(),
            *args,
            lookupMib=False,
        )
        if error_indication:
            if isinstance(error_indication, errind.RequestTimedOut):
                stats.timeouts += 1
                raise SnmpTimeout(f"after {target.retries + 1} tries of {target.timeout_s:g}s")
            if isinstance(error_indication, _AUTH_ERRORS):
                raise SnmpAuthError(str(error_indication))
            raise SnmpError(str(error_indication))
        status = int(error_status)
        if status == 1:
            raise _TooBig
        if status:
            raise SnmpProtocolError(f"error-status {error_status.prettyPrint()}")
        out = [(tuple(name), decode(value)) for name, value in var_binds]
        stats.varbinds += len(out)
        stats.received(
            sum(len(n) + (len(v.value) if isinstance(v.value, bytes) else 8) for n, v in out)
        )
        return out

    async def get(
        self, target: Target, oids: Sequence[Oid], stats: RequestStats
    ) -> dict[Oid, Value]:
        objects = [ObjectType(ObjectIdentity(rfc1902.ObjectName(oid))) for oid in oids]
        return dict(await self._request(target, stats, get_cmd, *objects))

    async def bulk_walk(
        self, target: Target, columns: Sequence[Oid], stats: RequestStats
    ) -> dict[Oid, Column]:
        out: dict[Oid, Column] = {}
        cursors: dict[Oid, Oid] = dict.fromkeys(columns, ())
        repetitions = target.max_repetitions
        while cursors:
            open_columns = list(cursors)
            objects = [
                ObjectType(ObjectIdentity(rfc1902.ObjectName(c + cursors[c]))) for c in open_columns
            ]
            try:
                flat = await self._request(target, stats, bulk_cmd, 0, repetitions, *objects)
            except _TooBig:
                stats.too_big += 1
                if repetitions == 1:
                    raise SnmpProtocolError("tooBig even with one repetition") from None
                repetitions = max(1, repetitions // 2)
                continue
            if not flat:
                break
            width = len(open_columns)
            rows = [flat[i : i + width] for i in range(0, len(flat), width)]
            walk_step(open_columns, cursors, rows, out)
            check_walk(stats, open_columns, out)
        return out


class _TooBig(Exception):
    pass
