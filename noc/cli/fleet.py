"""`noc fleet status` and `noc fleet targets`: the collectors sharing the store, what each
polls, and the Prometheus targets that scrape them."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
from rich.table import Table
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
from noc.fleet.domains import device_domains
from noc.settings import Settings
from noc.store.leases import CollectorView, LeaseView, fleet_view

app = typer.Typer(help="The fleet of collectors sharing the store.", no_args_is_help=True)


def _age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def _view(
    inventory: Path | None,
) -> tuple[list[CollectorView], list[LeaseView], dict[str, list[str]], float]:
    inv = inventory_or_exit(inventory)
    settings = Settings()
    engine = store_engine()
    if engine.dialect.name != "postgresql":
        err_console.print("no fleet: the store is SQLite (a fleet shares a PostgreSQL store)")
        raise typer.Exit(1)
    try:
        collectors, leases = fleet_view(engine, settings.lease_s)
    except SQLAlchemyError as exc:
        err_console.print(f"cannot read the fleet: {redact.first_line(exc)}")
        raise typer.Exit(1) from None
    devices: dict[str, list[str]] = {}
    for device, domain in device_domains(inv).items():
        devices.setdefault(domain, []).append(device)
    return collectors, leases, devices, settings.lease_s


def status(inventory: InventoryOption = None, as_json: JsonOption = False) -> None:
    """The collectors (site, last heartbeat, poll domains and devices held) and the domains in
    handover: no live collector polls them right now."""
    collectors, leases, devices, lease_s = _view(inventory)
    held_devices: Counter[str] = Counter()
    for lease in leases:
        if lease.owner is not None and not lease.in_handover:
            held_devices[lease.owner] += len(devices.get(lease.domain, []))
    handover = [lease for lease in leases if lease.in_handover and lease.domain in devices]
    data: dict[str, Any] = {
        "lease_s": lease_s,
        "collectors": [
            {
                "name": c.name,
                "site": c.site,
                "url": c.url,
                "alive": c.alive,
                "heartbeat_age_s": round(c.heartbeat_age_s, 1),
                "domains": c.domains,
                "devices": held_devices[c.name],
            }
            for c in collectors
        ],
        "handover": [
            {
                "domain": lease.domain,
                "devices": sorted(devices[lease.domain]),
                "last_owner": lease.owner or lease.previous_owner,
                "since_s": round(-lease.expires_in_s, 1) if lease.owner else None,
            }
            for lease in handover
        ],
    }
    if as_json:
        emit_json(data)
        return
    table = Table(title=f"collectors (a lease lasts {lease_s:g} s)")
    for col in ("collector", "site", "heartbeat", "domains", "devices", "serves"):
        table.add_column(col)
    for c in collectors:
        beat = _age(c.heartbeat_age_s) if c.alive else f"[red]{_age(c.heartbeat_age_s)}[/]"
        table.add_row(c.name, c.site, beat, str(c.domains), str(held_devices[c.name]), c.url)
    console.print(table)
    if not handover:
        console.print("[green]every poll domain is held by a live collector[/]")
        return
    console.print(f"[bold red]{len(handover)} poll domain(s) in handover[/] (no collector "
                  "polls them until one takes them):")  # fmt: skip
    for lease in handover:
        who = lease.owner or lease.previous_owner or "nobody yet"
        console.print(f"  {lease.domain}: {len(devices[lease.domain])} device(s), "
                      f"last held by {who}")  # fmt: skip


def targets(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="write here (default: print)")
    ] = None,
    inventory: InventoryOption = None,
) -> None:
    """The fleet as Prometheus file-based service discovery: one target per live collector,
    labelled with its `collector` and `site`. Point `file_sd_configs` at the file; run this
    again (from cron or a timer) and Prometheus follows the fleet as it changes."""
    collectors, _, _, _ = _view(inventory)
    groups = []
    for c in collectors:
        if not c.alive or not c.url:
            continue
        address = urlsplit(c.url).netloc
        groups.append({"targets": [address], "labels": {"collector": c.name, "site": c.site}})
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
