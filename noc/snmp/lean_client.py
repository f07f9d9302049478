"""The poller's SNMP client on the lean BER codec: v1, v2c and v3 (USM: HMAC-SHA/SHA-2,
AES-128), over one asyncio UDP socket per address family, with requests matched to responses
by request id (v1/v2c) or message id (v3) and every field checked before it is trusted.

Targets this client does not speak (AES-192/256 privacy) go to the pysnmp client, which stays
the reference implementation.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from noc.snmp import ber, v3
from noc.snmp.client import (
    Column,
    RequestStats,
    SnmpAuthError,
    SnmpClient,
    SnmpProtocolError,
    SnmpTimeout,
    Target,
    V2cAuth,
    V3Auth,
    check_walk,
    fold_walk,
)
from noc.snmp.values import Oid, Value, format_oid

log = logging.getLogger(__name__)

ERROR_STATUS = {
    1: "tooBig",
    2: "noSuchName",
    3: "badValue",
    4: "readOnly",
    5: "genErr",
    6: "noAccess",
    7: "wrongType",
    8: "wrongLength",
    9: "wrongEncoding",
    10: "wrongValue",
    11: "noCreation",
    12: "inconsistentValue",
    13: "resourceUnavailable",
    14: "commitFailed",
    15: "undoFailed",
    16: "authorizationError",
    17: "notWritable",
    18: "inconsistentName",
}
_USM_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)
REPORTS: dict[Oid, str] = {
    (*_USM_STATS, 1, 0): "unsupported security level",
    (*_USM_STATS, 2, 0): "not in time window",
    (*_USM_STATS, 3, 0): "unknown user name",
    (*_USM_STATS, 4, 0): "unknown engine id",
    (*_USM_STATS, 5, 0): "wrong digest",
    (*_USM_STATS, 6, 0): "decryption error",
}
NOT_IN_TIME: Oid = (*_USM_STATS, 2, 0)
UNKNOWN_ENGINE: Oid = (*_USM_STATS, 4, 0)
MAX_SIZE = 65507
SOCKETS = 4  # per address family
RECEIVE_BUFFER = 4 * 1024 * 1024


class _TooBig(Exception):
    pass


@dataclass
class _Pending:
    future: asyncio.Future[Any]
    host: ipaddress.IPv4Address | ipaddress.IPv6Address
    port: int
    version: int
    community: bytes = b""


@dataclass
class _Engine:
    """What discovery learnt of an SNMPv3 agent, and when."""

    engine_id: bytes
    boots: int
    engine_time: int
    at: float = field(default_factory=time.monotonic)

    def now(self) -> tuple[int, int]:
        return self.boots, min(2**31 - 1, self.engine_time + int(time.monotonic() - self.at))


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, client: LeanClient) -> None:
        self.client = client

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self.client._received(data, addr)

    def error_received(self, exc: Exception) -> None:  # e.g. ICMP port unreachable
        log.debug("UDP error: %s", exc)


class LeanClient:
    def __init__(self) -> None:
        self._transports: dict[int, list[asyncio.DatagramTransport]] = {}
        self._opening: dict[int, asyncio.Lock] = {}
        self._pending: dict[int, _Pending] = {}
        self._id = random.SystemRandom().randrange(1, 2**30)
        self._salt = random.SystemRandom().getrandbits(64)
        self._engines: dict[tuple[str, int], _Engine] = {}
        self._fallback: SnmpClient | None = None
        self.dropped = 0  # datagrams that matched nothing or failed validation

    # --- transport ---------------------------------------------------------------------

    async def _socket(self, family: int, key: int) -> asyncio.DatagramTransport:
        """One of a few sockets per address family, picked by request id: responses that
        arrive together are spread over several receive buffers."""
        pool = self._transports.get(family)
        if pool is None:
            lock = self._opening.setdefault(family, asyncio.Lock())
            async with lock:
                if family not in self._transports:
                    self._transports[family] = [
                        await self._open_socket(family) for _ in range(SOCKETS)
                    ]
            pool = self._transports[family]
        return pool[key % len(pool)]

    async def _open_socket(self, family: int) -> asyncio.DatagramTransport:
        sock = socket.socket(socket.AF_INET if family == 4 else socket.AF_INET6, socket.SOCK_DGRAM)
        for option in (getattr(socket, "SO_RCVBUFFORCE", None), socket.SO_RCVBUF):
            if option is None:
                continue
            try:  # FORCE passes the kernel's rmem_max when allowed (root); else the capped size
                sock.setsockopt(socket.SOL_SOCKET, option, RECEIVE_BUFFER)
                break
            except OSError:
                continue
        sock.bind(("0.0.0.0", 0) if family == 4 else ("::", 0))  # noqa: S104 (replies only)
        sock.setblocking(False)
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: _Protocol(self), sock=sock
        )
        return transport

    def _next_id(self) -> int:
        self._id = self._id % (2**31 - 1) + 1
        while self._id in self._pending:
            self._id = self._id % (2**31 - 1) + 1
        return self._id

    def _received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        try:
            version = ber.message_version(data)
            if version == 3:
                message: Any = ber.decode_v3_message(data)
                key = message.msg_id
            else:
                message = ber.decode_community_message(data)
                key = message.pdu.request_id
        except ber.DecodeError as exc:
            self.dropped += 1
            log.debug("undecodable datagram from %s: %s", addr[0], exc)
            return
        pending = self._pending.get(key)
        if pending is None or pending.future.done() or pending.port != addr[1]:
            self.dropped += 1
            return
        try:
            host = ipaddress.ip_address(addr[0].split("%")[0])
        except ValueError:
            self.dropped += 1
            return
        if host != pending.host or version != pending.version:
            self.dropped += 1
            return
        if version != 3 and (
            message.community != pending.community or message.pdu.pdu_type != ber.RESPONSE
        ):
            self.dropped += 1
            return
        pending.future.set_result((message, len(data)))

    async def _exchange(
        self,
        target: Target,
        data: bytes,
        key: int,
        version: int,
        community: bytes,
        stats: RequestStats,
    ) -> Any:
        """Send and wait for the matching reply. Every wait is cut at the budget's deadline,
        and nothing here converts a cancellation into a result: `asyncio.wait` never swallows
        the caller's cancellation the way `wait_for(shield(...))` did on Python 3.11."""
        stats.admit()
        host = ipaddress.ip_address(target.address)
        transport = await self._socket(host.version, key)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[key] = _Pending(future, host, target.port, version, community)
        stats.requests += 1
        try:
            for attempt in range(target.retries + 1):
                wait = stats.wait_s(target.timeout_s)
                if wait <= 0:
                    break
                if attempt:
                    stats.retries += 1
                transport.sendto(data, (target.address, target.port))
                done, _ = await asyncio.wait((future,), timeout=wait)
                if done:
                    message, size = future.result()
                    stats.received(size)
                    return message
            stats.timeouts += 1
            stats.check_deadline()  # when that is what ended the waiting
            raise SnmpTimeout(f"after {target.retries + 1} tries of {target.timeout_s:g}s")
        finally:
            del self._pending[key]
            if not future.done():
                future.cancel()

    # --- v1 / v2c ----------------------------------------------------------------------

    async def _community_request(
        self,
        target: Target,
        auth: V2cAuth,
        pdu_type: int,
        names: list[bytes],
        a: int,
        b: int,
        stats: RequestStats,
    ) -> ber.Pdu:
        version = 0 if auth.version == "1" else 1
        community = auth.community.get_secret_value().encode()
        request_id = self._next_id()
        data = ber.encode_community_message(
            version, community, ber.encode_pdu(pdu_type, request_id, names, a, b)
        )
        message = await self._exchange(target, data, request_id, version, community, stats)
        return _checked(message.pdu, stats)

    # --- v3 ----------------------------------------------------------------------------

    async def _discover(self, target: Target, stats: RequestStats) -> _Engine:
        key = (target.address, target.port)
        known = self._engines.get(key)
        if known is not None:
            return known
        msg_id = self._next_id()
        scoped = ber.encode_scoped_pdu(b"", b"", ber.encode_pdu(ber.GET, self._next_id(), []))
        usm = ber.encode_usm(b"", 0, 0, b"", b"", b"")
        data = ber.encode_v3_message(msg_id, MAX_SIZE, 0x04, usm, scoped)
        reply: ber.V3Message = await self._exchange(target, data, msg_id, 3, b"", stats)
        if not reply.engine_id or not 5 <= len(reply.engine_id) <= 32:
            raise SnmpProtocolError("engine discovery: no valid engine id in the report")
        engine = _Engine(reply.engine_id, reply.boots, reply.engine_time)
        self._engines[key] = engine
        return engine

    async def _v3_request(
        self,
        target: Target,
        auth: V3Auth,
        pdu_type: int,
        names: list[bytes],
        a: int,
        b: int,
        stats: RequestStats,
    ) -> ber.Pdu:
        user = auth.user.encode()
        for _ in range(3):  # time window or engine id out of date: learn and send again
            engine = await self._discover(target, stats)
            keys = v3.keys_for(
                auth.auth_protocol,
                auth.auth_key.get_secret_value().encode(),
                auth.priv_key.get_secret_value().encode() if auth.priv_key else None,
                engine.engine_id,
            )
            msg_id, request_id = self._next_id(), self._next_id()
            scoped = ber.encode_scoped_pdu(
                engine.engine_id, b"", ber.encode_pdu(pdu_type, request_id, names, a, b)
            )
            boots, engine_time = engine.now()
            self._salt = (self._salt + 1) % 2**64
            data = v3.seal(
                keys,
                msg_id,
                MAX_SIZE,
                engine.engine_id,
                boots,
                engine_time,
                user,
                scoped,
                self._salt.to_bytes(8, "big"),
                reportable=True,
            )
            reply: ber.V3Message = await self._exchange(target, data, msg_id, 3, b"", stats)
            pdu = self._open(reply, keys, user, engine)
            if pdu.pdu_type == ber.REPORT:
                reported: Oid = pdu.decoded()[0][0] if pdu.varbinds else ()
                if reported == NOT_IN_TIME and reply.flags & 0x01:
                    engine.boots, engine.engine_time = reply.boots, reply.engine_time
                    engine.at = time.monotonic()
                    continue
                if reported == UNKNOWN_ENGINE:
                    self._engines.pop((target.address, target.port), None)
                    continue
                raise SnmpAuthError(REPORTS.get(reported, "report " + format_oid(reported)))
            if pdu.pdu_type != ber.RESPONSE or pdu.request_id != request_id:
                raise SnmpProtocolError("response does not match the request")
            if reply.flags & 0x01:  # authenticated: its clock is the agent's
                engine.boots, engine.engine_time = reply.boots, reply.engine_time
                engine.at = time.monotonic()
            return _checked(pdu, stats)
        raise SnmpAuthError("agent keeps reporting its time window or engine id changed")

    def _open(
        self, reply: ber.V3Message, keys: v3.UsmKeys, user: bytes, engine: _Engine
    ) -> ber.Pdu:
        """Verify and decrypt a v3 reply; unauthenticated replies may only be reports."""
        try:
            if reply.flags & 0x01:
                if reply.user != user or reply.engine_id != engine.engine_id:
                    raise SnmpAuthError("reply for another user or engine")
                if not v3.verify(keys, reply.raw, reply.auth_offset, reply.auth_params):
                    raise SnmpAuthError("reply digest does not verify")
                if reply.encrypted:
                    if keys.priv_key is None:
                        raise SnmpProtocolError("encrypted reply to a request without privacy")
                    plain = v3.decrypt(
                        keys, reply.boots, reply.engine_time, reply.priv_params, reply.data
                    )
                    return ber.decode_scoped_pdu(plain).pdu
                return ber.decode_scoped_pdu(reply.data).pdu
            if reply.encrypted:
                raise SnmpProtocolError("encrypted reply without authentication")
            pdu = ber.decode_scoped_pdu(reply.data).pdu
        except (ber.DecodeError, ValueError) as exc:
            raise SnmpProtocolError(f"undecodable v3 reply: {exc}") from None
        if pdu.pdu_type != ber.REPORT:
            raise SnmpAuthError("unauthenticated response to an authenticated request")
        return pdu

    # --- requests ----------------------------------------------------------------------

    async def _request(
        self,
        target: Target,
        pdu_type: int,
        names: list[bytes],
        a: int,
        b: int,
        stats: RequestStats,
    ) -> ber.Pdu:
        auth = target.auth
        if isinstance(auth, V2cAuth):
            pdu = await self._community_request(target, auth, pdu_type, names, a, b, stats)
        else:
            pdu = await self._v3_request(target, auth, pdu_type, names, a, b, stats)
        stats.varbinds += len(pdu.varbinds)
        stats.received(0)
        return pdu

    def _delegate(self, target: Target) -> SnmpClient | None:
        auth = target.auth
        if isinstance(auth, V3Auth) and auth.priv_protocol not in (None, *v3.PRIV_KEY_BYTES):
            if self._fallback is None:
                from noc.snmp.pysnmp_client import PysnmpClient

                self._fallback = PysnmpClient()
            return self._fallback
        return None

    async def get(
        self, target: Target, oids: Sequence[Oid], stats: RequestStats
    ) -> dict[Oid, Value]:
        other = self._delegate(target)
        if other is not None:
            return await other.get(target, oids, stats)
        pdu = await self._request(target, ber.GET, [ber.oid_content(o) for o in oids], 0, 0, stats)
        try:
            return dict(pdu.decoded())
        except ber.DecodeError as exc:
            raise SnmpProtocolError(str(exc)) from None

    async def bulk_walk(
        self, target: Target, columns: Sequence[Oid], stats: RequestStats
    ) -> dict[Oid, Column]:
        other = self._delegate(target)
        if other is not None:
            return await other.bulk_walk(target, columns, stats)
        v1 = isinstance(target.auth, V2cAuth) and target.auth.version == "1"
        prefixes = {column: ber.oid_content(column) for column in columns}
        cursors: dict[Oid, tuple[int, ...]] = dict.fromkeys(columns, ())
        out: dict[Oid, Column] = {}
        repetitions = target.max_repetitions
        while cursors:
            open_columns = list(cursors)
            names = [prefixes[c] + ber.encode_arcs(cursors[c]) for c in open_columns]
            try:
                if v1:
                    pdu = await self._request(target, ber.GETNEXT, names, 0, 0, stats)
                else:
                    pdu = await self._request(target, ber.GETBULK, names, 0, repetitions, stats)
            except _TooBig:
                stats.too_big += 1
                if repetitions == 1 or v1:
                    raise SnmpProtocolError("tooBig even with one repetition") from None
                repetitions = max(1, repetitions // 2)
                continue
            except _NoSuchName:  # v1's end of the MIB view
                break
            if not pdu.varbinds:
                break
            fold(open_columns, prefixes, cursors, pdu.varbinds, out)
            check_walk(stats, open_columns, out)
        return out

    async def close(self) -> None:
        for pool in self._transports.values():
            for transport in pool:
                transport.close()
        self._transports.clear()
        if self._fallback is not None:
            await self._fallback.close()


class _NoSuchName(SnmpProtocolError):
    pass


def _checked(pdu: ber.Pdu, stats: RequestStats) -> ber.Pdu:
    if pdu.error_status == 1:
        raise _TooBig
    if pdu.error_status == 2:
        raise _NoSuchName("error-status noSuchName")
    if pdu.error_status:
        name = ERROR_STATUS.get(pdu.error_status, str(pdu.error_status))
        raise SnmpProtocolError(f"error-status {name}")
    return pdu


def fold(
    requested: list[Oid],
    prefixes: dict[Oid, bytes],
    cursors: dict[Oid, tuple[int, ...]],
    varbinds: list[ber.RawVarbind],
    out: dict[Oid, Column],
) -> None:
    """One GETBULK response into `out` by `fold_walk`, reading each name as bytes: compared
    with the column's encoded prefix, and only the index suffix decoded."""

    def suffix_of(column: Oid, raw: bytes) -> Oid | None:
        prefix = prefixes[column]
        if not raw.startswith(prefix):
            return None
        try:
            return ber.decode_arcs(raw[len(prefix) :])
        except ber.DecodeError as exc:
            raise SnmpProtocolError(str(exc)) from None

    fold_walk(requested, cursors, varbinds, suffix_of, out)
