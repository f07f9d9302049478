"""Read snmpsim `.snmprec` recordings (OID|TYPE|VALUE per line) into typed values."""

from __future__ import annotations

from pathlib import Path

from noc.snmp.values import Oid, Tag, Value, parse_oid


class RecordingError(ValueError):
    pass


def parse_value(code: str, raw: str) -> Value:
    hex_encoded = code.endswith("x")
    tag = Tag(int(code.rstrip("x")))
    if tag in (Tag.OCTET_STRING, Tag.OPAQUE):
        return Value(tag, bytes.fromhex(raw) if hex_encoded else raw.encode("utf-8"))
    if tag is Tag.NULL:
        return Value(tag, None)
    if tag in (Tag.OBJECT_IDENTIFIER, Tag.IP_ADDRESS):
        text = bytes.fromhex(raw).decode() if hex_encoded else raw
        if tag is Tag.IP_ADDRESS and hex_encoded and len(raw) == 8:
            text = ".".join(str(b) for b in bytes.fromhex(raw))
        return Value(tag, text)
    return Value(tag, int(raw))


def load_snmprec(path: Path) -> dict[Oid, Value]:
    """All variables of a recording; errors name the file and line."""
    out: dict[Oid, Value] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            oid_text, code, raw = line.split("|", 2)
            out[parse_oid(oid_text)] = parse_value(code, raw)
        except ValueError as exc:
            raise RecordingError(f"{path}:{number}: cannot read {line[:60]!r}: {exc}") from None
    return out
