"""Names as people type them: a transposition of two digits is the first suggestion."""

from __future__ import annotations

import pytest

from noc.inventory.names import UnknownName, closest, resolve, transposed

BTS = [f"bts-{n:02d}" for n in range(1, 19)]


def test_a_transposition_of_digits_is_suggested_first() -> None:
    assert closest("bts-70", BTS)[0] == "bts-07"
    assert closest("bts-21", BTS)[0] == "bts-12"
    with pytest.raises(UnknownName, match="did you mean bts-07"):
        resolve("bts-70", BTS)


def test_only_neighbouring_digits_count_as_transposed() -> None:
    assert transposed("bts-70", "bts-07")
    assert not transposed("bts-07", "bts-07")
    assert not transposed("stb-07", "bts-07")  # letters: not the keypad slip
    assert not transposed("bts-170", "bts-071")


def test_loose_spellings_resolve() -> None:
    assert resolve("BTS-12", BTS) == "bts-12"
    assert resolve("bts-7", BTS) == "bts-07"


def test_unicode_digits_are_text_not_numbers() -> None:
    """`bts-²` is no device (found by the API's fuzzing: it was a server error)."""
    with pytest.raises(UnknownName):
        resolve("bts-²", {"bts-02": 1})
    with pytest.raises(UnknownName):
        resolve("bts-0²", {"bts-02": 1})
