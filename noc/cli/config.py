"""`noc config`: device configurations backed up over SSH, their history, and compliance."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from noc.cli.common import (
    InventoryOption,
    JsonOption,
    console,
    err_console,
    inventory_or_exit,
    names_or_exit,
    print_json,
)
from noc.cli.maintenance import parse_time
from noc.config.backup import ConfigStore, backup, backup_devices
from noc.config.compliance import FILENAME, load_rules
from noc.config.schedule import violations
from noc.inventory import Inventory
from noc.paths import default_inventory
from noc.settings import Settings

app = typer.Typer(
    help="Device configurations: back up over SSH, history, diff, compliance.",
    no_args_is_help=True,
)
ZONE = "Asia/Jakarta"
DevicesOption = Annotated[
    list[str] | None, typer.Option("--device", "-d", help="a device (repeat for more)")
]


def wib(at: float) -> str:
    return datetime.fromtimestamp(at, ZoneInfo(ZONE)).strftime("%Y-%m-%d %H:%M WIB")


def store() -> ConfigStore:
    return ConfigStore(Settings().var_dir / "config")


def one_device(inv: Inventory, name: str) -> str:
    return names_or_exit(inv, [name])[0]


@app.command("backup")
def backup_(
    devices: DevicesOption = None,
    deadline: Annotated[float, typer.Option(min=1, max=600, help="seconds per device")] = 60.0,
    concurrency: Annotated[int, typer.Option(min=1, max=64)] = 8,
    inventory: InventoryOption = None,
    as_json: JsonOption = False,
) -> None:
    """Back up every device with `ssh:` access (or those named); a commit only on change."""
    inv = inventory_or_exit(inventory)
    names = names_or_exit(inv, devices or [])
    chosen = backup_devices(inv, names)
    if not chosen:
        err_console.print("no device has `ssh:` access in the inventory")
        raise typer.Exit(1)
    outcomes = asyncio.run(
        backup(inv, chosen, store(), concurrency=concurrency, deadline_s=deadline)
    )
    if as_json:
        print_json([o.__dict__ for o in outcomes])
    else:
        table = Table(title="configuration backup", title_justify="left")
        for col in ("device", "result", "commit", "author", "lines", "seconds"):
            table.add_column(col)
        for o in outcomes:
            result = {"changed": "[yellow]changed[/]", "unchanged": "[green]unchanged[/]"}.get(
                o.status, f"[red]failed: {escape(o.reason or '')}[/]"
            )
            lines = f"+{o.added} -{o.removed}" if o.status == "changed" else ""
            table.add_row(
                o.device, result, o.commit[:10], o.author or "", lines, f"{o.duration_s:.1f}"
            )
        console.print(table)
    changed = [o for o in outcomes if o.status == "changed"]
    if changed and inv.alerting is not None:
        from noc.alerts.config_changes import send_config_changes
        from noc.alerts.silences import AlertmanagerError

        try:
            send_config_changes(inv.alerting.alertmanager_url, changed)
        except AlertmanagerError as exc:
            err_console.print(f"changes kept, but not announced: {exc}")
    if any(o.status == "failed" for o in outcomes):
        raise typer.Exit(1)


@app.command()
def history(device: str, inventory: InventoryOption = None, as_json: JsonOption = False) -> None:
    """The revisions of a device's configuration, newest first."""
    name = one_device(inventory_or_exit(inventory), device)
    revisions = store().history.revisions(name)
    if as_json:
        print_json([r.__dict__ for r in revisions])
        return
    if not revisions:
        console.print(f"{name}: no backup yet: `noc config backup --device {name}`")
        return
    table = Table(title=f"{name}: configuration history (times in WIB)", title_justify="left")
    for col in ("revision", "when", "author", "change"):
        table.add_column(col)
    for r in revisions:
        table.add_row(r.short, wib(r.at), r.author, r.message.split(": ", 1)[-1])
    console.print(table)


@app.command()
def diff(
    device: str,
    old: Annotated[
        str | None, typer.Argument(help="revision (default: the one before NEW)")
    ] = None,
    new: Annotated[str | None, typer.Argument(help="revision (default: the latest)")] = None,
    inventory: InventoryOption = None,
) -> None:
    """What changed in a device's configuration between two revisions."""
    name = one_device(inventory_or_exit(inventory), device)
    found = store().history.compare(name, old, new)  # HistoryError: one line, exit 1
    typer.echo(found.text or f"{name}: no difference")


@app.command()
def show(
    device: str,
    at: Annotated[str | None, typer.Option(help="the configuration in force then (WIB)")] = None,
    rev: Annotated[str | None, typer.Option(help="a revision")] = None,
    inventory: InventoryOption = None,
) -> None:
    """A device's kept configuration: the latest, at a time, or at a revision."""
    name = one_device(inventory_or_exit(inventory), device)
    h = store().history
    if at is not None:
        rev = h.at_time(name, parse_time(at, ZONE)).id
    if rev is None:
        text = h.current(name)
        if text is None:
            console.print(f"{name}: no backup yet: `noc config backup --device {name}`")
            return
    else:
        text = h.text_at(name, rev)
    typer.echo(text, nl=False)


@app.command()
def check(
    devices: DevicesOption = None, inventory: InventoryOption = None, as_json: JsonOption = False
) -> None:
    """Every compliance violation in the kept configurations, with its line."""
    inv = inventory_or_exit(inventory)
    rules = load_rules((inventory or default_inventory()).parent / FILENAME)
    kept = store()
    names = names_or_exit(inv, devices or []) or [d.name for d in backup_devices(inv)]
    found, unchecked = violations(inv, kept, rules, names)
    if as_json:
        print_json({"violations": [v.__dict__ for v in found], "not_backed_up": unchecked})
    else:
        for v in found:
            where = f"line {v.line}: {v.content}" if v.line else "no such line"
            console.print(f"{v.device}  {v.rule}  {escape(v.text)}  ({escape(where)})")
        for name in unchecked:
            console.print(f"{name}  not backed up yet")
        console.print(
            f"{len(found)} violations in {len(names) - len(unchecked)} configurations "
            f"({len(rules)} rules)"
        )
    if found:
        raise typer.Exit(1)
