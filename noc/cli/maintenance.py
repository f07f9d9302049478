"""`noc maintenance`: windows added at run time (the inventory holds the standing ones)."""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from noc.cli.common import (
    InventoryOption,
    JsonOption,
    console,
    err_console,
    inventory_or_exit,
    names_or_exit,
    store_engine,
)
from noc.cli.common import print_json as emit_json
from noc.polling.maintenance import windows_of
from noc.store.maintenance import add_window, list_windows, remove_window

app = typer.Typer(
    help="Maintenance windows: no incidents, not counted against SLA.", no_args_is_help=True
)

DatabaseOption = Annotated[str | None, typer.Option("--database", help="store URL")]


def parse_time(text: str, zone: str) -> float:
    """ISO 8601; without an offset it is the network's local time (WIB)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        err_console.print(f"not a time: {text!r} (e.g. 2026-12-06T22:00 or 2026-12-06T22:00+07:00)")
        raise typer.Exit(2) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    try:
        return moment.timestamp()
    except (ValueError, OverflowError):  # year 1 with a positive offset lies before year 1
        err_console.print(f"not a time a window can have: {text!r}")
        raise typer.Exit(2) from None


@app.command()
def add(
    name: Annotated[str, typer.Option(help="what the work is")],
    start: Annotated[str, typer.Option(help="ISO time; local (WIB) when no offset is given")],
    end: Annotated[str, typer.Option(help="ISO time; local (WIB) when no offset is given")],
    device: Annotated[
        list[str] | None,
        typer.Option("--device", "-d", help="a device in maintenance (repeat for several)"),
    ] = None,
    site: Annotated[
        list[str] | None,
        typer.Option("--site", "-s", help="a whole site in maintenance (repeat for several)"),
    ] = None,
    inventory: InventoryOption = None,
    database: DatabaseOption = None,
) -> None:
    """Add a window for devices and/or whole sites."""
    inv = inventory_or_exit(inventory)
    device = names_or_exit(inv, device or [])
    site = names_or_exit(inv, site or [], "site")
    zone = inv.network.timezone
    engine = store_engine(database)
    try:
        window_id = add_window(
            engine, name, device or [], site or [], parse_time(start, zone), parse_time(end, zone)
        )
    except ValueError as exc:
        err_console.print(str(exc))
        raise typer.Exit(2) from None
    console.print(f"added {window_id}")
    if inv.alerting is not None:  # and silence what already fires for it in Alertmanager
        from noc.alerts.silences import AlertmanagerError, silence_maintenance

        try:
            made = silence_maintenance(
                inv.alerting.alertmanager_url,
                window_id,
                name,
                device or [],
                site or [],
                parse_time(start, zone),
                parse_time(end, zone),
                f"maintenance:{getpass.getuser()}",
            )
            console.print(f"Alertmanager: {len(made)} silence(s) for the window")
        except AlertmanagerError as exc:
            err_console.print(f"window added, but no silence in Alertmanager: {exc}")


@app.command("list")
def list_(
    as_json: JsonOption = False, database: DatabaseOption = None, inventory: InventoryOption = None
) -> None:
    """Every window: those added at run time (with the id `remove` takes; a unique prefix is
    enough) and the inventory's standing ones."""
    stored = list_windows(store_engine(database, read_only=True))
    inv = inventory_or_exit(inventory)
    zone = ZoneInfo(inv.network.timezone)
    windows = windows_of(inv, stored)  # the inventory's first, then those added at run time
    if as_json:
        emit_json(
            [
                {
                    "id": w.id,
                    "name": w.name,
                    "devices": sorted(w.devices),
                    "sites": sorted(w.sites),
                    "start": w.start,
                    "end": w.end,
                    "source": "run time",
                }
                for w in stored
            ]
            + [
                {
                    "id": "inventory",
                    "name": w.name,
                    "devices": sorted(w.devices),
                    "sites": sorted(w.sites),
                    "start": w.when(zone)[0],
                    "end": w.when(zone)[1],
                    "source": "inventory",
                }
                for w in windows
                if w.id is None
            ]
        )
        return
    if not windows:
        console.print("no maintenance windows")
        return
    table = Table(title="maintenance windows (times in WIB)", title_justify="left")
    for col in ("id", "name", "devices", "sites", "start", "end"):
        table.add_column(col, no_wrap=col == "id", overflow="fold")
    # Run-time windows (the ones `remove` takes) first, then the inventory's.
    for w in sorted(windows, key=lambda w: w.id is None):
        # The first 8 characters are enough for `remove` (a unique start of the id).
        table.add_row(
            w.id[:8] if w.id else "[dim]inventory[/]",
            w.name,
            ", ".join(sorted(w.devices)),
            ", ".join(sorted(w.sites)),
            *w.when(zone),
        )
    console.print(table)


@app.command()
def remove(
    window_id: str, database: DatabaseOption = None, inventory: InventoryOption = None
) -> None:
    """Remove a window by its id, or a unique start of it (and expire its silences in
    Alertmanager)."""
    engine = store_engine(database)
    ids = [w.id for w in list_windows(engine) if w.id is not None]
    matches = [i for i in ids if i.startswith(window_id.strip().lower())] if window_id else []
    if window_id in ids:
        matches = [window_id]
    if len(matches) > 1:
        err_console.print(f"{window_id!r} starts {len(matches)} window ids; give more of it")
        raise typer.Exit(2)
    if not matches or not remove_window(engine, matches[0]):
        err_console.print(f"no window {window_id!r} (`noc maintenance list` shows the ids)")
        raise typer.Exit(1)
    window_id = matches[0]
    console.print(f"removed {window_id}")
    inv = inventory_or_exit(inventory)
    if inv.alerting is not None:
        from noc.alerts.silences import AlertmanagerError, expire_maintenance

        try:
            gone = expire_maintenance(inv.alerting.alertmanager_url, window_id)
            console.print(f"Alertmanager: {gone} silence(s) expired")
        except AlertmanagerError as exc:
            err_console.print(f"window removed, but its silences remain: {exc}")
