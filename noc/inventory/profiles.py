"""Polling profiles: which SNMP objects to poll for each kind of device.

Profiles are YAML files in `inventory/profiles/` (or `$NOC_PROFILES_DIR`). A profile may extend
others; scalars and table columns are merged, the extending profile winning.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml import YAML

from noc.errors import NocError

OID_PATTERN = r"^1(\.\d+)+$"
Oid = Annotated[str, Field(pattern=OID_PATTERN)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(_Strict):
    oid: Oid
    # Slow columns (names, types, speeds) are refreshed on a slower cadence than counters.
    slow: bool = False


class Table(_Strict):
    description: str = ""
    columns: dict[str, Column]


class Profile(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    description: str = ""
    extends: list[str] = []
    scalars: dict[str, Oid] = {}
    tables: dict[str, Table] = {}
    # Packet counters by cast (unicast, multicast, broadcast) on /metrics: six series an
    # interface, so off unless a profile (or one it extends) asks for them.
    export_packets: bool = False


class ProfileError(NocError):
    pass


def profiles_dir() -> Path:
    env = os.environ.get("NOC_PROFILES_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "inventory" / "profiles"


def available_profiles() -> set[str]:
    directory = profiles_dir()
    return {p.stem for p in directory.glob("*.yaml")} if directory.is_dir() else set()


@cache
def _read(directory: Path, name: str) -> Profile:
    path = directory / f"{name}.yaml"
    if not re.fullmatch(r"[a-z0-9_]+", name) or not path.is_file():
        raise ProfileError(f"unknown polling profile {name!r} (looked in {directory})")
    try:
        return Profile.model_validate(YAML(typ="safe").load(path.read_text(encoding="utf-8")))
    except ValidationError as exc:
        raise ProfileError(f"{path}: {exc}") from None


def load_profile(name: str, directory: Path | None = None) -> Profile:
    """The profile `name` with everything it extends merged in."""
    return _resolve(directory or profiles_dir(), name, ())


def _resolve(directory: Path, name: str, chain: tuple[str, ...]) -> Profile:
    if name in chain:
        raise ProfileError(f"profile cycle: {' -> '.join((*chain, name))}")
    own = _read(directory, name)
    scalars: dict[str, str] = {}
    tables: dict[str, dict[str, Column]] = {}
    descriptions: dict[str, str] = {}
    packets = own.export_packets
    for base_name in own.extends:
        base = _resolve(directory, base_name, (*chain, name))
        packets = packets or base.export_packets
        scalars.update(base.scalars)
        for tname, table in base.tables.items():
            tables.setdefault(tname, {}).update(table.columns)
            descriptions[tname] = table.description
    scalars.update(own.scalars)
    for tname, table in own.tables.items():
        tables.setdefault(tname, {}).update(table.columns)
        descriptions[tname] = table.description or descriptions.get(tname, "")
    return Profile(
        name=own.name,
        description=own.description,
        extends=[],
        export_packets=packets,
        scalars=scalars,
        tables={
            t: Table(description=descriptions.get(t, ""), columns=cols)
            for t, cols in tables.items()
        },
    )
