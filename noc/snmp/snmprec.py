"""Read snmpsim `.snmprec` recordings (OID|TYPE|VALUE per line) into typed values."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from noc.snmp.values import Oid, Tag, Value, parse_oid

log = logging.getLogger(__name__)


class RecordingError(ValueError):
    pass


def parse_value(code: str, raw: str) -> Value:
    hex_encoded = code.endswith("x")
    tag = Tag(int(code.rstrip("x")))
    if tag in (Tag.OCTET_STRING, Tag.OPAQUE):
        if hex_encoded:
            return Value(tag, bytes.fromhex(raw))
        return Value(tag, raw.encode("utf-8", errors="surrogateescape"))
    if tag is Tag.NULL:
        return Value(tag, None)
    if tag in (Tag.OBJECT_IDENTIFIER, Tag.IP_ADDRESS):
        text = bytes.fromhex(raw).decode() if hex_encoded else raw
        if tag is Tag.IP_ADDRESS and hex_encoded and len(raw) == 8:
            text = ".".join(str(b) for b in bytes.fromhex(raw))
        return Value(tag, text)
    return Value(tag, int(raw))


@dataclass(frozen=True)
class Skipped:
    line: int
    reason: str


def read_snmprec(path: Path) -> tuple[dict[Oid, Value], list[Skipped]]:
    """Every readable variable of a recording, and the lines that could not be read with
    why. Real recordings are messy (odd-length hex, stray bytes): one bad line never costs
    the rest."""
    out: dict[Oid, Value] = {}
    skipped: list[Skipped] = []
    text = path.read_bytes().decode("utf-8", errors="surrogateescape")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            oid_text, code, raw = line.split("|", 2)
            value = parse_value(code, raw)
            out[parse_oid(oid_text)] = value
        except (ValueError, UnicodeError) as exc:
            skipped.append(Skipped(number, f"{str(exc)[:80]} in {line[:40]!r}"))
    return out, skipped


def load_snmprec(path: Path, strict: bool = False) -> dict[Oid, Value]:
    """The recording's variables. Unreadable lines are skipped with one warning that names
    the file, the lines and the first reason; `strict` makes them an error instead."""
    values, skipped = read_snmprec(path)
    if skipped:
        first = skipped[0]
        lines = ", ".join(str(s.line) for s in skipped[:5]) + (", …" if len(skipped) > 5 else "")
        message = (
            f"{path}: skipped {len(skipped)} unreadable line(s) ({lines}); "
            f"line {first.line}: {first.reason}"
        )
        if strict:
            raise RecordingError(message)
        log.warning("%s", message)
    return values
