"""Interface type names (ifType), from IANA's IANAifType-MIB, shipped as data."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def if_types() -> dict[int, str]:
    text = resources.files("noc.snmp").joinpath("data/ianaiftype.tsv").read_text("utf-8")
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            number, name = line.split("\t")
            out[int(number)] = name
    return out


def if_type_name(value: int | None) -> str | None:
    """The registry's name; the number as text for a value IANA has not named."""
    if value is None:
        return None
    return if_types().get(value, str(value))
