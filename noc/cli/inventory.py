"""`noc inventory`: check, show and graph the network described by inventory.yaml."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.tree import Tree

from noc.cli.common import (
    JsonOption,
    console,
    err_console,
    inventory_or_exit,
    print_json,
)
from noc.inventory import Inventory, InventoryError, Link, Topology, load_inventory
from noc.inventory.model import Role, SiteKind
from noc.paths import default_inventory

app = typer.Typer(help="Check and explore the network inventory.", no_args_is_help=True)

FileArg = Annotated[Path | None, typer.Argument(help="inventory file (default: ./inventory.yaml)")]


@app.command()
def check(file: FileArg = None) -> None:
    """Validate the inventory; list every error with file, line and field (exit 1 if any)."""
    path = file or default_inventory()
    try:
        inv = load_inventory(path)
    except InventoryError as exc:
        for issue in exc.issues:
            typer.echo(str(issue), err=True)
        err_console.print(f"{len(exc.issues)} error(s) in {path}")
        raise typer.Exit(1) from None
    console.print(
        f"{path}: OK: {len(inv.sites)} sites, {len(inv.devices)} devices, {len(inv.links)} links"
    )


def _link_summary(link: Link) -> dict[str, Any]:
    return {"name": link.name, "medium": link.medium.value, "capacity_bps": link.capacity_bps}


def summary(inv: Inventory) -> dict[str, Any]:
    sites_by_kind: dict[str, int] = defaultdict(int)
    for site in inv.sites:
        sites_by_kind[site.kind.value] += 1
    devices_by_role: dict[str, int] = defaultdict(int)
    for device in inv.devices:
        devices_by_role[device.role.value] += 1
    tree: list[dict[str, Any]] = []
    for kec in inv.kecamatan:
        sites = [s for s in inv.sites if s.kecamatan == kec.name]
        tree.append(
            {
                "name": kec.name,
                "sites": [
                    {
                        "name": s.name,
                        "kind": s.kind.value,
                        "title": s.title,
                        "lat": s.lat,
                        "lon": s.lon,
                        "devices": [
                            {
                                "name": d.name,
                                "kind": d.kind.value,
                                "role": d.role.value,
                                "tier": d.tier.value,
                                "address": str(d.address),
                                "parent": d.parent,
                                "links": [_link_summary(ln) for ln in inv.links_of(d.name)],
                            }
                            for d in inv.devices
                            if d.site == s.name
                        ],
                    }
                    for s in sites
                ],
            }
        )
    return {
        "network": inv.network.name,
        "counts": {
            "kecamatan": len(inv.kecamatan),
            "sites": len(inv.sites),
            "sites_by_kind": dict(sites_by_kind),
            "devices": len(inv.devices),
            "devices_by_role": dict(devices_by_role),
            "links": len(inv.links),
        },
        "kecamatan": tree,
    }


@app.command()
def show(inventory: FileArg = None, as_json: JsonOption = False) -> None:
    """The network by kecamatan -> site -> device -> links, with counts."""
    inv = inventory_or_exit(inventory)
    data = summary(inv)
    if as_json:
        print_json(data)
        return
    counts = data["counts"]
    root = Tree(
        f"[bold]{inv.network.name}[/]: {counts['sites']} sites, {counts['devices']} devices, "
        f"{counts['links']} links"
    )
    for kec in data["kecamatan"]:
        n_dev = sum(len(s["devices"]) for s in kec["sites"])
        kec_node = root.add(
            f"[bold cyan]{kec['name']}[/] ({len(kec['sites'])} sites, {n_dev} devices)"
        )
        for site in kec["sites"]:
            site_node = kec_node.add(f"{site['name']} [dim]{site['kind']} · {site['title']}[/]")
            for dev in site["devices"]:
                links = ", ".join(
                    f"{ln['name']} ({ln['capacity_bps'] / 1e6:g} Mbps {ln['medium']})"
                    for ln in dev["links"]
                )
                site_node.add(
                    f"[green]{dev['name']}[/] {dev['kind']} {dev['address']} [dim]{links}[/]"
                )
    console.print(root)
    by_kind = counts["sites_by_kind"]
    by_role = counts["devices_by_role"]
    console.print(
        f"BTS sites: {by_kind.get(SiteKind.BTS, 0)}, "
        f"fiber points: {by_kind.get(SiteKind.FIBER_POINT, 0)}, "
        f"kelurahan routers: {by_role.get(Role.KELURAHAN, 0)}, "
        f"SKPD routers: {by_role.get(Role.SKPD, 0)}"
    )


@app.command()
def graph(inventory: FileArg = None) -> None:
    """The dependency tree: what each device needs to be reachable from the collector."""
    inv = inventory_or_exit(inventory)
    topo = Topology.of(inv)

    def add(node: Tree, name: str) -> None:
        device = inv.device(name)
        child = node.add(f"{name} [dim]{device.role.value} {device.address}[/]")
        for sub in topo.children(name):
            add(child, sub)

    root = Tree(f"collector @ {inv.network.collector_site}")
    for name in topo.roots():
        add(root, name)
    console.print(root)


SCHEMA_PATH = Path(__file__).resolve().parents[2] / "inventory" / "inventory.schema.json"


def schema_text() -> str:
    import json

    schema = Inventory.model_json_schema()
    schema["title"] = "Kota Bogor NOC inventory"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


@app.command()
def schema(
    out: Annotated[Path | None, typer.Option(help="write here instead of stdout")] = None,
) -> None:
    """The inventory's JSON Schema, for editors (committed as inventory/inventory.schema.json)."""
    text = schema_text()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        console.print(f"wrote {out}")
