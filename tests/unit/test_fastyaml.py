"""The fast reader reads every inventory exactly as the full loader does, and sends anything
it might read differently to the full loader (which then reports errors with their lines)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ruamel.yaml import YAML

from noc.inventory import fastyaml, load_inventory
from noc.inventory.errors import InventoryError
from tests.conftest import DATA, INVENTORY

INVENTORIES = [INVENTORY, *sorted((DATA / "inventories").rglob("*.yaml"))]


def full(text: str) -> object:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml.load(text)


@pytest.mark.parametrize("path", INVENTORIES, ids=lambda p: p.name)
def test_every_inventory_reads_the_same_either_way(path: Path) -> None:
    text = path.read_text()
    try:
        quick = fastyaml.read(text)
    except (fastyaml.Ambiguous, yaml.YAMLError):
        return  # left to the full loader: nothing to compare
    assert quick == full(text)


@pytest.mark.parametrize(
    "scalar",
    ["010", "0o17", "0x1F", "0b11", "1_000", "1e3", "1.", ".5", "+.5", ".inf", ".NaN"],
)
def test_numbers_the_full_loader_reads_differently_are_left_to_it(scalar: str) -> None:
    with pytest.raises(fastyaml.Ambiguous):
        fastyaml.read(f"value: {scalar}\n")
    full(f"value: {scalar}\n")  # the full loader reads it (as a number)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("on", "on"),
        ("yes", "yes"),
        ("No", "No"),
        ("1:30", "1:30"),
        ("true", True),
        ("False", False),
        ("~", None),
        ("null", None),
        ("42", 42),
        ("-7", -7),
        ("0.25", 0.25),
        ("127.0.0.1", "127.0.0.1"),
        ('"010"', "010"),
        ("'on'", "on"),
    ],
)
def test_words_stay_words_and_plain_numbers_are_numbers(text: str, value: object) -> None:
    assert fastyaml.read(f"value: {text}\n") == {"value": value} == full(f"value: {text}\n")


def test_a_duplicate_key_is_left_to_the_full_loader_which_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(fastyaml.Ambiguous):
        fastyaml.read("a: 1\nb: 2\na: 3\n")
    path = tmp_path / "inventory.yaml"
    text = INVENTORY.read_text()
    path.write_text(text.replace("version: 1\n", "version: 1\nversion: 1\n", 1))
    with pytest.raises(InventoryError) as err:
        load_inventory(path)
    line = text.splitlines().index("version: 1") + 2  # the second one
    assert f"inventory.yaml:{line}: invalid YAML: found duplicate key" in str(err.value)
