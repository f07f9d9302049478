"""SNMP values as plain data: a tag (the snmprec type code) and a Python value.

Both the simulated agents and the client speak this, so neither leaks pysnmp objects into the
rest of the toolkit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

Oid = tuple[int, ...]


class Tag(IntEnum):
    INTEGER = 2
    OCTET_STRING = 4
    NULL = 5
    OBJECT_IDENTIFIER = 6
    IP_ADDRESS = 64
    COUNTER32 = 65
    GAUGE32 = 66
    TIMETICKS = 67
    OPAQUE = 68
    COUNTER64 = 70
    # Exceptions in a response (RFC 3416), carried as values.
    NO_SUCH_OBJECT = 128
    NO_SUCH_INSTANCE = 129
    END_OF_MIB_VIEW = 130


EXCEPTIONS = frozenset({Tag.NO_SUCH_OBJECT, Tag.NO_SUCH_INSTANCE, Tag.END_OF_MIB_VIEW})


@dataclass(frozen=True, slots=True)
class Value:
    tag: Tag
    value: int | bytes | str | None

    @property
    def is_exception(self) -> bool:
        return self.tag in EXCEPTIONS

    def as_int(self) -> int:
        if isinstance(self.value, int):
            return self.value
        raise TypeError(f"{self.tag.name} value is not an integer")

    def as_text(self) -> str:
        """DisplayString as text: UTF-8 when the bytes are valid UTF-8, otherwise Latin-1,
        which maps every byte to a character, so nothing is replaced or lost."""
        if isinstance(self.value, bytes):
            try:
                return self.value.decode("utf-8")
            except UnicodeDecodeError:
                return self.value.decode("latin-1")
        return "" if self.value is None else str(self.value)


MAX_ARC = 2**32 - 1
MAX_ARCS = 128  # RFC 2578: at most 128 sub-identifiers


def check_oid(oid: Oid) -> Oid:
    """`oid` if SNMP can carry it; ValueError naming what is wrong otherwise."""
    if len(oid) < 2 or len(oid) > MAX_ARCS:
        raise ValueError(f"an OID has 2 to {MAX_ARCS} arcs, not {len(oid)}")
    if oid[0] > 2 or (oid[0] < 2 and oid[1] > 39):
        raise ValueError(f"an OID starts with 0, 1 or 2 (then at most 39), not {oid[0]}.{oid[1]}")
    for arc in oid:
        if not 0 <= arc <= MAX_ARC:
            raise ValueError(f"OID arc {arc} is outside 0..{MAX_ARC}")
    return oid


def parse_oid(text: str) -> Oid:
    text = text.strip().lstrip(".")
    if not text:
        raise ValueError("empty OID")
    return tuple(int(part) for part in text.split("."))


def format_oid(oid: Oid) -> str:
    return ".".join(str(part) for part in oid)
