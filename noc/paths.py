"""Where the toolkit keeps its state: `$NOC_VAR_DIR`, else ./var."""

from __future__ import annotations

import os
from pathlib import Path


def var_dir() -> Path:
    path = Path(os.environ.get("NOC_VAR_DIR", "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_inventory() -> Path:
    return Path(os.environ.get("NOC_INVENTORY", "inventory.yaml"))
