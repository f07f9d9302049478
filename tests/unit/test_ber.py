"""The lean BER codec against pysnmp/pyasn1 (the reference), and under fuzzing."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder as pyasn1_decoder
from pyasn1.codec.ber import encoder as pyasn1_encoder
from pysnmp.proto import api, rfc1902, rfc1905

from noc.snmp import ber, v3
from noc.snmp.pysnmp_client import decode as pysnmp_decode
from noc.snmp.snmprec import load_snmprec
from noc.snmp.values import Oid, Tag, Value
from tests.conftest import RECORDINGS

V2 = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]

oids = st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=20).map(lambda rest: (1, 3, *rest))
values = st.one_of(
    st.integers(-(2**31), 2**31 - 1).map(rfc1902.Integer32),
    st.binary(max_size=300).map(rfc1902.OctetString),
    st.integers(0, 2**32 - 1).map(rfc1902.Counter32),
    st.integers(0, 2**32 - 1).map(rfc1902.Gauge32),
    st.integers(0, 2**32 - 1).map(rfc1902.TimeTicks),
    st.integers(0, 2**64 - 1).map(rfc1902.Counter64),
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: rfc1902.IpAddress(bytes(t))),
    oids.map(rfc1902.ObjectIdentifier),
    st.just(rfc1905.noSuchObject),
    st.just(rfc1905.noSuchInstance),
    st.just(rfc1905.endOfMibView),
    st.binary(max_size=20).map(rfc1902.Opaque),
)


def pysnmp_response(varbinds: list[tuple[Oid, Any]], request_id: int = 4242) -> bytes:
    pdu = V2.ResponsePDU()
    V2.apiPDU.set_defaults(pdu)
    V2.apiPDU.set_request_id(pdu, request_id)
    V2.apiPDU.set_varbinds(pdu, varbinds)
    message = V2.Message()
    V2.apiMessage.set_defaults(message)
    V2.apiMessage.set_community(message, "public")
    V2.apiMessage.set_pdu(message, pdu)
    return bytes(pyasn1_encoder.encode(message))


def reference_decode(data: bytes) -> list[tuple[Oid, Value]]:
    message, _ = pyasn1_decoder.decode(data, asn1Spec=V2.Message())
    pdu = V2.apiMessage.get_pdu(message)
    return [(tuple(n), pysnmp_decode(v)) for n, v in V2.apiPDU.get_varbinds(pdu)]


@given(st.lists(st.tuples(oids, values), max_size=40), st.integers(0, 2**31 - 1))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_random_responses_decode_as_pysnmp_decodes_them(
    varbinds: list[tuple[Oid, Any]], request_id: int
) -> None:
    data = pysnmp_response(varbinds, request_id)
    message = ber.decode_community_message(data)
    assert (message.version, message.community) == (1, b"public")
    assert message.pdu.request_id == request_id
    assert message.pdu.decoded() == reference_decode(data)


@given(st.lists(st.tuples(oids, values), max_size=40), st.integers(0, 2**31 - 1))
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_the_lab_s_responses_read_in_pysnmp_as_the_values_given(
    varbinds: list[tuple[Oid, Any]], request_id: int
) -> None:
    """The simulated agents answer with this codec: pysnmp reads what they send as the values
    they meant, and so does the collector's decoder."""
    ours = [(oid, pysnmp_decode(value)) for oid, value in varbinds]
    data = ber.encode_community_message(1, b"public", ber.encode_response(request_id, 0, 0, ours))
    assert reference_decode(data) == ours
    assert ber.decode_community_message(data).pdu.decoded() == ours
    if not any(isinstance(v, rfc1902.Integer32) and v < 0 for _, v in varbinds):
        assert data == pysnmp_response(varbinds, request_id)  # byte for byte


def test_negative_integers_are_encoded_in_the_fewest_octets() -> None:
    """X.690 8.3.2: -128 is one octet. pyasn1 sends some negative numbers with a redundant
    leading 0xff (02 02 ff 80), which is why the test above compares them by value."""
    assert ber.encode_integer(-128) == bytes.fromhex("020180")
    assert ber.encode_integer(-129) == bytes.fromhex("0202ff7f")
    assert ber.encode_integer(127) == bytes.fromhex("02017f")
    assert ber.encode_integer(128) == bytes.fromhex("02020080")


