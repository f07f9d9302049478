"""Serve simulated devices over real SNMP (v1, v2c, v3 USM).

One UDP endpoint per device address. A small responder answers GET, GETNEXT and GETBULK from
the device's computed view, bypassing any MIB instrumentation:

- v2c read requests, and v3 ones that verify and are in the engine's time window (AES-128 or
  no privacy), are decoded and answered with the toolkit's own codec (`noc.snmp.ber`, `v3`),
  straight from the endpoint;
- everything else (v1, v3 engine discovery and the reports a bad v3 request earns, other PDUs,
  unknown communities, what does not decode) goes through pysnmp's engine, as before.

That is what makes serving ~150 devices cheap enough to run beside the collector: a poll of
the whole network costs the lab a fraction of a second of CPU instead of seconds.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from pyasn1.type import univ
from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.entity import config, engine
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.proto.api import v2c
from pysnmp.proto.proxy import rfc2576

from noc.inventory.model import Inventory, SnmpV2c
from noc.inventory.secrets import resolve_secret
from noc.lab.builder import LabAgent
from noc.lab.clock import LabClock
from noc.lab.device import SimDevice
from noc.snmp import ber, v3
from noc.snmp.usm import AUTH_PROTOCOLS, PRIV_PROTOCOLS
from noc.snmp.values import Oid, Tag, Value

log = logging.getLogger(__name__)

# Bytes a response may hold; like snmpd, stay within one unfragmented Ethernet datagram.
RESPONSE_BUDGET = 1400
MAX_BULK_VARBINDS = 200

_ENCODE = {
    Tag.INTEGER: rfc1902.Integer32,
    Tag.OCTET_STRING: rfc1902.OctetString,
    Tag.OBJECT_IDENTIFIER: rfc1902.ObjectIdentifier,
    Tag.IP_ADDRESS: rfc1902.IpAddress,
    Tag.COUNTER32: rfc1902.Counter32,
    Tag.GAUGE32: rfc1902.Gauge32,
    Tag.TIMETICKS: rfc1902.TimeTicks,
    Tag.OPAQUE: rfc1902.Opaque,
    Tag.COUNTER64: rfc1902.Counter64,
}
_EXCEPTION = {
    Tag.NO_SUCH_OBJECT: rfc1905.noSuchObject,
    Tag.NO_SUCH_INSTANCE: rfc1905.noSuchInstance,
    Tag.END_OF_MIB_VIEW: rfc1905.endOfMibView,
}
_GET = rfc1905.GetRequestPDU.tagSet
_NEXT = rfc1905.GetNextRequestPDU.tagSet
_BULK = rfc1905.GetBulkRequestPDU.tagSet


def encode(value: Value) -> Any:
    if value.tag in _EXCEPTION:
        return _EXCEPTION[value.tag]
    if value.tag is Tag.NULL:
        return univ.Null("")
    return _ENCODE[value.tag](value.value)


def _size(oid: Oid, value: Value) -> int:
    payload = value.value
    length = len(payload) if isinstance(payload, bytes | str) else 9
    return len(oid) + length + 8


@dataclass(frozen=True)
class Credentials:
    """What the lab answers to, for its own codec: each v2c community with the security names
    it stands for, and each v3 user it can decrypt itself (AES-128) with its passphrases."""

    communities: dict[bytes, set[str]] = field(default_factory=dict)
    users: dict[bytes, tuple[str, bytes, bytes | None]] = field(default_factory=dict)

    def keys(self, user: bytes, engine_id: bytes) -> v3.UsmKeys | None:
        found = self.users.get(user)
        return None if found is None else v3.keys_for(*found, engine_id)


@dataclass
class _Request:
    """A read request decoded by the lab's own codec, and how to wrap its response PDU."""

    names: set[str]
    pdu: ber.Pdu
    wrap: Callable[[bytes], bytes]


