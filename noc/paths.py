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


def read_settings_file(path: Path) -> dict[str, str]:
    """`NAME=value` lines (names in capitals): blank lines and `#` comments skipped, an
    `export ` in front allowed, a value in matching quotes taken as it is, else up to a ` #`
    comment. A file that cannot be read holds nothing."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    found: dict[str, str] = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].rstrip()
        found[key.strip().upper()] = value
    return found


def from_settings_files() -> dict[str, tuple[str, Path]]:
    """Every variable of the settings files with the file it came from (later files win)."""
    found: dict[str, tuple[str, Path]] = {}
    for path in settings_files():
        found.update({k: (v, path) for k, v in read_settings_file(path).items()})
    return found


def setting(name: str) -> str | None:
    """A variable from the environment, else from the settings files."""
    if os.environ.get(name):
        return os.environ[name]
    found = from_settings_files().get(name.upper())
    return found[0] if found else None


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
