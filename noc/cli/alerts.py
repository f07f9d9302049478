"""`noc alerts`: Alertmanager's configuration from the inventory, and Alertmanager itself."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from noc.alerts.config import TEMPLATE, config_text, fill_secrets, template_text
from noc.cli.common import InventoryOption, console, err_console, inventory_or_exit
from noc.inventory.secrets import SecretError

app = typer.Typer(help="Alerts: Alertmanager's configuration, and running it.",
                  no_args_is_help=True)  # fmt: skip
EXPORTERS = Path(__file__).resolve().parents[2] / "exporters" / "alertmanager"


@app.command()
def config(
    out: Annotated[Path, typer.Option(help="folder to write into")] = EXPORTERS,
    inventory: InventoryOption = None,
) -> None:
    """Write alertmanager.yml and its message template from the inventory's `alerting:`
    section (secrets stay ${VARIABLE} placeholders)."""
    inv = inventory_or_exit(inventory)
    if inv.alerting is None:
        err_console.print("the inventory has no `alerting:` section")
        raise typer.Exit(2)
    out.mkdir(parents=True, exist_ok=True)
    (out / "alertmanager.yml").write_text(config_text(inv), encoding="utf-8")
    (out / TEMPLATE).write_text(template_text(inv), encoding="utf-8")
    console.print(f"wrote {out / 'alertmanager.yml'} and {out / TEMPLATE}")


def runtime_files(inv_path: Path | None, var_dir: Path) -> Path:
    """The configuration Alertmanager reads, secrets filled in, readable by its owner only."""
    from ruamel.yaml import YAML

    inv = inventory_or_exit(inv_path)
    if inv.alerting is None:
        err_console.print("the inventory has no `alerting:` section")
        raise typer.Exit(2)
    yaml = YAML(typ="safe")
    try:
        filled = fill_secrets(yaml.load(config_text(inv)), inv)
    except SecretError as exc:
        err_console.print(f"cannot configure Alertmanager: {exc}")
        raise typer.Exit(2) from None
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
        err_console.print("Alertmanager is missing: apt-get install prometheus-alertmanager")
        raise typer.Exit(1)
    return [binary, f"--config.file={config_file}",
            f"--storage.path={config_file.parent / 'data'}",
            f"--web.listen-address={listen}", "--cluster.listen-address="]  # fmt: skip


@app.command()
def run(inventory: InventoryOption = None) -> None:
    """Run Alertmanager with the inventory's configuration and the secrets from the
    environment (written only to var/alertmanager/alertmanager.yml, mode 0600)."""
    from noc.settings import Settings

    settings = Settings()
    path = runtime_files(inventory or settings.inventory, settings.var_dir)
    inv = inventory_or_exit(inventory or settings.inventory)
    assert inv.alerting is not None
    url = urlsplit(inv.alerting.alertmanager_url)
    listen = f"{url.hostname}:{url.port or 9093}"
    console.print(f"Alertmanager on {listen}")
    raise typer.Exit(subprocess.call(alertmanager_command(path, listen)))
