"""The `noc` command: one entry point for operators, technicians and managers."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperOption

from noc.cli import (
    alerts,
    collect,
    dashboards,
    demo,
    diag,
    dr,
    fleet,
    inventory,
    lab,
    maintenance,
    sla,
    status,
    token,
)
from noc.cli.errors import run

_type_of = TyperOption.display_type_rich


def _no_type_for_flags(self: TyperOption, ctx: Any) -> str | None:
    """`--json`, `--off`, `--help` take no value; the help shows none."""
    return None if self.is_flag else _type_of(self, ctx)


TyperOption.display_type_rich = _no_type_for_flags  # type: ignore[method-assign]

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
app.add_typer(fleet.app, name="fleet")
app.command()(collect.poll)
app.command()(collect.serve)
app.command("collect", hidden=True)(collect.serve)
app.command()(status.status)
app.command()(demo.demo)


def main() -> None:
    """The `noc` command: expected failures end in one line, never a traceback."""
    run(lambda: app(prog_name="noc"))
