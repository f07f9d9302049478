"""Where the toolkit finds its inventory and keeps its state, the same from any folder.

In order: the environment (`NOC_INVENTORY`, `NOC_VAR_DIR`, also read from a settings file,
`/etc/noc/noc.env` or `noc.env` in the project), then the project's own files: the
`inventory.yaml` and `var/` of the project the `noc` command was installed from (a source
checkout), else those of the working folder."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

SETTINGS_FILES = (Path("/etc/noc/noc.env"),)


@cache
def project_root() -> Path:
    """The source checkout this package runs from (it holds inventory.yaml), else the
    working folder."""
    here = Path(__file__).resolve().parents[1]
    return here if (here / "inventory.yaml").is_file() and (here / "noc").is_dir() else Path()


def settings_files() -> tuple[Path, ...]:
    return (*SETTINGS_FILES, project_root() / "noc.env")


def _from_files(name: str) -> str | None:
    """A variable from the settings files (later files win), when the environment lacks it."""
    found = None
    for path in settings_files():
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for line in lines:
            key, sep, value = line.strip().partition("=")
            if sep and key.strip() == name:
                found = value.strip().strip("'\"")
    return found


def setting(name: str) -> str | None:
    return os.environ.get(name) or _from_files(name)


def default_var_dir() -> Path:
    given = setting("NOC_VAR_DIR")
    return Path(given) if given else project_root() / "var"


def var_dir() -> Path:
    path = default_var_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_inventory() -> Path:
    given = setting("NOC_INVENTORY")
    if given:
        return Path(given)
    local = Path("inventory.yaml")
    return local if local.is_file() else project_root() / "inventory.yaml"
