"""A purpose-built BER codec for the SNMP messages the poller sends and receives.

Encodes GET, GETNEXT and GETBULK requests (v1, v2c, and the scoped PDU and USM header of v3);
decodes their responses and reports. The simulated agents use it the other way round: they
decode the requests and encode the responses (`encode_value`, `encode_response`).

Every length is checked against the bytes that are actually there, so a truncated, oversized
or wrongly tagged message raises `DecodeError` (and nothing else), and no allocation is larger
than the message itself.

Values come out as the toolkit's `Value` (the same as the pysnmp client gives): the decoder
touches only what the poller needs, and OIDs can be kept as their encoded bytes so a walk can
compare them against the requested column prefixes without decoding them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from noc.snmp.values import Oid, Tag, Value, format_oid, parse_oid

# Tags of the universal and application types, and the PDUs.
INTEGER, OCTET_STRING, NULL, OID, SEQUENCE = 0x02, 0x04, 0x05, 0x06, 0x30
GET, GETNEXT, RESPONSE, GETBULK, REPORT = 0xA0, 0xA1, 0xA2, 0xA5, 0xA8
PDU_TAGS = frozenset({GET, GETNEXT, RESPONSE, GETBULK, REPORT, 0xA3, 0xA4, 0xA6, 0xA7})

_VALUE_TAGS: dict[int, Tag] = {
    0x02: Tag.INTEGER,
    0x04: Tag.OCTET_STRING,
    0x05: Tag.NULL,
    0x06: Tag.OBJECT_IDENTIFIER,
    0x40: Tag.IP_ADDRESS,
    0x41: Tag.COUNTER32,
    0x42: Tag.GAUGE32,
    0x43: Tag.TIMETICKS,
    0x44: Tag.OPAQUE,
    0x46: Tag.COUNTER64,
    0x80: Tag.NO_SUCH_OBJECT,
    0x81: Tag.NO_SUCH_INSTANCE,
    0x82: Tag.END_OF_MIB_VIEW,
}
_UNSIGNED = {Tag.COUNTER32: 32, Tag.GAUGE32: 32, Tag.TIMETICKS: 32, Tag.COUNTER64: 64}
_EXCEPTION_VALUES = {t: Value(_VALUE_TAGS[t], None) for t in (0x80, 0x81, 0x82)}
_NULL_VALUE = Value(Tag.NULL, None)

MAX_MESSAGE = 65535  # UDP: nothing larger can arrive


class DecodeError(Exception):
    """The bytes are not a message we accept; says where and why."""


# --- encoding ----------------------------------------------------------------------------


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, content: bytes) -> bytes:
    return bytes((tag,)) + _length(len(content)) + content


def encode_integer(value: int, tag: int = INTEGER) -> bytes:
    size = max(1, (value + (value < 0)).bit_length() // 8 + 1)
    return tlv(tag, value.to_bytes(size, "big", signed=True))


def encode_unsigned(value: int, tag: int) -> bytes:
    """Counter32, Gauge32, TimeTicks, Counter64: non-negative, two's complement like INTEGER."""
    return tlv(tag, value.to_bytes(value.bit_length() // 8 + 1, "big"))


@lru_cache(maxsize=65536)
def oid_content(oid: Oid) -> bytes:
    """The contents octets of an OBJECT IDENTIFIER (cached: the poller asks the same ones)."""
    if len(oid) < 2 or oid[0] > 2 or (oid[0] < 2 and oid[1] > 39):
        raise ValueError(f"not an encodable OID: {oid}")
    if any(arc < 0 for arc in oid):
        raise ValueError(f"OID arc out of range in {oid}")
    return encode_arcs((oid[0] * 40 + oid[1], *oid[2:]))


def encode_oid(oid: Oid) -> bytes:
    return tlv(OID, oid_content(oid))


_NULL = bytes((NULL, 0))


def encode_varbinds(names: list[bytes]) -> bytes:
    """Varbinds with NULL values for the OIDs whose contents octets are `names`."""
    return tlv(SEQUENCE, b"".join(tlv(SEQUENCE, tlv(OID, n) + _NULL) for n in names))


def encode_pdu(pdu_type: int, request_id: int, names: list[bytes], a: int = 0, b: int = 0) -> bytes:
    """A request PDU for OIDs given as contents octets (`oid_content`): for GETBULK `a` is
    non-repeaters and `b` max-repetitions, otherwise error-status and error-index (zero)."""
    return tlv(
        pdu_type,
        encode_integer(request_id) + encode_integer(a) + encode_integer(b) + encode_varbinds(names),
    )


def encode_community_message(version: int, community: bytes, pdu: bytes) -> bytes:
    """v1 (version 0) or v2c (version 1)."""
    return tlv(SEQUENCE, encode_integer(version) + tlv(OCTET_STRING, community) + pdu)


def encode_value(value: Value) -> bytes:
    """A varbind's value as an agent sends it. The `Tag` is the BER tag octet; OBJECT
    IDENTIFIER and IpAddress may be given as dotted text, OCTET STRING as text (Latin-1)."""
    tag, raw = value.tag, value.value
    if tag is Tag.INTEGER and isinstance(raw, int):
        return encode_integer(raw)
    if tag in _UNSIGNED and isinstance(raw, int):
        if not 0 <= raw < 1 << _UNSIGNED[tag]:
            raise ValueError(f"{tag.name} {raw} out of range")
        return encode_unsigned(raw, tag)
    if tag is Tag.OCTET_STRING or tag is Tag.OPAQUE:
        if isinstance(raw, str):
            raw = raw.encode("latin-1")
        if isinstance(raw, bytes):
            return tlv(tag, raw)
    if tag is Tag.OBJECT_IDENTIFIER and isinstance(raw, str):
        return tlv(OID, oid_content(parse_oid(raw)))
    if tag is Tag.IP_ADDRESS and isinstance(raw, str | bytes):
        octets = raw if isinstance(raw, bytes) else bytes(int(part) for part in raw.split("."))
        if len(octets) != 4:
            raise ValueError(f"IpAddress {raw!r} is not 4 octets")
        return tlv(tag, octets)
    if tag is Tag.NULL or tag in (Tag.NO_SUCH_OBJECT, Tag.NO_SUCH_INSTANCE, Tag.END_OF_MIB_VIEW):
        return bytes((tag, 0))
    raise ValueError(f"cannot encode {tag.name} from {raw!r}")


def encode_response(
    request_id: int, error_status: int, error_index: int, varbinds: list[tuple[Oid, Value]]
) -> bytes:
    """A Response PDU, for a community message or a scoped PDU."""
    body = b"".join(tlv(SEQUENCE, encode_oid(oid) + encode_value(v)) for oid, v in varbinds)
    return tlv(
        RESPONSE,
        encode_integer(request_id)
        + encode_integer(error_status)
        + encode_integer(error_index)
        + tlv(SEQUENCE, body),
    )


def encode_scoped_pdu(engine_id: bytes, context_name: bytes, pdu: bytes) -> bytes:
    return tlv(SEQUENCE, tlv(OCTET_STRING, engine_id) + tlv(OCTET_STRING, context_name) + pdu)


def encode_usm(
    engine_id: bytes, boots: int, engine_time: int, user: bytes, auth: bytes, priv: bytes
) -> bytes:
    return tlv(
        SEQUENCE,
        tlv(OCTET_STRING, engine_id)
        + encode_integer(boots)
        + encode_integer(engine_time)
        + tlv(OCTET_STRING, user)
        + tlv(OCTET_STRING, auth)
        + tlv(OCTET_STRING, priv),
    )


def encode_v3_message(msg_id: int, max_size: int, flags: int, usm: bytes, data: bytes) -> bytes:
    """`data` is the scoped PDU (a SEQUENCE) or, encrypted, an OCTET STRING of it."""
    header = tlv(
        SEQUENCE,
        encode_integer(msg_id)
        + encode_integer(max_size)
        + tlv(OCTET_STRING, bytes((flags,)))
        + encode_integer(3),
    )
    return tlv(SEQUENCE, encode_integer(3) + header + tlv(OCTET_STRING, usm) + data)


# --- decoding ----------------------------------------------------------------------------


def read(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """One TLV at `pos`, inside `buf[:end]`: (tag, contents start, contents end)."""
    if pos + 2 > end:
        raise DecodeError(f"truncated TLV at offset {pos}")
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise DecodeError(f"multi-byte tag at offset {pos}")
    first = buf[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0:
            raise DecodeError(f"indefinite length at offset {pos - 1}")
        if count > 3 or pos + count > end:
            raise DecodeError(f"bad length of length at offset {pos - 1}")
        length = int.from_bytes(buf[pos : pos + count], "big")
        pos += count
    if pos + length > end:
        raise DecodeError(f"length {length} at offset {pos} runs past the message")
    return tag, pos, pos + length


def expect(buf: bytes, pos: int, end: int, tag: int, what: str) -> tuple[int, int]:
    got, start, stop = read(buf, pos, end)
    if got != tag:
        raise DecodeError(f"{what}: expected tag 0x{tag:02x}, got 0x{got:02x} at offset {pos}")
    return start, stop


def integer(buf: bytes, start: int, stop: int) -> int:
    if start == stop or stop - start > 9:
        raise DecodeError(f"bad INTEGER length {stop - start} at offset {start}")
    return int.from_bytes(buf[start:stop], "big", signed=True)


def read_integer(buf: bytes, pos: int, end: int, what: str) -> tuple[int, int]:
    start, stop = expect(buf, pos, end, INTEGER, what)
    return integer(buf, start, stop), stop


def read_octets(buf: bytes, pos: int, end: int, what: str) -> tuple[bytes, int]:
    start, stop = expect(buf, pos, end, OCTET_STRING, what)
    return bytes(buf[start:stop]), stop


def decode_arcs(content: bytes) -> tuple[int, ...]:
    """Base-128 arcs as they are encoded (no first-two-arc folding): an OID suffix."""
    arcs: list[int] = []
    arc = 0
    started = False
    for byte in content:
        if not started and byte == 0x80:
            raise DecodeError("OBJECT IDENTIFIER arc with a leading 0x80")
        arc = (arc << 7) | (byte & 0x7F)
        started = True
        if not byte & 0x80:
            arcs.append(arc)
            arc = 0
            started = False
    if started:
        raise DecodeError("OBJECT IDENTIFIER ends inside an arc")
    return tuple(arcs)


def encode_arcs(arcs: tuple[int, ...]) -> bytes:
    """The inverse of decode_arcs, for an OID suffix."""
    out = bytearray()
    for arc in arcs:
        if arc < 0x80:
            out.append(arc)
            continue
        if arc > 0xFFFFFFFF:
            raise ValueError(f"OID arc {arc} out of range")
        chunk = []
        while arc:
            chunk.append((arc & 0x7F) | 0x80)
            arc >>= 7
        chunk[0] &= 0x7F
        out.extend(reversed(chunk))
    return bytes(out)


def decode_oid(content: bytes) -> Oid:
    if not content:
        raise DecodeError("empty OBJECT IDENTIFIER")
    arcs = decode_arcs(content)
    first = arcs[0]
    head = (first // 40, first % 40) if first < 80 else (2, first - 80)
    return (*head, *arcs[1:])


def decode_value(tag_byte: int, content: bytes) -> Value:
    tag = _VALUE_TAGS.get(tag_byte)
    if tag is None:
        raise DecodeError(f"unknown value tag 0x{tag_byte:02x}")
    if tag in _UNSIGNED:
        if not content or len(content) > _UNSIGNED[tag] // 8 + 1:
            raise DecodeError(f"bad {tag.name} length {len(content)}")
        value = int.from_bytes(content, "big")
        if value >= 1 << _UNSIGNED[tag]:
            raise DecodeError(f"{tag.name} out of range")
        return Value(tag, value)
    if tag is Tag.INTEGER:
        if not content or len(content) > 9:
            raise DecodeError(f"bad INTEGER length {len(content)}")
        return Value(tag, int.from_bytes(content, "big", signed=True))
    if tag is Tag.OCTET_STRING or tag is Tag.OPAQUE:
        return Value(tag, bytes(content))
    if tag is Tag.OBJECT_IDENTIFIER:
        return Value(tag, format_oid(decode_oid(content)))
    if tag is Tag.IP_ADDRESS:
        if len(content) != 4:
            raise DecodeError(f"IpAddress of {len(content)} octets")
        return Value(tag, ".".join(str(b) for b in content))
    if content:
        raise DecodeError(f"{tag.name} with contents")
    return _NULL_VALUE if tag is Tag.NULL else _EXCEPTION_VALUES[tag_byte]


RawVarbind = tuple[bytes, Value]  # (OID contents octets, value)
# The numeric values read inline by decode_varbinds: tag, longest content, signed, bound.
_FAST_VALUES: dict[int, tuple[Tag, int, bool, int | float]] = {
    0x02: (Tag.INTEGER, 9, True, float("inf")),
    **{
        byte: (tag, _UNSIGNED[tag] // 8 + 1, False, 1 << _UNSIGNED[tag])
        for byte, tag in _VALUE_TAGS.items()
        if tag in _UNSIGNED
    },
}


def decode_varbinds(buf: bytes, pos: int, end: int) -> list[RawVarbind]:
    """The variable-bindings list, OIDs left as their contents octets."""
    start, stop = expect(buf, pos, end, SEQUENCE, "variable-bindings")
    out: list[RawVarbind] = []
    pos = start
    while pos < stop:
        # The usual varbind (every length in one octet, a counter or a status) read inline,
        # with the same checks as the general way below, which takes every other.
        if pos + 6 <= stop and buf[pos] == SEQUENCE and buf[pos + 2] == OID:
            size, name = buf[pos + 1], buf[pos + 3]
            oid_stop = pos + 4 + name
            vb_stop = pos + 2 + size
            if size < 0x80 and 0 < name < 0x80 and oid_stop + 2 <= vb_stop <= stop:
                tag, length = buf[oid_stop], buf[oid_stop + 1]
                if length < 0x80 and oid_stop + 2 + length == vb_stop:
                    kind = _FAST_VALUES.get(tag)
                    if kind is not None and 0 < length <= kind[1]:
                        value = int.from_bytes(buf[oid_stop + 2 : vb_stop], "big", signed=kind[2])
                        if value < kind[3]:
                            out.append((buf[pos + 4 : oid_stop], Value(kind[0], value)))
                            pos = vb_stop
                            continue
        vb_start, vb_stop = expect(buf, pos, stop, SEQUENCE, "varbind")
        oid_start, oid_stop = expect(buf, vb_start, vb_stop, OID, "varbind name")
        if oid_start == oid_stop:
            raise DecodeError(f"empty OBJECT IDENTIFIER at offset {oid_start}")
        tag, v_start, v_stop = read(buf, oid_stop, vb_stop)
        if v_stop != vb_stop:
            raise DecodeError(f"trailing bytes in varbind at offset {v_stop}")
        out.append((bytes(buf[oid_start:oid_stop]), decode_value(tag, buf[v_start:v_stop])))
        pos = vb_stop
    return out


@dataclass(frozen=True, slots=True)
class Pdu:
    pdu_type: int
    request_id: int
    error_status: int
    error_index: int
    varbinds: list[RawVarbind]

    def decoded(self) -> list[tuple[Oid, Value]]:
        return [(decode_oid(raw), value) for raw, value in self.varbinds]


def decode_pdu(buf: bytes, pos: int, end: int) -> Pdu:
    tag, start, stop = read(buf, pos, end)
    if tag not in PDU_TAGS:
        raise DecodeError(f"expected a PDU, got tag 0x{tag:02x} at offset {pos}")
    request_id, pos = read_integer(buf, start, stop, "request-id")
    error_status, pos = read_integer(buf, pos, stop, "error-status")
    error_index, pos = read_integer(buf, pos, stop, "error-index")
    varbinds = decode_varbinds(buf, pos, stop)
    return Pdu(tag, request_id, error_status, error_index, varbinds)


@dataclass(frozen=True, slots=True)
class CommunityMessage:
    version: int
    community: bytes
    pdu: Pdu


def decode_community_message(data: bytes) -> CommunityMessage:
    if len(data) > MAX_MESSAGE:
        raise DecodeError("message larger than a UDP datagram")
    start, stop = expect(data, 0, len(data), SEQUENCE, "message")
    if stop != len(data):
        raise DecodeError("bytes after the message")
    version, pos = read_integer(data, start, stop, "version")
    if version not in (0, 1):
        raise DecodeError(f"version {version} is not v1 or v2c")
    community, pos = read_octets(data, pos, stop, "community")
    pdu = decode_pdu(data, pos, stop)
    return CommunityMessage(version, community, pdu)


@dataclass(frozen=True, slots=True)
class V3Message:
    msg_id: int
    max_size: int
    flags: int
    security_model: int
    engine_id: bytes
    boots: int
    engine_time: int
    user: bytes
    auth_params: bytes
    auth_offset: int  # where auth_params sits in the message, for verifying the digest
    priv_params: bytes
    data: bytes  # the scoped PDU's encoding, or its ciphertext when privacy is on
    encrypted: bool
    raw: bytes  # the whole message, for verifying its digest


def decode_v3_message(data: bytes) -> V3Message:
    if len(data) > MAX_MESSAGE:
        raise DecodeError("message larger than a UDP datagram")
    start, stop = expect(data, 0, len(data), SEQUENCE, "message")
    if stop != len(data):
        raise DecodeError("bytes after the message")
    version, pos = read_integer(data, start, stop, "version")
    if version != 3:
        raise DecodeError(f"version {version} is not v3")
    h_start, h_stop = expect(data, pos, stop, SEQUENCE, "msgGlobalData")
    msg_id, p = read_integer(data, h_start, h_stop, "msgID")
    max_size, p = read_integer(data, p, h_stop, "msgMaxSize")
    flags_octets, p = read_octets(data, p, h_stop, "msgFlags")
    model, p = read_integer(data, p, h_stop, "msgSecurityModel")
    if len(flags_octets) != 1:
        raise DecodeError("msgFlags is not one octet")
    sp_start, sp_stop = expect(data, h_stop, stop, OCTET_STRING, "msgSecurityParameters")
    u_start, u_stop = expect(data, sp_start, sp_stop, SEQUENCE, "UsmSecurityParameters")
    engine_id, p = read_octets(data, u_start, u_stop, "msgAuthoritativeEngineID")
    boots, p = read_integer(data, p, u_stop, "msgAuthoritativeEngineBoots")
    engine_time, p = read_integer(data, p, u_stop, "msgAuthoritativeEngineTime")
    user, p = read_octets(data, p, u_stop, "msgUserName")
    a_start, a_stop = expect(data, p, u_stop, OCTET_STRING, "msgAuthenticationParameters")
    priv, p = read_octets(data, a_stop, u_stop, "msgPrivacyParameters")
    tag, d_start, d_stop = read(data, sp_stop, stop)
    if d_stop != stop:
        raise DecodeError("bytes after msgData")
    if tag not in (SEQUENCE, OCTET_STRING):
        raise DecodeError(f"msgData has tag 0x{tag:02x}")
    payload = data[sp_stop:stop] if tag == SEQUENCE else data[d_start:d_stop]
    return V3Message(
        msg_id,
        max_size,
        flags_octets[0],
        model,
        engine_id,
        boots,
        engine_time,
        user,
        data[a_start:a_stop],
        a_start,
        priv,
        payload,
        tag == OCTET_STRING,
        data,
    )


@dataclass(frozen=True, slots=True)
class ScopedPdu:
    engine_id: bytes
    context_name: bytes
    pdu: Pdu


def decode_scoped_pdu(data: bytes) -> ScopedPdu:
    """The scoped PDU; decrypted data may carry padding after it, which is ignored."""
    start, stop = expect(data, 0, len(data), SEQUENCE, "scopedPDU")
    engine_id, pos = read_octets(data, start, stop, "contextEngineID")
    context, pos = read_octets(data, pos, stop, "contextName")
    return ScopedPdu(engine_id, context, decode_pdu(data, pos, stop))


def message_version(data: bytes) -> int:
    """The version field, to route a datagram to the right decoder."""
    start, stop = expect(data, 0, len(data), SEQUENCE, "message")
    version, _ = read_integer(data, start, stop, "version")
    return version