class LabResponder:
    """Answers read requests for every simulated device registered with it."""

    def __init__(
        self,
        snmp_engine: Any,
        agents: dict[tuple[int, ...], SimDevice],
        clock: LabClock,
        credentials: Credentials | None = None,
    ) -> None:
        self.engine = snmp_engine
        self.agents = agents
        self.clock = clock
        self.credentials = credentials or Credentials()
        self.served = 0
        self.dropped = 0
        self._salt = random.getrandbits(64)
        snmp_engine.message_dispatcher.register_context_engine_id(
            b"", (_GET, _NEXT, _BULK), self.process_pdu
        )
        engine_id, boots, engine_time = snmp_engine.get_mib_builder().import_symbols(
            "__SNMP-FRAMEWORK-MIB", "snmpEngineID", "snmpEngineBoots", "snmpEngineTime"
        )
        self._engine_id: bytes = bytes(engine_id.syntax)
        self._boots, self._time = boots, engine_time

    def engine_clock(self) -> tuple[int, int]:
        """The engine's boots and time, as pysnmp's engine reports them in its own replies."""
        return int(self._boots.syntax), int(self._time.syntax.clone())

    # --- pysnmp's engine: v1, v3 discovery and errors, what the lab's codec leaves --------

    def process_pdu(
        self,
        snmp_engine: Any,
        mp_model: int,
        security_model: int,
        security_name: Any,
        security_level: int,
        context_engine_id: Any,
        context_name: Any,
        pdu_version: int,
        pdu: Any,
        max_size: int,
        state_ref: Any,
    ) -> None:
        domain, _ = snmp_engine.message_dispatcher.get_transport_info(state_ref)
        device = self.agents.get(tuple(domain))
        if device is None:
            self.dropped += 1
            return
        if not self._admitted(device, {str(security_name)}):
            return
        original = pdu
        if mp_model == 0:
            pdu = rfc2576.v1_to_v2(pdu)
        response = v2c.apiPDU.get_response(pdu)
        requested = [tuple(oid) for oid, _ in v2c.apiPDU.get_varbinds(pdu)]
        a, b = 0, 0
        if pdu.tagSet == _BULK:
            a = int(v2c.apiBulkPDU.get_non_repeaters(pdu))
            b = int(v2c.apiBulkPDU.get_max_repetitions(pdu))
        kind = {_GET: ber.GET, _NEXT: ber.GETNEXT, _BULK: ber.GETBULK}[pdu.tagSet]
        status, answer = self._answer(device, kind, requested, a, b, max_size)
        v2c.apiPDU.set_error_status(response, status)
        v2c.apiPDU.set_varbinds(response, [(rfc1902.ObjectName(o), encode(v)) for o, v in answer])
        if mp_model == 0:
            response = rfc2576.v2_to_v1(response, original)
        self._deliver(
            device,
            lambda: snmp_engine.message_dispatcher.return_response_pdu(
                snmp_engine,
                mp_model,
                security_model,
                security_name,
                security_level,
                context_engine_id,
                context_name,
                pdu_version,
                response,
                max_size,
                state_ref,
                {},
            ),
        )

    # --- the lab's own codec: v2c, and v3 requests that are in time and verify -------------

    def answer(self, device: SimDevice, datagram: bytes, reply: Callable[[bytes], None]) -> bool:
        """Answer a read request to `device` with the toolkit's own codec. False: not one it
        takes (v1, another PDU, an unknown community or user, a v3 request that needs a
        report: discovery, out of its time window, a wrong digest), for pysnmp's engine to
        handle as it does."""
        try:
            request = self._open(datagram)
            if request is None:
                return False
            requested = [ber.decode_oid(raw) for raw, _ in request.pdu.varbinds]
        except (ber.DecodeError, ValueError):
            return False
        if not self._admitted(device, request.names):
            return True
        pdu = request.pdu
        status, varbinds = self._answer(
            device, pdu.pdu_type, requested, pdu.error_status, pdu.error_index, RESPONSE_BUDGET
        )
        try:
            response = request.wrap(ber.encode_response(pdu.request_id, status, 0, varbinds))
        except ValueError as exc:  # a value the recording holds but SNMP cannot carry
            log.debug("response from %s not encoded: %s", device.name, exc)
            self.dropped += 1
            return True
        self._deliver(device, lambda: reply(response))
        return True

    def _open(self, datagram: bytes) -> _Request | None:
        if ber.message_version(datagram) == 1:
            message = ber.decode_community_message(datagram)
            names = self.credentials.communities.get(message.community)
            if names is None or message.pdu.pdu_type not in _LEAN_PDUS:
                return None
            community = message.community
            return _Request(
                names, message.pdu, lambda pdu: ber.encode_community_message(1, community, pdu)
            )
        v3m = ber.decode_v3_message(datagram)
        keys = self.credentials.keys(v3m.user, self._engine_id)
        boots, now = self.engine_clock()
        if (
            keys is None
            or v3m.security_model != 3
            or not v3m.flags & 0x01
            or v3m.engine_id != self._engine_id
            or v3m.boots != boots
            or abs(v3m.engine_time - now) > 150  # RFC 3414 3.2.7: outside the time window
            or not v3.verify(keys, v3m.raw, v3m.auth_offset, v3m.auth_params)
        ):
            return None
        if v3m.encrypted:
            if keys.priv_key is None:
                return None
            plain = v3.decrypt(keys, v3m.boots, v3m.engine_time, v3m.priv_params, v3m.data)
        else:
            plain, keys = v3m.data, replace(keys, priv_key=None)  # answered as asked: no privacy
        scoped = ber.decode_scoped_pdu(plain)
        if scoped.pdu.pdu_type not in _LEAN_PDUS:
            return None

        def wrap(pdu: bytes) -> bytes:
            boots, now = self.engine_clock()
            self._salt = (self._salt + 1) % 2**64
            body = ber.encode_scoped_pdu(scoped.engine_id, scoped.context_name, pdu)
            return v3.seal(
                keys,
                v3m.msg_id,
                MAX_MESSAGE_SIZE,
                self._engine_id,
                boots,
                now,
                v3m.user,
                body,
                self._salt.to_bytes(8, "big"),
                reportable=False,
            )

        return _Request({v3m.user.decode(errors="replace")}, scoped.pdu, wrap)

    # --- shared ----------------------------------------------------------------------------

    def _admitted(self, device: SimDevice, names: set[str]) -> bool:
        """Whether `device` answers at all: a real agent stays silent when it is down, for a
        community or user it does not know, and for what the network loses."""
        if device.down or not names & device.accepts:
            self.dropped += 1
            return False
        if device.loss and random.random() < device.loss:
            self.dropped += 1
            return False
        return True

    def _deliver(self, device: SimDevice, send: Callable[[], object]) -> None:
        """Send the response now, or after the device's delay; one that cannot be sent is a
        drop, as on a real agent."""

        def attempt() -> None:
            try:
                send()
                self.served += 1
            except Exception as exc:
                log.debug("response from %s not sent: %s", device.name, exc)
                self.dropped += 1

        if device.slow_s > 0:
            asyncio.get_running_loop().call_later(device.slow_s, attempt)
        else:
            attempt()

    def _answer(
        self,
        device: SimDevice,
        kind: int,
        requested: list[Oid],
        non_repeaters: int,
        max_repetitions: int,
        max_size: int,
    ) -> tuple[int, list[tuple[Oid, Value]]]:
        """The error status and the varbinds of the response."""
        now = self.clock.now()
        if kind == ber.GET:
            return 0, [(oid, device.get(oid, now)) for oid in requested]
        if device.non_increasing:
            return 0, [(oid, Value(Tag.INTEGER, 0)) for oid in requested]
        if kind == ber.GETNEXT:
            return 0, [device.next(oid, now) for oid in requested]
        if device.too_big_above is not None and max_repetitions > device.too_big_above:
            return 1, []  # tooBig
        non_rep = max(0, min(non_repeaters, len(requested)))
        max_rep = max(0, max_repetitions)
        budget = min(RESPONSE_BUDGET, max_size or RESPONSE_BUDGET)
        out: list[tuple[Oid, Value]] = []
        for oid in requested[:non_rep]:
            found, value = device.next(oid, now)
            budget -= _size(found, value)
            out.append((found, value))
        cursors = requested[non_rep:]
        for _ in range(max_rep):
            if not cursors or len(out) + len(cursors) > MAX_BULK_VARBINDS:
                break
            row = [device.next(oid, now) for oid in cursors]
            cost = sum(_size(o, v) for o, v in row)
            if cost > budget and out:
                break
            budget -= cost
            out.extend(row)
            cursors = [o for o, _ in row]
            if all(v.tag is Tag.END_OF_MIB_VIEW for _, v in row):
                break
        return 0, out


