"""`noc dashboards`: generate the Grafana dashboards from the inventory, and push them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from noc import redact
from noc.cli.common import InventoryOption, console, err_console, inventory_or_exit
from noc.dashboards.build import build as build_dashboards

app = typer.Typer(help="Grafana dashboards generated from the inventory.", no_args_is_help=True)

DASHBOARDS_DIR = Path(__file__).resolve().parents[2] / "dashboards"


def render(board: dict[str, Any]) -> str:
    return json.dumps(board, indent=2, sort_keys=True) + "\n"


@app.command()
def build(
    inventory: InventoryOption = None,
    out: Annotated[Path, typer.Option(help="folder for the JSON files")] = DASHBOARDS_DIR,
) -> None:
    """Write every dashboard as JSON, in English and (in id/) in Bahasa Indonesia (commit the
    result)."""
    inv = inventory_or_exit(inventory)
    for folder, lang in ((out, "en"), (out / "id", "id")):
        folder.mkdir(parents=True, exist_ok=True)
        for name, board in build_dashboards(inv, lang).items():
            (folder / name).write_text(render(board))
            console.print(f"wrote {folder / name}")


@app.command()
def push(
    url: Annotated[str, typer.Option(help="Grafana base URL, e.g. https://grafana.example")],
    token: Annotated[
        str | None,
        typer.Option(
            help="service account token ($GRAFANA_TOKEN)",
            envvar="GRAFANA_TOKEN",
            show_default=False,
        ),
    ] = None,
    inventory: InventoryOption = None,
) -> None:
    """Upload the dashboards into the "NOC Kota Bogor" folder (overwriting older versions)."""
    from noc.dashboards.push import push as push_all

    if not token:
        err_console.print("a token is needed: --token or GRAFANA_TOKEN")
        raise typer.Exit(2)
    inv = inventory_or_exit(inventory)
    redact.register(token)
    try:
        uids = push_all(url, token, {**build_dashboards(inv), **build_dashboards(inv, "id")})
    except Exception as exc:  # the client raises several kinds; the message is what matters
        from noc.cli.errors import explain

        line = explain(exc) or f"{type(exc).__name__}: {redact.first_line(exc)}"
        err_console.print(f"push to {url} failed: {redact.scrub(line)}", markup=False)
        raise typer.Exit(1) from None
    console.print(f"pushed {len(uids)} dashboards to {url}: {', '.join(uids)}")
