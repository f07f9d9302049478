"""`noc dr`: is the DR site ready to take over, and the DR site's own view."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

import typer
from rich.table import Table

from noc.cli.common import (
    InventoryOption,
    JsonOption,
    console,
    err_console,
    inventory_or_exit,
    print_json,
)
from noc.dr.checks import Readiness, Status
from noc.settings import Settings

app = typer.Typer(help="Disaster recovery: readiness checks and the DR site's probe.",
                  no_args_is_help=True)  # fmt: skip
log = logging.getLogger(__name__)

STYLE = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "bold red"}
READY_STYLE = {Readiness.READY: "bold green", Readiness.DEGRADED: "bold yellow",
               Readiness.NOT_READY: "bold red"}  # fmt: skip


@app.command()
def check(
    window: Annotated[float, typer.Option("--window", help="seconds between readings")] = 2.0,
    inventory: InventoryOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every readiness check, the verdict (READY / DEGRADED / NOT READY) and what the failover
    policy would decide; the result is kept in the store. Exit 0 READY, 1 DEGRADED, 2 NOT READY."""
    from noc.dr.history import record
    from noc.dr.runner import run_checks
    from noc.snmp.lean_client import default_client
    from noc.store.db import make_engine, upgrade

    inv = inventory_or_exit(inventory)
    if inv.dr is None:
        err_console.print("the inventory has no `dr:` section")
        raise typer.Exit(2)

    async def go() -> Any:
        client = default_client()
        try:
            return await run_checks(inv, client, window_s=window)
        finally:
            await client.close()

    report, decision = asyncio.run(go())
    try:
        engine = make_engine(Settings().db_url())
        upgrade(engine)
        record(engine, report)
    except Exception as exc:  # the verdict stands without its history
        err_console.print(f"[dim]not stored: {type(exc).__name__}[/]")
    if as_json:
        print_json({**report.to_json(), "policy": decision})
    else:
        table = Table(title=f"DR readiness: {inv.dr.dr_site}")
        for col in ("check", "subject", "status", "reason"):
            table.add_column(col, overflow="fold")
        for r in report.results:
            table.add_row(r.check, r.subject, f"[{STYLE[r.status]}]{r.status.value}[/]", r.reason)
        console.print(table)
        word = report.readiness.value.replace("_", " ").upper()
        console.print(f"[{READY_STYLE[report.readiness]}]{word}[/]: {report.reason}")
        console.print("failover: " + ("RECOMMENDED" if decision["failover"] else "no") + " — "
                      + "; ".join(decision["explanation"]))  # fmt: skip
    raise typer.Exit({Readiness.READY: 0, Readiness.DEGRADED: 1, Readiness.NOT_READY: 2}[
        report.readiness])  # fmt: skip


@app.command()
def probe(
    listen: Annotated[str, typer.Option(help="HOST:PORT to serve /probe on")] = "127.0.2.10:18081",
    inventory: InventoryOption = None,
) -> None:
    """Run at the DR site: serve its own view of the primary site (does any of the primary
    site's devices answer SNMP from here?) as JSON on /probe, the second vantage point."""
    from noc.dr.probe import probe_server

    inv = inventory_or_exit(inventory)
    if inv.dr is None:
        err_console.print("the inventory has no `dr:` section")
        raise typer.Exit(2)
    host, _, port = listen.rpartition(":")
    server = probe_server(inv, host, int(port))
    console.print(f"DR probe on http://{listen}/probe (primary site: {inv.dr.primary_site})")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()