_LEAN_PDUS = frozenset({ber.GET, ber.GETNEXT, ber.GETBULK})
MAX_MESSAGE_SIZE = 65507  # what pysnmp's engine announces in its own replies


class _Endpoint:
    """A device's UDP endpoint: read requests the lab's codec takes are answered here, the
    rest goes on to pysnmp's engine (the transport's own `datagram_received`)."""

    responder: LabResponder | None = None
    device: SimDevice | None = None
    transport: Any

    def datagram_received(self, datagram: bytes, address: Any) -> None:
        responder, device = self.responder, self.device
        if (
            responder is not None
            and device is not None
            and responder.answer(
                device, datagram, lambda data: self.transport.sendto(data, address)
            )
        ):
            return
        super().datagram_received(datagram, address)  # type: ignore[misc]


class _Udp(_Endpoint, udp.UdpAsyncioTransport):  # type: ignore[misc]
    pass


class _Udp6(_Endpoint, udp6.Udp6AsyncioTransport):  # type: ignore[misc]
    pass


def configure_security(
    snmp_engine: Any, inv: Inventory, extra_communities: Iterable[str]
) -> Credentials:
    """Teach the engine every credential profile of the inventory (communities, v3 users),
    and return them for the lab's own codec."""
    known = Credentials()
    for name, cred in inv.credentials.items():
        users = [d for d in inv.devices if d.credentials == name]
        if isinstance(cred, SnmpV2c):
            community = resolve_secret(cred.community, users).get_secret_value()
            config.add_v1_system(snmp_engine, name, community)
            known.communities.setdefault(community.encode(), set()).add(name)
        else:
            auth = resolve_secret(cred.auth_key, users).get_secret_value()
            priv = (
                resolve_secret(cred.priv_key, users).get_secret_value()
                if cred.priv_key is not None
                else None
            )
            config.add_v3_user(
                snmp_engine,
                cred.user,
                AUTH_PROTOCOLS[cred.auth_protocol],
                auth,
                PRIV_PROTOCOLS[cred.priv_protocol],
                priv,
            )
            user = cred.user.encode()
            if cred.priv_protocol not in (None, *v3.PRIV_KEY_BYTES) or user in known.users:
                known.users.pop(user, None)  # pysnmp's engine decides (and the last one wins)
            else:
                known.users[user] = (
                    cred.auth_protocol,
                    auth.encode(),
                    priv.encode() if priv else None,
                )
    for community in extra_communities:
        config.add_v1_system(snmp_engine, f"rec-{community}", community)
        known.communities.setdefault(community.encode(), set()).add(f"rec-{community}")
    return known


