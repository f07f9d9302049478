"""`noc token`: API tokens. A token is printed once, at creation; only its hash is kept."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from noc.cli.common import JsonOption, console, err_console, print_json, store_engine
from noc.store.tokens import Role, check_name, create_token, list_tokens, revoke_token

app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)


@app.command()
def create(
    role: Annotated[Role, typer.Option("--role", help="viewer, technician, manager or admin")],
    given: Annotated[
        str, typer.Argument(metavar="[NAME]", help="who or what uses it (e.g. layar-noc)")
    ] = "",
    name: Annotated[str, typer.Option("--name", help="the same, as an option")] = "",
    expires_days: Annotated[
        float | None,
        typer.Option("--expires-days", min=0.001, max=3660, help="stop working after this"),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a token and print it once."""
    expires_in = None if expires_days is None else expires_days * 86400
    if given and name and given != name:
        err_console.print(f"two names given ({given!r} and --name {name!r}); give one")
        raise typer.Exit(2)
    try:
        check_name(name := given or name or role.value)
    except ValueError as exc:
        err_console.print(str(exc))
        raise typer.Exit(2) from None
    token_id, token = create_token(store_engine(), name, role, expires_in)
    if as_json:
        print_json(
            {"id": token_id, "role": role.value, "expires_days": expires_days, "token": token}
        )
        return
    until = "" if expires_days is None else f", expires in {expires_days:g} days"
    console.print(f"token {token_id} ({role.value}{until}); it is shown only now:")
    typer.echo(token)


@app.command("list")
def list_(as_json: JsonOption = False) -> None:
    """Tokens with their role and last use (never the token itself)."""
    rows = list_tokens(store_engine(read_only=True))
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("no tokens yet: `noc token create NAME --role viewer`")
        return
    from datetime import datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Jakarta")

    def when(epoch: float | None) -> str:
        if epoch is None:
            return "—"
        return datetime.fromtimestamp(epoch, zone).strftime("%Y-%m-%d %H:%M WIB")

    now = time.time()
    table = Table(title="API tokens (times in WIB)", title_justify="left")
    for col in ("id", "name", "role", "state", "created", "last used", "expires"):
        table.add_column(col, no_wrap=col != "name")
    for r in rows:
        state = "revoked" if r["revoked"] else "active"
        if not r["revoked"] and r["expires"] is not None and r["expires"] <= now:
            state = "expired"
        table.add_row(
            r["id"],
            r["name"],
            r["role"],
            state,
            when(r["created"]),
            when(r["last_used"]),
            when(r["expires"]),
        )
    console.print(table)


@app.command()
def revoke(token_id: Annotated[str, typer.Argument(help="the id from `noc token list`")]) -> None:
    """Revoke a token: it stops working at once."""
    if not revoke_token(store_engine(), token_id):
        err_console.print(f"no active token {token_id}")
        raise typer.Exit(1)
    console.print(f"revoked {token_id}")
