"""`noc events`: what the devices said (traps and syslog), from the event log."""

from __future__ import annotations

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
    inventory_or_exit,
    names_or_exit,
    print_json,
    store_engine,
)
from noc.cli.maintenance import DatabaseOption, parse_time
from noc.events.log import read


def events(
    device: Annotated[
        list[str] | None, typer.Option("--device", "-d", help="a device (repeat for more)")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="from this time (WIB), e.g. 2026-12-07 08:00")
    ] = None,
    grep: Annotated[str | None, typer.Option(help="only lines containing this text")] = None,
    unknown: Annotated[
        bool, typer.Option("--unknown", help="only messages from no known device")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 100,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    inventory: InventoryOption = None,
) -> None:
    """Traps and syslog lines the collector received, newest first."""
    inv = inventory_or_exit(inventory)
    zone = ZoneInfo(inv.network.timezone)
    names = names_or_exit(inv, device or [])
    start = parse_time(since, inv.network.timezone) if since else None
    found = read(store_engine(database, read_only=True), names, start, grep, unknown, limit)
    if as_json:
        print_json([e.__dict__ for e in found])
        return
    title = "messages from unknown sources" if unknown else "device messages"
    table = Table(title=f"{title} (times in WIB)", title_justify="left")
    for col in ("when", "device", "from", "kind", "meaning", "message"):
        table.add_column(col, overflow="fold")
    for e in found:
        when = datetime.fromtimestamp(e.at, zone).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(when, e.device or "?", e.source, e.kind, e.meaning or "", escape(e.text))
    console.print(table)
    if not found:
        console.print("nothing recorded" + (" from unknown sources" if unknown else ""))