def check_loopback(agents: Iterable[LabAgent]) -> None:
    for agent in agents:
        if not ipaddress.ip_address(agent.address).is_loopback:
            raise ValueError(
                f"the lab serves loopback addresses only; {agent.device.name} is at {agent.address}"
            )


async def start_agents(
    inv: Inventory,
    agents: list[LabAgent],
    recordings: Iterable[str] = (),
    clock: LabClock | None = None,
) -> LabResponder:
    """Open one UDP endpoint per agent and start answering."""
    check_loopback(agents)
    snmp_engine = engine.SnmpEngine()
    credentials = configure_security(snmp_engine, inv, recordings)
    responder = LabResponder(snmp_engine, {}, clock or LabClock(), credentials)
    transports = []
    for number, agent in enumerate(agents, start=1):
        six = ipaddress.ip_address(agent.address).version == 6
        domain = (*(udp6 if six else udp).DOMAIN_NAME, number)
        endpoint: _Endpoint = _Udp6() if six else _Udp()
        endpoint.responder, endpoint.device = responder, agent.device
        transport = endpoint.open_server_mode((agent.address, agent.port))  # type: ignore[attr-defined]
        config.add_transport(snmp_engine, domain, transport)
        transports.append(transport)
        responder.agents[domain] = agent.device
    # open_server_mode schedules the bind; wait for every endpoint so errors surface here.
    for transport in transports:
        await transport._lport
    dispatcher = snmp_engine.transport_dispatcher
    dispatcher.job_started(1)
    return responder
