"""`noc flows top`: who filled the uplink, by site (SKPD or kelurahan) or by application."""

from __future__ import annotations

import re
import time
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
    print_json,
    store_engine,
)
from noc.cli.maintenance import DatabaseOption, parse_time
from noc.flows.store import top as top_talkers

app = typer.Typer(help="The uplink's flows: who fills it.", no_args_is_help=True)
_SPAN = re.compile(r"^(\d+)\s*([mhd])$")
_UNIT = {"m": 60, "h": 3600, "d": 86_400}


def since_of(text: str, zone: str, now: float) -> float:
    """`30m`, `6h`, `7d` before now, or a time (WIB unless an offset is given)."""
    span = _SPAN.match(text.strip())
    if span:
        return now - int(span.group(1)) * _UNIT[span.group(2)]
    return parse_time(text, zone)


def _rate(octets: int, seconds: float) -> str:
    bps = octets * 8 / max(seconds, 1.0)
    return f"{bps / 1e6:.2f} Mbps" if bps >= 1e5 else f"{bps / 1e3:.1f} kbps"


def _volume(octets: int) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if octets >= size:
            return f"{octets / size:.1f} {unit}"
    return f"{octets} B"


@app.command()
def top(
    site: Annotated[str | None, typer.Option(help="only this site (its applications)")] = None,
    since: Annotated[
        str, typer.Option(help="from: 30m, 6h, 7d before now, or a time (WIB)")
    ] = "1h",
    until: Annotated[str | None, typer.Option(help="to this time (WIB); default now")] = None,
    by_app: Annotated[bool, typer.Option("--app", help="by application, not by site")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 15,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    inventory: InventoryOption = None,
) -> None:
    """The biggest users of the uplink over a span, from the 1-minute flow buckets."""
    inv = inventory_or_exit(inventory)
    zone = inv.network.timezone
    if site is not None and site not in inv.sites_by_name and site != "-":
        err_console.print(f"unknown site {site!r} (see `noc inventory show`)")
        raise typer.Exit(2)
    now = time.time()
    start = since_of(since, zone, now)
    end = parse_time(until, zone) if until else now
    if end <= start:
        err_console.print("--until must come after --since")
        raise typer.Exit(2)
    by = "app" if by_app or site is not None else "site"
    everyone = top_talkers(store_engine(database, read_only=True), start, end, by, site, None)
    total = sum(t.octets for t in everyone)  # the share is of all of it, not of the rows shown
    talkers = everyone[:limit]
    if as_json:
        print_json(
            {
                "since": start,
                "until": end,
                "by": by,
                "site": site,
                "talkers": [
                    {
                        "name": t.name,
                        "in_octets": t.in_octets,
                        "out_octets": t.out_octets,
                        "flows": t.flows,
                        "in_bps": t.in_octets * 8 / (end - start),
                        "out_bps": t.out_octets * 8 / (end - start),
                    }
                    for t in talkers
                ],
            }
        )
        return
    tz = ZoneInfo(zone)
    first, last = datetime.fromtimestamp(start, tz), datetime.fromtimestamp(end, tz)
    same_day = last.date() == first.date()
    span = (
        f"{first:%Y-%m-%d %H:%M} to {last.strftime('%H:%M' if same_day else '%Y-%m-%d %H:%M')} WIB"
    )
    what = f"applications of {site}" if site else "applications" if by == "app" else "sites"
    table = Table(title=f"top {what} on the uplink, {span}", title_justify="left")
    table.add_column("site" if by == "site" else "application", no_wrap=True, max_width=32)
    for col in ("down (avg)", "up (avg)", "volume", "share", "flows"):
        table.add_column(col, justify="right", no_wrap=True)
    names = {s.name: s.title for s in inv.sites}
    for t in talkers:
        label = t.name
        if by == "site":  # its title as people say it, its name (for --site) beneath
            label = f"{escape(names.get(t.name, 'outside addresses'))}\n[dim]{escape(t.name)}[/]"
        table.add_row(
            label,
            _rate(t.in_octets, end - start),
            _rate(t.out_octets, end - start),
            _volume(t.octets),
            f"{100 * t.octets / total:.1f}%" if total else "",
            f"{t.flows:,}",
        )
    console.print(table)
    if not talkers:
        console.print("no flows in that span: is NOC_FLOW_PORT set, and the router exporting?")
