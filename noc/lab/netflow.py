"""NetFlow v5, v9 and IPFIX messages built the way exporters build them: for the lab's uplink
router (its simulated traffic as flows) and for the tests and benchmarks of the collector."""

from __future__ import annotations

import struct
from collections.abc import Sequence

Field = tuple[int, int]  # (information element, length)
# What a MikroTik exports over IPFIX for IPv4, with post-NAT addresses: addresses, ports,
# protocol, counts, interfaces, start and end in ms, post-NAT source and destination.
IPV4_NAT: tuple[Field, ...] = (
    (8, 4),
    (12, 4),
    (7, 2),
    (11, 2),
    (4, 1),
    (1, 8),
    (2, 8),
    (10, 4),
    (14, 4),
    (152, 8),
    (153, 8),
    (225, 4),
    (226, 4),
)
SAMPLING: tuple[Field, ...] = ((34, 4),)  # samplingInterval, scoped by the domain (149)
SCOPE: tuple[Field, ...] = ((149, 4),)  # observationDomainId


def template_set(version: int, template_id: int, fields: Sequence[Field]) -> bytes:
    body = struct.pack(">HH", template_id, len(fields))
    body += b"".join(struct.pack(">HH", e, n) for e, n in fields)
    return raw_set(2 if version == 10 else 0, body)


def options_template_set(
    version: int, template_id: int, scopes: Sequence[Field], fields: Sequence[Field]
) -> bytes:
    specs = b"".join(struct.pack(">HH", e, n) for e, n in (*scopes, *fields))
    if version == 10:
        body = struct.pack(">HHH", template_id, len(scopes) + len(fields), len(scopes)) + specs
    else:
        body = struct.pack(">HHH", template_id, 4 * len(scopes), 4 * len(fields)) + specs
    return raw_set(3 if version == 10 else 1, body)


def data_set(template_id: int, fields: Sequence[Field], rows: Sequence[Sequence[int]]) -> bytes:
    body = b"".join(
        b"".join(value.to_bytes(n, "big") for value, (_, n) in zip(row, fields, strict=True))
        for row in rows
    )
    return raw_set(template_id, body)


def raw_set(set_id: int, body: bytes) -> bytes:
    pad = -len(body) % 4
    return struct.pack(">HH", set_id, 4 + len(body) + pad) + body + b"\0" * pad


def message(
    version: int,
    sets: Sequence[bytes],
    export_s: int,
    sequence: int,
    domain: int,
    uptime_ms: int = 0,
) -> bytes:
    """A v9 packet or an IPFIX message around `sets`."""
    body = b"".join(sets)
    if version == 10:
        return struct.pack(">HHIII", 10, 16 + len(body), export_s, sequence, domain) + body
    return struct.pack(">HHIIII", 9, len(sets), uptime_ms, export_s, sequence, domain) + body


def v5(records: Sequence[Sequence[int]], export_s: int, uptime_ms: int, sampling: int = 0) -> bytes:
    """records: (src, dst, src port, dst port, proto, octets, packets, first ms, last ms) with
    first and last in the exporter's uptime."""
    out = struct.pack(">HHIIIIBBH", 5, len(records), uptime_ms, export_s, 0, 0, 0, 0, sampling)
    for src, dst, sport, dport, proto, octets, packets, first, last in records:
        out += struct.pack(
            ">IIIHHIIIIHHBBBBHHBBH",
            src,
            dst,
            0,
            1,
            2,
            packets,
            octets,
            first,
            last,
            sport,
            dport,
            0,
            0,
            proto,
            0,
            0,
            0,
            24,
            24,
            0,
        )
    return out
