"""What Alertmanager runs with: its configuration with the secrets filled in (written for its
owner only), and its command line."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ruamel.yaml import YAML

from noc.alerts.config import TEMPLATE, config_text, fill_secrets, template_text
from noc.errors import NocError
from noc.inventory import Inventory


class AlertmanagerMissing(NocError):
    def __str__(self) -> str:
        return "Alertmanager is missing: apt-get install prometheus-alertmanager"


def runtime_files(inv: Inventory, var_dir: Path) -> Path:
    """The configuration Alertmanager reads, secrets filled in (SecretError when one is not
    set), readable by its owner only; its path."""
    yaml = YAML(typ="safe")
    filled = fill_secrets(yaml.load(config_text(inv)), inv)
    folder = var_dir / "alertmanager"
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / "alertmanager.yml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        yaml.dump(filled, fh)
    (folder / TEMPLATE).write_text(template_text(inv), encoding="utf-8")
    return path


def alertmanager_command(config_file: Path, listen: str) -> list[str]:
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        raise AlertmanagerMissing
    return [
        binary,
        f"--config.file={config_file}",
        f"--storage.path={config_file.parent / 'data'}",
        f"--web.listen-address={listen}",
        "--cluster.listen-address=",
    ]
