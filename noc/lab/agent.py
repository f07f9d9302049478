"""Serve simulated devices over real SNMP (v1, v2c, v3 USM) with pysnmp's engine.

One engine, one UDP endpoint per device address. Requests bypass pysnmp's MIB instrumentation:
a small responder answers GET, GETNEXT and GETBULK from the device's computed view, which is
what makes serving ~150 devices cheap enough to run beside the collector.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
from collections.abc import Iterable
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


class LabResponder:
    """Answers read requests for every simulated device registered with it."""

    def __init__(
        self, snmp_engine: Any, agents: dict[tuple[int, ...], SimDevice], clock: LabClock
    ) -> None:
        self.engine = snmp_engine
        self.agents = agents
        self.clock = clock
        self.served = 0
        self.dropped = 0
        snmp_engine.message_dispatcher.register_context_engine_id(
            b"", (_GET, _NEXT, _BULK), self.process_pdu
        )

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
        if device is None or device.down or str(security_name) not in device.accepts:
            self.dropped += 1  # a real agent stays silent for an unknown community
            return
        if device.loss and random.random() < device.loss:
            self.dropped += 1
            return
        original = pdu
        if mp_model == 0:
            pdu = rfc2576.v1_to_v2(pdu)
        response = v2c.apiPDU.get_response(pdu)
        if (
            device.too_big_above is not None
            and pdu.tagSet == _BULK
            and int(v2c.apiBulkPDU.get_max_repetitions(pdu)) > device.too_big_above
        ):
            v2c.apiPDU.set_error_status(response, 1)  # tooBig
            v2c.apiPDU.set_varbinds(response, [])
        else:
            v2c.apiPDU.set_varbinds(response, self._answer(device, pdu, max_size))
        if mp_model == 0:
            response = rfc2576.v2_to_v1(response, original)

        def send() -> None:
            try:
                snmp_engine.message_dispatcher.return_response_pdu(
                    snmp_engine, mp_model, security_model, security_name, security_level,
                    context_engine_id, context_name, pdu_version, response, max_size,
                    state_ref, {},
                )  # fmt: skip
                self.served += 1
            except Exception as exc:  # a response we cannot send is a drop, as on a real agent
                log.debug("response to %s not sent: %s", device.name, exc)
                self.dropped += 1

        if device.slow_s > 0:
            asyncio.get_running_loop().call_later(device.slow_s, send)
        else:
            send()

    def _answer(self, device: SimDevice, pdu: Any, max_size: int) -> list[tuple[Any, Any]]:
        now = self.clock.now()
        requested = [tuple(oid) for oid, _ in v2c.apiPDU.get_varbinds(pdu)]
        tag = pdu.tagSet
        if tag == _GET:
            return [(oid, encode(device.get(oid, now))) for oid in requested]
        if device.non_increasing and tag in (_NEXT, _BULK):
            return [(oid, encode(Value(Tag.INTEGER, 0))) for oid in requested]
        if tag == _NEXT:
            return [self._pair(*device.next(oid, now)) for oid in requested]
        non_rep = max(0, min(int(v2c.apiBulkPDU.get_non_repeaters(pdu)), len(requested)))
        max_rep = max(0, int(v2c.apiBulkPDU.get_max_repetitions(pdu)))
        budget = min(RESPONSE_BUDGET, max_size or RESPONSE_BUDGET)
        out: list[tuple[Any, Any]] = []
        for oid in requested[:non_rep]:
            found, value = device.next(oid, now)
            budget -= _size(found, value)
            out.append(self._pair(found, value))
        cursors = requested[non_rep:]
        for _ in range(max_rep):
            if not cursors or len(out) + len(cursors) > MAX_BULK_VARBINDS:
                break
            row = [device.next(oid, now) for oid in cursors]
            cost = sum(_size(o, v) for o, v in row)
            if cost > budget and out:
                break
            budget -= cost
            out.extend(self._pair(o, v) for o, v in row)
            cursors = [o for o, _ in row]
            if all(v.tag is Tag.END_OF_MIB_VIEW for _, v in row):
                break
        return out

    @staticmethod
    def _pair(oid: Oid, value: Value) -> tuple[Any, Any]:
        return rfc1902.ObjectName(oid), encode(value)


def configure_security(snmp_engine: Any, inv: Inventory, extra_communities: Iterable[str]) -> None:
    """Teach the engine every credential profile of the inventory (communities, v3 users)."""
    for name, cred in inv.credentials.items():
        users = [d for d in inv.devices if d.credentials == name]
        if isinstance(cred, SnmpV2c):
            community = resolve_secret(cred.community, users).get_secret_value()
            config.add_v1_system(snmp_engine, name, community)
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
    for community in extra_communities:
        config.add_v1_system(snmp_engine, f"rec-{community}", community)


def check_loopback(agents: Iterable[LabAgent]) -> None:
    for agent in agents:
        if not ipaddress.ip_address(agent.address).is_loopback:
            raise ValueError(
                f"the lab serves loopback addresses only; {agent.device.name} is at {agent.address}"
            )


async def start_agents(
    inv: Inventory, agents: list[LabAgent], recordings: Iterable[str] = (),
    clock: LabClock | None = None,
) -> LabResponder:  # fmt: skip
    """Open one UDP endpoint per agent and start answering."""
    check_loopback(agents)
    snmp_engine = engine.SnmpEngine()
    configure_security(snmp_engine, inv, recordings)
    by_domain: dict[tuple[int, ...], SimDevice] = {}
    transports = []
    for number, agent in enumerate(agents, start=1):
        module: Any = udp6 if ipaddress.ip_address(agent.address).version == 6 else udp
        domain = (*module.DOMAIN_NAME, number)
        transport = module.UdpAsyncioTransport().open_server_mode((agent.address, agent.port))
        config.add_transport(snmp_engine, domain, transport)
        transports.append(transport)
        by_domain[domain] = agent.device
    # open_server_mode schedules the bind; wait for every endpoint so errors surface here.
    for transport in transports:
        await transport._lport
    dispatcher = snmp_engine.transport_dispatcher
    dispatcher.job_started(1)
    return LabResponder(snmp_engine, by_domain, clock or LabClock())
