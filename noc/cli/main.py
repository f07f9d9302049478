"""The `noc` command: one entry point for operators, technicians and managers."""

from __future__ import annotations

import typer

from noc.cli import (
    alerts,
    collect,
    dashboards,
    demo,
    diag,
    dr,
    inventory,
    lab,
    maintenance,
    sla,
    token,
)

app = typer.Typer(
    help="NOC toolkit for the Kota Bogor city network.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(inventory.app, name="inventory")
app.add_typer(lab.app, name="lab")
app.add_typer(dashboards.app, name="dashboards")
app.add_typer(sla.app, name="sla")
app.add_typer(maintenance.app, name="maintenance")
app.add_typer(diag.app, name="diag")
app.add_typer(token.app, name="token")
app.add_typer(dr.app, name="dr")
app.add_typer(alerts.app, name="alerts")
app.command()(collect.poll)
app.command()(collect.serve)
app.command("collect", hidden=True)(collect.serve)
app.command()(collect.status)
app.command()(demo.demo)
