"""The `noc` command: one entry point for operators, technicians and managers."""

from __future__ import annotations

import inspect
import sys
from importlib import import_module
from typing import Any

import typer
from typer.core import TyperOption

from noc.cli.errors import run

_type_of = TyperOption.display_type_rich


def _no_type_for_flags(self: TyperOption, ctx: Any) -> str | None:
    """`--json`, `--off`, `--help` take no value; the help shows none. An option given once
    per value (`--out`, `--device`) shows the type of one value, not Python's `list[...]`."""
    if self.is_flag:
        return None
    shown = _type_of(self, ctx)
    if shown and self.multiple:
        shown = shown.replace("list[", "").replace("]", "").lower()
    # Choices break between words, not inside one (`<viewer|technician|manag` / `er|admin>`).
    return shown.replace("|", " | ") if shown else shown


TyperOption.display_type_rich = _no_type_for_flags  # type: ignore[method-assign]

HELP = "NOC toolkit for the Kota Bogor city network."
# Each command and the module that holds it, in the order `noc --help` lists them. A command
# loads only its own module (and what that imports), so `noc status` does not pay for the
# dashboards' or the lab's imports.
GROUPS = (
    "inventory",
    "lab",
    "dashboards",
    "sla",
    "maintenance",
    "diag",
    "token",
    "dr",
    "alerts",
    "fleet",
    "config",
    "flows",
)
COMMANDS = {
    "poll": ("collect", "poll"),
    "serve": ("collect", "serve"),
    "collect": ("collect", "serve"),
    "status": ("status", "status"),
    "demo": ("demo", "demo"),
    "events": ("events", "events"),
    "services": ("services", "services"),
    "probe": ("services", "probe"),
    "discover": ("discover", "discover"),
}


def unwrap(doc: str | None) -> str | None:
    """A docstring as help text: its lines joined into paragraphs, so the help is wrapped to
    the terminal's width, not at the source's 100 columns (`noc --help` broke sentences)."""
    if not doc:
        return doc
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def _unwrap_all(app: typer.Typer) -> None:
    for info in app.registered_commands:
        if info.help is None and info.callback is not None:
            info.help = unwrap(info.callback.__doc__)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            _unwrap_all(group.typer_instance)


def build(only: str | None = None) -> typer.Typer:
    """The `noc` app: every command, or the one named `only`."""
    app = typer.Typer(help=HELP, no_args_is_help=True, pretty_exceptions_show_locals=False)

    @app.callback()
    def _root() -> None:  # a group even when one command is loaded
        pass

    _root.__doc__ = HELP
    for name in GROUPS:
        if only in (None, name):
            app.add_typer(import_module(f"noc.cli.{name}").app, name=name)
    for name, (module, function) in COMMANDS.items():
        if only in (None, name):
            command = getattr(import_module(f"noc.cli.{module}"), function)
            app.command(name, hidden=name == "collect")(command)
    _unwrap_all(app)
    return app


def command_of(argv: list[str]) -> str | None:
    """The command a command line names, if it is one (else the whole app answers: help,
    completion, or the error for an unknown command)."""
    first = argv[0] if argv else ""
    return first if first in GROUPS or first in COMMANDS else None


def __getattr__(name: str) -> typer.Typer:
    if name == "app":
        return build()
    raise AttributeError(name)


def main() -> None:
    """The `noc` command: expected failures end in one line, never a traceback."""
    run(lambda: build(command_of(sys.argv[1:]))(prog_name="noc"))