@pytest.mark.parametrize(
    "value",
    [
        Value(Tag.COUNTER32, 2**32),
        Value(Tag.COUNTER64, -1),
        Value(Tag.IP_ADDRESS, "10.0.0"),
        Value(Tag.OBJECT_IDENTIFIER, "1.40.1"),
        Value(Tag.INTEGER, "7"),
    ],
)
def test_a_value_snmp_cannot_carry_is_refused(value: Value) -> None:
    with pytest.raises(ValueError, match=r"out of range|not 4 octets|OID|cannot encode"):
        ber.encode_value(value)


def snmprec_value(value: Value) -> Any:
    kinds = {
        Tag.INTEGER: rfc1902.Integer32,
        Tag.OCTET_STRING: rfc1902.OctetString,
        Tag.COUNTER32: rfc1902.Counter32,
        Tag.GAUGE32: rfc1902.Gauge32,
        Tag.TIMETICKS: rfc1902.TimeTicks,
        Tag.COUNTER64: rfc1902.Counter64,
        Tag.OBJECT_IDENTIFIER: rfc1902.ObjectIdentifier,
        Tag.IP_ADDRESS: rfc1902.IpAddress,
        Tag.OPAQUE: rfc1902.Opaque,
    }
    if value.tag is Tag.NULL:
        return rfc1902.Null("")
    return kinds[value.tag](value.value)


@pytest.mark.parametrize("recording", sorted(RECORDINGS.glob("*.snmprec")), ids=lambda p: p.stem)
def test_recorded_walks_decode_as_pysnmp_decodes_them(recording: Path) -> None:
    items = sorted(load_snmprec(recording).items())
    assert len(items) >= 2  # routeros_1 holds only sysDescr and sysObjectID
    for start in range(0, len(items), 50):
        chunk = [(oid, snmprec_value(value)) for oid, value in items[start : start + 50]]
        data = pysnmp_response(chunk)
        assert ber.decode_community_message(data).pdu.decoded() == reference_decode(data)


@given(st.lists(oids, min_size=1, max_size=30), st.integers(0, 2**31 - 1), st.integers(0, 100))
def test_our_requests_are_what_pysnmp_reads(names: list[Oid], request_id: int, reps: int) -> None:
    contents = [ber.oid_content(o) for o in names]
    data = ber.encode_community_message(
        1, b"c0mm", ber.encode_pdu(ber.GETBULK, request_id, contents, 0, reps)
    )
    message, rest = pyasn1_decoder.decode(data, asn1Spec=V2.Message())
    assert rest == b""
    pdu = V2.apiMessage.get_pdu(message)
    assert str(V2.apiMessage.get_community(message)) == "c0mm"
    assert int(V2.apiBulkPDU.get_request_id(pdu)) == request_id
    assert int(V2.apiBulkPDU.get_max_repetitions(pdu)) == reps
    assert [tuple(n) for n, _ in V2.apiBulkPDU.get_varbinds(pdu)] == names


def test_sha1_key_localisation_matches_rfc3414_a32() -> None:
    engine = bytes.fromhex("000000000000000000000002")
    assert v3.password_to_key(b"maplesyrup", "sha1").hex() == (
        "9fb5cc0381497b3793528939ff788d5d79145211"
    )
    assert v3.localize(b"maplesyrup", "sha1", engine).hex() == (
        "6695febc9288e36282235fc7151f128497b38f3f"
    )


