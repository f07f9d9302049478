"""`noc fleet status` and `noc fleet targets`: the collectors sharing the store, what each
polls, and the Prometheus targets that scrape them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from noc import redact
from noc.cli.common import (
    InventoryOption,
    JsonOption,
    console,
    err_console,
    inventory_or_exit,
    store_engine,
)
from noc.cli.common import print_json as emit_json
from noc.fleet.report import fleet_status
from noc.settings import Settings
from noc.store.leases import fleet_view

app = typer.Typer(help="The fleet of collectors sharing the store.", no_args_is_help=True)


def _age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def _engine() -> Engine:
    engine = store_engine()
    if engine.dialect.name != "postgresql":
        err_console.print("no fleet: the store is SQLite (a fleet shares a PostgreSQL store)")
        raise typer.Exit(1)
    return engine


def status(inventory: InventoryOption = None, as_json: JsonOption = False) -> None:
    """The collectors (site, last heartbeat, poll domains and devices held) and the domains in
    handover: no live collector polls them right now."""
    inv = inventory_or_exit(inventory)
    try:
        data = fleet_status(_engine(), inv, Settings().lease_s)
    except SQLAlchemyError as exc:
        err_console.print(f"cannot read the fleet: {redact.first_line(exc)}")
        raise typer.Exit(1) from None
    if as_json:
        emit_json(data)
        return
    table = Table(title=f"collectors (a lease lasts {data['lease_s']:g} s)")
    for col in ("collector", "site", "heartbeat", "domains", "devices", "serves"):
        table.add_column(col)
    for c in data["collectors"]:
        age = _age(c["heartbeat_age_s"])
        if c["alive"]:
            beat = age
        elif c["stopped"]:
            beat = f"[dim]stopped, {age}[/]"
        else:
            beat = f"[red]{age}: lost[/]"
        table.add_row(c["name"], c["site"], beat, str(c["domains"]), str(c["devices"]), c["url"])
    console.print(table)
    handover = data["handover"]
    if not handover:
        console.print("[green]every poll domain is held by a live collector[/]")
        return
    console.print(
        f"[bold red]{len(handover)} poll domain(s) in handover[/] (no collector "
        "polls them until one takes them):"
    )
    shown = 10
    for item in handover[:shown]:
        who = item["last_owner"] or "nobody yet"
        console.print(f"  {item['domain']}: {len(item['devices'])} device(s), last held by {who}")
    if len(handover) > shown:
        rest = sum(len(i["devices"]) for i in handover[shown:])
        console.print(f"  and {len(handover) - shown} more ({rest} devices; --json lists all)")


def targets(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="write here (default: print)")
    ] = None,
    inventory: InventoryOption = None,
) -> None:
    """The fleet as Prometheus file-based service discovery: one target per live collector,
    labelled with its `collector` and `collector_site`. Point `file_sd_configs` at the file;
    run this again (from cron or a timer) and Prometheus follows the fleet as it changes."""
    inventory_or_exit(inventory)
    try:
        collectors, _ = fleet_view(_engine(), Settings().lease_s)
    except SQLAlchemyError as exc:
        err_console.print(f"cannot read the fleet: {redact.first_line(exc)}")
        raise typer.Exit(1) from None
    groups = []
    for c in collectors:
        if not c.alive or not c.url:
            continue
        address = urlsplit(c.url).netloc
        # `collector_site`, not `site`: the series carry the device's own `site` label.
        labels = {"collector": c.name, "collector_site": c.site}
        groups.append({"targets": [address], "labels": labels})
    text = json.dumps(groups, indent=2) + "\n"
    if out is None:
        console.print(text, end="", markup=False, highlight=False)
        return
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)  # Prometheus never reads half a file
    err_console.print(f"{len(groups)} collector(s) written to {out}")


app.command()(status)
app.command()(targets)
