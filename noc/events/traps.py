"""SNMP notifications off the wire: v1 Trap-PDUs, v2c traps and informs, v3 (USM) traps (the
sender's engine authoritative) and v3 informs (the receiver's engine authoritative: it answers
engine discovery with a Report, and a message outside its time window with another). Pure:
bytes, credentials and the clock in, a `Notification` or a `Refused` with its reason (and any
Report owed) out. An inform's acknowledgement is built here too.

v1 traps are put in v2 form (RFC 3584 3.1): a generic trap becomes its snmpTraps OID
(coldStart ... authenticationFailure), an enterprise-specific one `enterprise.0.specific`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

from noc.snmp import ber, v3
from noc.snmp.values import Oid, Tag, Value, format_oid, parse_oid

TRAP_V1, INFORM, TRAP_V2, REPORT = 0xA4, 0xA6, 0xA7, 0xA8
USM_STATS = "1.3.6.1.6.3.15.1.1"
NOT_IN_TIME_WINDOWS, UNKNOWN_ENGINE_IDS = f"{USM_STATS}.2.0", f"{USM_STATS}.4.0"
TIME_WINDOW_S = 150  # RFC 3414 3.2 (7)
SNMP_TRAPS = "1.3.6.1.6.3.1.1.5"
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
TRAP_ADDRESS = "1.3.6.1.6.3.18.1.3.0"  # snmpTrapAddress: the agent behind a relay


@dataclass(frozen=True)
class Notification:
    version: str  # "1", "2c", "3"
    trap_oid: str
    varbinds: tuple[tuple[str, Value], ...]
    agent_address: str | None = None  # v1's agent-addr, else snmpTrapAddress when sent
    inform: bool = False
    request_id: int = 0
    community: bytes = b""  # v1/v2c: for the inform's acknowledgement; never logged
    user: str = ""  # v3
    engine_id: bytes = b""  # v3: the authoritative engine's (a trap's sender, or ours)
    answer: bytes = b""  # v3 inform: the signed Response it is owed

    def value(self, oid_prefix: str) -> Value | None:
        """The first varbind at or under `oid_prefix`."""
        for oid, value in self.varbinds:
            if oid == oid_prefix or oid.startswith(oid_prefix + "."):
                return value
        return None


@dataclass(frozen=True)
class Refused:
    reason: str  # a short, fixed phrase: it is a metric's label
    reply: bytes = b""  # a v3 Report the sender is owed (engine discovery, time window)


@dataclass(frozen=True)
class LocalEngine:
    """The receiver as the authoritative SNMP engine of v3 informs: its engine ID, its boots
    (the start time in seconds, so it grows with every restart without a file), and when it
    started (its engine time counts from then)."""

    engine_id: bytes
    boots: int
    started: float

    def time(self, now: float) -> int:
        return max(0, int(now - self.started))

    @staticmethod
    def named(name: str, now: float) -> LocalEngine:
        """An RFC 3411 text engine ID (enterprise 8072's format 4) from the collector's name."""
        text = f"noc:{name}".encode()[:27]
        return LocalEngine(bytes.fromhex("80001f8804") + text, int(now), now)


@dataclass(frozen=True)
class V3User:
    """What a v3 notification from a device must be signed (and sealed) with."""

    auth_protocol: str
    auth_key: bytes
    priv_key: bytes | None
    engine_id: bytes | None = None  # the device's, when the inventory gives it


def _v1(pdu_buf: bytes, pos: int, end: int, community: bytes) -> Notification:
    start, stop = ber.expect(pdu_buf, pos, end, TRAP_V1, "Trap-PDU")
    e_start, e_stop = ber.expect(pdu_buf, start, stop, ber.OID, "enterprise")
    enterprise = format_oid(ber.decode_oid(pdu_buf[e_start:e_stop]))
    tag, a_start, a_stop = ber.read(pdu_buf, e_stop, stop)
    agent = ber.decode_value(tag, pdu_buf[a_start:a_stop])
    if agent.tag is not Tag.IP_ADDRESS:
        raise ber.DecodeError("agent-addr is not an IpAddress")
    generic, p = ber.read_integer(pdu_buf, a_stop, stop, "generic-trap")
    specific, p = ber.read_integer(pdu_buf, p, stop, "specific-trap")
    tag, t_start, t_stop = ber.read(pdu_buf, p, stop)
    uptime = ber.decode_value(tag, pdu_buf[t_start:t_stop])
    varbinds = [
        (format_oid(ber.decode_oid(o)), v) for o, v in ber.decode_varbinds(pdu_buf, t_stop, stop)
    ]
    if not 0 <= generic <= 6:
        raise ber.DecodeError(f"generic-trap {generic}")
    trap_oid = f"{SNMP_TRAPS}.{generic + 1}" if generic < 6 else f"{enterprise}.0.{specific}"
    return Notification(
        "1",
        trap_oid,
        ((SYS_UPTIME, uptime), *varbinds),
        agent_address=str(agent.value),
        community=community,
    )


def _v2(
    pdu: ber.Pdu, version: str, community: bytes = b"", user: str = "", engine: bytes = b""
) -> Notification:
    if pdu.pdu_type not in (TRAP_V2, INFORM):
        raise ber.DecodeError(f"PDU 0x{pdu.pdu_type:02x} is not a notification")
    varbinds = tuple((format_oid(o), v) for o, v in pdu.decoded())
    trap = next((v for o, v in varbinds if o == SNMP_TRAP_OID), None)
    if trap is None or trap.tag is not Tag.OBJECT_IDENTIFIER:
        raise ber.DecodeError("no snmpTrapOID.0")
    address = next((v for o, v in varbinds if o == TRAP_ADDRESS), None)
    return Notification(
        version,
        str(trap.value),
        varbinds,
        agent_address=str(address.value) if address is not None else None,
        inform=pdu.pdu_type == INFORM,
        request_id=pdu.request_id,
        community=community,
        user=user,
        engine_id=engine,
    )


def decode(
    data: bytes,
    communities: frozenset[bytes] | None,
    users: Mapping[str, V3User],
    local: LocalEngine | None = None,
    now: float = 0.0,
) -> Notification | Refused:
    """One datagram. `communities`: those accepted (None: any, as a lab might); `users`: the
    v3 users by name; `local`: the receiver's engine, for v3 informs (None: none taken)."""
    try:
        version = ber.message_version(data)
        if version == 3:
            return _decode_v3(data, users, local, now)
        message_start, message_stop = ber.expect(data, 0, len(data), ber.SEQUENCE, "message")
        if message_stop != len(data):
            return Refused("malformed")
        _, pos = ber.read_integer(data, message_start, message_stop, "version")
        community, pos = ber.read_octets(data, pos, message_stop, "community")
        if communities is not None and community not in communities:
            return Refused("unknown community")
        if version == 0:
            return _v1(data, pos, message_stop, community)
        if version == 1:
            return _v2(ber.decode_pdu(data, pos, message_stop), "2c", community=community)
        return Refused("unknown version")
    except ber.DecodeError:
        return Refused("malformed")


def _decode_v3(
    data: bytes, users: Mapping[str, V3User], local: LocalEngine | None, now: float
) -> Notification | Refused:
    msg = ber.decode_v3_message(data)
    if not msg.engine_id:
        if local is not None and msg.flags & 0x04 and not msg.encrypted:
            # Engine discovery before an inform: tell the sender our engine ID and clock.
            probe = ber.decode_scoped_pdu(msg.data).pdu
            return Refused("v3 engine discovery", _report(local, now, msg, probe.request_id))
        return Refused("v3 without an engine ID")
    name = msg.user.decode(errors="replace")
    user = users.get(name)
    if user is None:
        return Refused("unknown v3 user")
    if not msg.flags & 0x01:
        return Refused("v3 without authentication")
    ours = local is not None and msg.engine_id == local.engine_id
    if not ours and user.engine_id is not None and msg.engine_id != user.engine_id:
        return Refused("v3 engine ID not the device's")
    keys = v3.keys_for(user.auth_protocol, user.auth_key, user.priv_key, msg.engine_id)
    if not v3.verify(keys, msg.raw, msg.auth_offset, msg.auth_params):
        return Refused("v3 wrong authentication")
    if local is not None and ours:
        late = abs(msg.engine_time - local.time(now)) > TIME_WINDOW_S
        if msg.boots != local.boots or late:
            return Refused(
                "v3 not in time window", _report(local, now, msg, msg.msg_id, keys, name)
            )
    payload = msg.data
    if msg.encrypted:
        if keys.priv_key is None:
            return Refused("v3 encrypted, no privacy key")
        try:
            payload = v3.decrypt(keys, msg.boots, msg.engine_time, msg.priv_params, payload)
        except ValueError:
            return Refused("malformed")
    scoped = ber.decode_scoped_pdu(payload)
    note = _v2(scoped.pdu, "3", user=name, engine=msg.engine_id)
    if not note.inform:
        return note
    if local is None or not ours:
        return Refused("v3 inform not to our engine ID")
    varbinds = [(parse_oid(o), v) for o, v in note.varbinds]
    response = ber.encode_response(note.request_id, 0, 0, varbinds)
    scoped_out = ber.encode_scoped_pdu(scoped.engine_id, scoped.context_name, response)
    answer = v3.seal(
        keys,
        msg.msg_id,
        msg.max_size,
        local.engine_id,
        local.boots,
        local.time(now),
        msg.user,
        scoped_out,
        os.urandom(8),
        reportable=False,
    )
    return replace(note, answer=answer)


def _report(
    local: LocalEngine,
    now: float,
    msg: ber.V3Message,
    request_id: int,
    keys: v3.UsmKeys | None = None,
    user: str = "",
) -> bytes:
    """A Report from our engine: usmStatsUnknownEngineIDs (unauthenticated, to a discovery
    probe) or usmStatsNotInTimeWindows (signed with the sender's keys, RFC 3414 3.2 (7))."""
    oid = UNKNOWN_ENGINE_IDS if keys is None else NOT_IN_TIME_WINDOWS
    pdu = _pdu(REPORT, request_id, [(parse_oid(oid), Value(Tag.COUNTER32, 1))])
    scoped = ber.encode_scoped_pdu(local.engine_id, b"", pdu)
    if keys is not None:
        auth_only = replace(keys, priv_key=None)
        return v3.seal(
            auth_only,
            msg.msg_id,
            msg.max_size,
            local.engine_id,
            local.boots,
            local.time(now),
            user.encode(),
            scoped,
            b"",
            reportable=False,
        )
    usm = ber.encode_usm(local.engine_id, local.boots, local.time(now), msg.user, b"", b"")
    return ber.encode_v3_message(msg.msg_id, msg.max_size, 0x00, usm, scoped)


def acknowledge(note: Notification) -> bytes | None:
    """The Response an inform waits for, or None when nothing is owed."""
    if not note.inform:
        return None
    if note.version == "3":
        return note.answer or None
    if note.version != "2c":
        return None
    varbinds = [(parse_oid(o), v) for o, v in note.varbinds]
    pdu = ber.encode_response(note.request_id, 0, 0, varbinds)
    return ber.encode_community_message(1, note.community, pdu)


def encode_v2_trap(
    community: bytes,
    trap_oid: str,
    varbinds: list[tuple[str, Value]],
    uptime_ticks: int,
    request_id: int,
) -> bytes:
    """A v2c SNMPv2-Trap, as a device sends it (the lab's devices use this)."""
    bound = [
        (parse_oid(SYS_UPTIME), Value(Tag.TIMETICKS, uptime_ticks)),
        (parse_oid(SNMP_TRAP_OID), Value(Tag.OBJECT_IDENTIFIER, trap_oid)),
        *((parse_oid(o), v) for o, v in varbinds),
    ]
    return ber.encode_community_message(1, community, _pdu(TRAP_V2, request_id, bound))


def _pdu(tag: int, request_id: int, varbinds: list[tuple[Oid, Value]]) -> bytes:
    """A PDU of the request/response layout (error status and index 0) with its varbinds."""
    body = b"".join(
        ber.tlv(ber.SEQUENCE, ber.encode_oid(oid) + ber.encode_value(v)) for oid, v in varbinds
    )
    head = ber.encode_integer(request_id) + ber.encode_integer(0) + ber.encode_integer(0)
    return ber.tlv(tag, head + ber.tlv(ber.SEQUENCE, body))