def test_v3_message_round_trip_with_auth_and_privacy() -> None:
    keys = v3.keys_for("sha256", b"auth-passphrase", b"priv-passphrase", b"\x80\x00\x1f\x88\x04x")
    scoped = ber.encode_scoped_pdu(
        b"\x80\x00\x1f\x88\x04x", b"", ber.encode_pdu(ber.GET, 7, [ber.oid_content((1, 3, 6))])
    )
    salt = bytes(range(8))
    sealed = v3.encrypt(keys, 3, 1000, salt, scoped)
    assert sealed != scoped and v3.decrypt(keys, 3, 1000, salt, sealed) == scoped
    usm = ber.encode_usm(b"\x80\x00\x1f\x88\x04x", 3, 1000, b"noc", bytes(24), salt)
    unsigned = ber.encode_v3_message(99, 65507, 7, usm, ber.tlv(ber.OCTET_STRING, sealed))
    parsed = ber.decode_v3_message(unsigned)
    digest = v3.sign(keys, unsigned)
    signed = unsigned[: parsed.auth_offset] + digest + unsigned[parsed.auth_offset + 24 :]
    again = ber.decode_v3_message(signed)
    assert (again.msg_id, again.user, again.boots, again.engine_time) == (99, b"noc", 3, 1000)
    assert v3.verify(keys, signed, again.auth_offset, again.auth_params)
    tampered = signed[:-1] + bytes([signed[-1] ^ 1])
    assert not v3.verify(keys, tampered, again.auth_offset, again.auth_params)
    plain = v3.decrypt(keys, again.boots, again.engine_time, again.priv_params, again.data)
    assert ber.decode_scoped_pdu(plain).pdu.request_id == 7


# --- fuzzing: only DecodeError, never anything else, never unbounded ----------------------

VALID = pysnmp_response(
    [
        ((1, 3, 6, 1, 2, 1, 1, 3, 0), rfc1902.TimeTicks(5)),
        ((1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 1), rfc1902.OctetString(b"eth0")),
    ]
)


def decodes_or_refuses(data: bytes) -> None:
    for decode in (
        ber.decode_community_message,
        ber.decode_v3_message,
        ber.decode_scoped_pdu,
        ber.message_version,
    ):
        with contextlib.suppress(ber.DecodeError):
            decode(data)


@given(st.binary(max_size=2000))
@settings(max_examples=2000)
def test_random_bytes(data: bytes) -> None:
    decodes_or_refuses(data)


@given(st.integers(0, len(VALID)))
def test_every_truncation(cut: int) -> None:
    decodes_or_refuses(VALID[:cut])


@given(st.integers(0, len(VALID) - 1), st.integers(0, 255))
@settings(max_examples=1500)
def test_every_single_byte_change(index: int, byte: int) -> None:
    decodes_or_refuses(VALID[:index] + bytes([byte]) + VALID[index + 1 :])


@given(st.binary(min_size=1, max_size=40), st.integers(0, 40))
def test_spliced_garbage(garbage: bytes, at: int) -> None:
    decodes_or_refuses(VALID[:at] + garbage + VALID[at:])


@pytest.mark.parametrize(
    "data",
    [
        b"\x30\x84\xff\xff\xff\xff",  # a length of 4 GB, in six bytes
        b"\x30\x83\xff\xff\xff" + bytes(10),
        b"\x30\x80\x02\x01\x01\x00\x00",  # indefinite length
        b"\x30\x03\x02\x81\x01",  # length runs past the parent
        b"\x30\x05\x02\x01\x01\x1f\x00",  # multi-byte tag
        b"\x30\x06\x02\x01\x01\x04\x01",  # truncated community
        b"\x30" + b"\x82\xff\xff" + bytes(65535),  # the largest datagram, all zeros
        b"",
    ],
)
def test_hostile_lengths_are_refused(data: bytes) -> None:
    with pytest.raises(ber.DecodeError):
        ber.decode_community_message(data)


def test_oversized_and_wrongly_tagged_values() -> None:
    for tag, content in [
        (0x41, bytes(6)),
        (0x46, bytes(10)),
        (0x02, bytes(10)),
        (0x40, bytes(5)),
        (0x05, b"\x00"),
        (0x47, b""),
        (0x06, b""),
        (0x06, b"\x80\x01"),
        (0x06, b"\x81"),
    ]:
        with pytest.raises(ber.DecodeError):
            ber.decode_value(tag, content)
    assert ber.decode_value(0x41, b"\x00\xff\xff\xff\xff").value == 2**32 - 1
