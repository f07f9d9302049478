"""`noc discover`: sweep address ranges, read the neighbour tables, and propose devices, links
and parents for the inventory as a diff (applied only with --write); with --check, report
drift between the live neighbours and the inventory."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from noc.cli.common import InventoryOption, console, err_console, inventory_or_exit
from noc.discovery.drift import drift
from noc.discovery.propose import apply, diff, name_of, propose
from noc.discovery.sweep import Sweep, addresses, sweep
from noc.inventory.errors import InventoryError
from noc.inventory.loader import load_inventory
from noc.inventory.model import Inventory
from noc.paths import default_inventory
from noc.polling.targets import auth_for
from noc.snmp.codecs import client_factory


def discover(
    ranges: Annotated[
        list[str], typer.Option("--range", help="an address range (CIDR); repeat for more")
    ],
    credentials: Annotated[
        list[str] | None,
        typer.Option(help="the inventory's SNMP credentials to ask with (default: each in turn)"),
    ] = None,
    core: Annotated[
        str | None, typer.Option(help="the device parents are counted from (default: the uplink's)")
    ] = None,
    port: Annotated[int, typer.Option(min=1, max=65535)] = 161,
    concurrency: Annotated[int, typer.Option(min=1, max=4096, help="requests in flight")] = 1024,
    rate: Annotated[int, typer.Option(min=1, max=100_000, help="new addresses a second")] = 1000,
    timeout: Annotated[float, typer.Option(min=0.1, max=30, help="seconds per address")] = 1.0,
    write: Annotated[bool, typer.Option("--write", help="apply the proposal to the file")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="report drift from the inventory instead")
    ] = False,
    inventory: InventoryOption = None,
) -> None:
    """Find the devices of the ranges and how they connect (LLDP, MikroTik MNDP, Cisco CDP),
    and propose them for the inventory: new devices with their kind, site (guessed from
    sysLocation, marked so) and interfaces, links with the interface at both ends, and parents
    by hop count from the core. Parents that contradict the hand-written ones are listed as
    conflicts, never changed. Nothing is written without --write."""
    path = inventory or default_inventory()
    inv = inventory_or_exit(path)
    try:
        list(addresses(ranges))
    except ValueError as exc:
        err_console.print(f"--range: {exc}")
        raise typer.Exit(2) from None
    names = credentials or list(inv.credentials)
    for name in names:
        if name not in inv.credentials:
            err_console.print(f"no credentials {name!r} in {path}: {', '.join(inv.credentials)}")
            raise typer.Exit(2)
    centre = core or (inv.uplink.a.device if inv.uplink is not None else None)

    async def run() -> Sweep:
        client = client_factory()()
        try:
            auths = {name: auth_for(inv, name) for name in names}
            return await sweep(client, ranges, auths, port, concurrency, rate, timeout)
        finally:
            await client.close()

    found = asyncio.run(run())
    console.print(
        f"swept {found.asked} addresses in {found.seconds:.1f} s: "
        f"{len(found.found)} answered, {found.silent} silent"
    )
    unread = [f for f in found.found if f.reason]
    for f in unread:
        console.print(f"  {f.address} ({f.name}): tables not read: {f.reason}")
    if check:
        _drift(inv, found)
        return
    if centre is None and found.found:
        centre = name_of(found.found[0])
    proposal = propose(inv, found.found, centre or "")
    console.print(
        f"{len(proposal.devices)} new devices, {len(proposal.links)} new links; parents: "
        f"{proposal.agree} of {proposal.compared} agree with the inventory"
    )
    for device, have, proposed in proposal.conflicts:
        console.print(
            f"  conflict: {device}: the inventory says parent {have or 'none'}, "
            f"the network says {proposed or 'none (not reached from ' + (centre or '?') + ')'}"
        )
    for unknown in proposal.unknown:
        console.print(f"  not recognised: {unknown}")
    for note in proposal.notes:
        console.print(f"  link {note}", markup=False)
    before = Path(path).read_text()
    after = apply(before, proposal)
    if after == before:
        console.print("nothing to add")
        return
    if not write:
        typer.echo(diff(before, after, str(path)), nl=False)
        console.print("(nothing written: --write applies it)")
        return
    Path(path).write_text(after)
    try:
        load_inventory(path)
    except InventoryError as exc:
        err_console.print(f"written to {path}, but check it: {exc}")
        raise typer.Exit(1) from None
    console.print(f"written to {path}; `noc inventory check` passes")


def _drift(inv: Inventory, found: Sweep) -> None:
    """What the network says that the inventory does not: devices it lacks, links it lacks,
    parents no longer adjacent."""
    findings = drift(inv, found.found)
    for f in findings:
        console.print(f"  drift: {f.text}")
    if findings:
        raise typer.Exit(1)
    console.print("no drift: the network is as the inventory says")
