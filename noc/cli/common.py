"""Helpers shared by the CLI commands."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from noc import logrepeat, redact
from noc.inventory import Inventory, InventoryError, load_inventory
from noc.paths import default_inventory

if TYPE_CHECKING:  # SQLAlchemy loads with the first command that opens the store
    from sqlalchemy import Engine


def _width(stream: Any) -> int | None:
    """The terminal's width; piped, a wide line (or $COLUMNS) so nothing is cut or folded."""
    if stream.isatty():
        return None
    return int(os.environ.get("COLUMNS") or 200)


console = Console(width=_width(sys.stdout))
err_console = Console(stderr=True, width=_width(sys.stderr))

InventoryOption = Annotated[
    Path | None,
    typer.Option(
        "--inventory",
        "-i",
        help="inventory file (default: $NOC_INVENTORY, else ./inventory.yaml, else the project's)",
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


def noc_command() -> str:
    """How to call `noc` again from here, for hints: the path this one was started by."""
    started = Path(sys.argv[0])
    if started.name == "noc":
        return str(started)
    return str(Path(sys.executable).parent / "noc")


def names_or_exit(inv: Inventory, given: list[str], what: str = "device") -> list[str]:
    """The inventory's spelling of each name (any case, `bts-7` for `bts-07`); an unknown one
    ends the command at once with the closest names, before any network work."""
    from noc.inventory.names import UnknownName, resolve

    pool: list[str] = {
        "device": list(inv.devices_by_name),
        "site": list(inv.sites_by_name),
        "link": [ln.name for ln in inv.links],
    }[what]
    out = []
    for name in given:
        try:
            out.append(resolve(name, pool, what))
        except UnknownName as exc:
            err_console.print(str(exc), markup=False)
            raise typer.Exit(2) from None
    return out


class ZoneFormatter(logging.Formatter):
    """Log times in the network's zone, named (`2026-12-07 19:58:31 WIB`): one clock for
    everything a person reads, the live line's included."""

    def __init__(self, fmt: str, zone: str) -> None:
        super().__init__(fmt)
        from zoneinfo import ZoneInfo

        self.zone = ZoneInfo(zone)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        from datetime import datetime

        at = datetime.fromtimestamp(record.created, self.zone)
        return at.strftime(datefmt or "%Y-%m-%d %H:%M:%S ") + (at.tzname() or "")


def setup_logging(level: int = logging.WARNING, zone: str = "Asia/Jakarta") -> None:
    """Log lines with a time in the network's zone, scrubbed of every credential, a repeated
    one once a minute."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setFormatter(ZoneFormatter("%(asctime)s %(levelname)s %(message)s", zone))
    redact.install_log_filter()
    logrepeat.install()


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def missing_sqlite(url: str) -> Path | None:
    """The file of a SQLite store URL when it does not exist (a read must not create it)."""
    if not url.startswith("sqlite:///"):
        return None
    path = Path(url.removeprefix("sqlite:///"))
    return None if path.exists() else path


def engine_or_exit(url: str) -> Engine:
    """An engine for `url`, or one line and exit 2 for a URL that cannot make one: a driver
    that is not installed (mysql://), a malformed host or port, an unknown scheme."""
    from noc.store.db import make_engine

    try:
        return make_engine(url)
    except Exception as exc:  # SQLAlchemy's ArgumentError, a bad port, an unknown driver
        err_console.print(f"bad store URL {redact.scrub(url)!r}: {redact.first_line(exc)}")
        raise typer.Exit(2) from None


def store_engine(database: str | None = None, read_only: bool = False) -> Engine:
    """The store, its schema brought up to date; a store that cannot be reached is a clear
    error, not a traceback. A `read_only` command never creates one: a SQLite file that is not
    there is said so, and the command ends."""
    from sqlalchemy.exc import SQLAlchemyError

    from noc.settings import Settings, normalise_db_url
    from noc.store.db import upgrade

    url = normalise_db_url(database) if database else Settings().db_url(create=not read_only)
    redact.register(url)
    path = missing_sqlite(url) if read_only else None
    if path is not None:
        err_console.print(
            f"no store at {path}: nothing recorded yet (the collector, `noc serve`, makes it)"
        )
        raise typer.Exit(1)
    engine = engine_or_exit(url)
    try:
        upgrade(engine)
    except (SQLAlchemyError, OSError, ValueError) as exc:
        err_console.print(f"cannot use the store: {redact.first_line(exc)}")
        raise typer.Exit(1) from None
    return engine
