"""Forgiving names: a device, site or link named the way a person types it under pressure.

`BTS-07`, `bts-7` and `Bts-07` all find `bts-07`: case does not matter, nor do leading zeros
in a number. A name that still matches nothing is refused at once with the closest names, so
the technician is not kept waiting for a network timeout to learn of a typo."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from noc.errors import NocError

_PARTS = re.compile(r"([0-9]+)")  # ASCII digits: `²` is text


class UnknownName(NocError, ValueError):
    """No such name; the message offers the closest ones."""

    def __init__(self, what: str, given: str, suggestions: list[str]) -> None:
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown {what} {given!r}{hint}")
        self.what, self.given, self.suggestions = what, given, suggestions


def loose(name: str) -> tuple[str | int, ...]:
    """The key two spellings of one name share: lower case, numbers without leading zeros."""
    parts = _PARTS.split(name.strip().lower())
    return tuple(int(p) if p.isascii() and p.isdigit() else p for p in parts if p)


def transposed(given: str, name: str) -> bool:
    """The same name but for two neighbouring digits swapped (`bts-70` for `bts-07`)."""
    a, b = given.strip().lower(), name.lower()
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) != 2 or diff[1] != diff[0] + 1:
        return False
    i, j = diff
    return a[i].isdigit() and a[j].isdigit() and a[i] == b[j] and a[j] == b[i]


def closest(given: str, names: Iterable[str], n: int = 3) -> list[str]:
    """The names most like `given`: a transposition of two digits first (the commonest slip
    on a keypad), then by similarity."""
    pool = sorted(set(names))
    lowered = {name.lower(): name for name in pool}
    text = given.strip().lower()
    found = [name for name in pool if transposed(text, name)]
    found += [
        lowered[m]
        for m in difflib.get_close_matches(text, list(lowered), n=n, cutoff=0.6)
        if lowered[m] not in found
    ]
    if len(found) < n and len(text) >= 3:
        found += [name for name in pool if text in name.lower() and name not in found]
    return found[:n]


def resolve(given: str, names: Iterable[str], what: str = "device") -> str:
    """The inventory's spelling of `given`, or UnknownName with suggestions."""
    pool = list(names)
    if given in pool:
        return given
    matches = [name for name in pool if loose(name) == loose(given)]
    if len(matches) == 1:
        return matches[0]
    raise UnknownName(what, given, matches or closest(given, pool))
