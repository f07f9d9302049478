"""Helpers shared by the CLI commands."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from noc import redact
from noc.inventory import Inventory, InventoryError, load_inventory
from noc.paths import default_inventory

console = Console()
err_console = Console(stderr=True)

InventoryOption = Annotated[
    Path | None,
    typer.Option(
        "--inventory", "-i", help="inventory file (default: $NOC_INVENTORY or ./inventory.yaml)"
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


def inventory_or_exit(path: Path | None) -> Inventory:
    try:
        return load_inventory(path or default_inventory())
    except InventoryError as exc:
        for issue in exc.issues:
            typer.echo(str(issue), err=True)
        raise typer.Exit(1) from None


def setup_logging(level: int = logging.WARNING) -> None:
    """Log lines with a time, scrubbed of every credential."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(message)s")
    redact.install_log_filter()


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def store_engine(database: str | None = None) -> Engine:
    """The store, its schema brought up to date; a store that cannot be reached is a clear
    error, not a traceback."""
    from noc.settings import Settings, normalise_db_url
    from noc.store.db import make_engine, upgrade

    url = normalise_db_url(database) if database else Settings().db_url()
    redact.register(url)
    try:
        engine = make_engine(url)
    except Exception as exc:  # SQLAlchemy's ArgumentError, a bad port, an unknown driver
        err_console.print(f"bad store URL {redact.scrub(url)!r}: {redact.first_line(exc)}")
        raise typer.Exit(2) from None
    try:
        upgrade(engine)
    except (SQLAlchemyError, OSError, ValueError) as exc:
        err_console.print(f"cannot use the store: {redact.first_line(exc)}")
        raise typer.Exit(1) from None
    return engine
