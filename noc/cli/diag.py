"""`noc diag`: technicians' diagnostics, each recorded in the audit log."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import getpass
from collections.abc import Iterator
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.table import Table

from noc.cli.common import (
    InventoryOption,
    JsonOption,
    console,
    engine_or_exit,
    err_console,
    inventory_or_exit,
    missing_sqlite,
    print_json,
)
from noc.diag.result import DiagError, DiagRefused, DiagResult, Level, redact, secret_values
from noc.diag.runner import DiagRequest, run_diagnostic
from noc.inventory import Inventory, InventoryError, load_inventory
from noc.paths import default_inventory
from noc.polling.samples import oper_name
from noc.settings import Settings
from noc.store.audit import AuditLog

app = typer.Typer(
    help="Diagnostics for technicians: ping, trace, snmp, ifaces, ssh, check.", no_args_is_help=True
)

LEVEL_STYLE = {Level.OK: "green", Level.INFO: "dim", Level.WARN: "yellow", Level.FAIL: "bold red"}


def complete_device(incomplete: str) -> Iterator[str]:
    try:
        inv = load_inventory(default_inventory())
    except InventoryError:
        return
    for device in inv.devices:
        if device.name.startswith(incomplete):
            yield device.name


DeviceArg = Annotated[
    str, typer.Argument(help="device name from the inventory", autocompletion=complete_device)
]
WindowOption = Annotated[
    float, typer.Option("--window", help="seconds between the two readings a rate needs")
]


def audit_log(settings: Settings) -> AuditLog:
    """The store's audit log; a store that does not answer holds entries in a local file."""
    from noc.store.db import upgrade

    engine = engine_or_exit(settings.db_url())
    try:
        upgrade(engine)
    except Exception as exc:  # the entry waits in the local file until the store answers
        err_console.print(
            f"[dim]store not available for the audit log "
            f"({type(exc).__name__}); holding entries locally[/]"
        )
    return AuditLog(engine, settings.var_dir / "audit-pending.jsonl")


def actor() -> str:
    return f"cli:{getpass.getuser()}"


def run(req: DiagRequest, inventory: InventoryOption, as_json: bool) -> DiagResult:
    inv = inventory_or_exit(inventory)
    from noc.inventory.names import UnknownName, resolve

    try:
        req = dataclasses.replace(req, device=resolve(req.device, inv.devices_by_name))
    except UnknownName as exc:
        _fail(str(exc), as_json, 2)
    settings = Settings()
    secrets = secret_values(inv)

    def progress(step: str) -> None:
        if not as_json:
            err_console.print(f"[dim]… {step}[/]")

    async def go() -> DiagResult:

        client = Settings().snmp_client()()
        try:
            return await run_diagnostic(
                inv, req, client, audit_log(settings), actor(), secrets, progress=progress
            )
        finally:
            await client.close()

    try:
        result = asyncio.run(go())
    except DiagRefused as exc:
        _fail(str(exc), as_json, 2)
    except DiagError as exc:
        _fail(str(exc), as_json, 1)
    if as_json:
        print_json(result.to_json())
    return result


def _fail(message: str, as_json: bool, code: int) -> None:
    if as_json:
        print_json({"ok": False, "error": message})
    else:
        err_console.print(f"[red]{message}[/]")
    raise typer.Exit(code)


def collector_view(device: str) -> str | None:
    """What the collector last recorded for the device (read only; None without a store)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from noc.store.db import make_engine
    from noc.store.models import StateChangeRow

    url = Settings().db_url(create=False)
    if missing_sqlite(url) is not None:
        return None
    try:
        with Session(make_engine(url)) as session:
            row = session.scalars(
                select(StateChangeRow)
                .where(StateChangeRow.entity == device)
                .order_by(StateChangeRow.at.desc())
                .limit(1)
            ).first()
    except Exception:  # no store, or no tables yet: the live probe stands alone
        return None
    if row is None:
        return None
    since = datetime.fromtimestamp(row.at, ZoneInfo("Asia/Jakarta")).strftime("%Y-%m-%d %H:%M WIB")
    cause = f", root cause {row.root_cause}" if row.root_cause and row.root_cause != device else ""
    return f"{row.new.upper()} since {since}{cause}" + (f" ({row.reason})" if row.reason else "")


def _findings(result: DiagResult) -> None:
    for f in result.findings:
        console.print(f"  [{LEVEL_STYLE[f.level]}]{f.level.value:>4}[/] {f.text}")
    style = "green" if result.ok else "bold red"
    console.print(f"[{style}]{result.device}: {result.summary}[/]")


@app.command()
def ping(device: DeviceArg, inventory: InventoryOption = None, as_json: JsonOption = False) -> None:
    """ICMP echo: loss and min/avg/max round-trip time."""
    result = run(DiagRequest("ping", device), inventory, as_json)
    if not as_json:
        d = result.data
        if d["received"]:
            console.print(
                f"{device} ({d['address']}): {d['received']}/{d['sent']} replies, "
                f"loss {d['loss']:.0%}, rtt min/avg/max "
                f"{d['min_ms']:.2f}/{d['avg_ms']:.2f}/{d['max_ms']:.2f} ms"
            )
        else:
            console.print(f"[red]{device} ({d['address']}): no reply, loss 100%[/]")
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def trace(
    device: DeviceArg, inventory: InventoryOption = None, as_json: JsonOption = False
) -> None:
    """Hop-by-hop ICMP path to the device, beside its dependency path in the inventory."""
    result = run(DiagRequest("trace", device), inventory, as_json)
    if not as_json:
        console.print(f"inventory path: {' > '.join(result.data['path'])}")
        for hop in result.data["hops"]:
            console.print(
                f"  {hop['hop']:>2}  {hop['address']:<16} {hop['avg_ms']:.2f} ms "
                f"loss {hop['loss']:.0%}"
            )


@app.command()
def snmp(
    device: DeviceArg,
    operation: Annotated[str, typer.Argument(help="get or walk")],
    objects: Annotated[list[str], typer.Argument(help="numeric OIDs or names (ifOperStatus)")],
    inventory: InventoryOption = None,
    as_json: JsonOption = False,
) -> None:
    """SNMP GET or WALK with the device's credentials from the inventory."""
    if operation not in ("get", "walk"):
        _fail("operation is get or walk", as_json, 2)
    result = run(DiagRequest(f"snmp-{operation}", device, tuple(objects)), inventory, as_json)
    if not as_json:
        rows = result.data["varbinds"]
        names = _interface_names(result.device, rows, inventory)
        table = Table(title=f"{result.device} snmp {operation}")
        for col in ("name", "oid", "type", "value", *(["interface"] if names else [])):
            table.add_column(col, overflow="fold")
        for row in rows:
            extra = [names.get(row["name"].rsplit(".", 1)[-1], "")] if names else []
            table.add_row(row["name"], row["oid"], row["type"], readable(row), *extra)
        console.print(table)


def _interface_names(
    device: str, rows: list[dict[str, Any]], inventory: InventoryOption
) -> dict[str, str]:
    """ifIndex -> ifName for rows of the interface tables, so a walk says which interface."""
    if not any(r["name"].startswith(("if", "ifX")) and r["name"].count(".") == 1 for r in rows):
        return {}
    try:
        names = run(DiagRequest("snmp-walk", device, ("ifName",)), inventory, False)
    except typer.Exit:
        return {}
    return {r["name"].rsplit(".", 1)[-1]: str(r["value"]) for r in names.data["varbinds"]}


def readable(row: dict[str, Any]) -> str:
    """A value as a person reads it: timeticks as an uptime, interface status by name."""
    value = row["value"]
    if row["type"] == "TIMETICKS" and isinstance(value, int):
        seconds = value // 100
        days, rest = divmod(seconds, 86400)
        return f"{value} ({days} d {rest // 3600} h {rest % 3600 // 60} min)"
    if row["name"].startswith(("ifOperStatus", "ifAdminStatus")) and isinstance(value, int):
        return f"{value} ({oper_name(value)})"
    return str(value)


def _mbps(value: Any) -> str:
    return "—" if value is None else f"{value / 1e6:.2f}"


def iface_table(device: str, rows: list[dict[str, Any]], zone: str = "Asia/Jakarta") -> Table:
    """The interfaces as a technician reads them; utilisation at 80% amber, 90% red."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    stamp = datetime.now(ZoneInfo(zone)).strftime("%H:%M:%S %Z")
    table = Table(title=f"{device} interfaces ({stamp})", title_justify="left")
    for col in (
        "if",
        "name",
        "description",
        "status",
        "in Mbps",
        "out Mbps",
        "contract",
        "util",
        "err/s",
        "disc/s",
    ):
        table.add_column(col, overflow="fold", no_wrap=col != "description")
    for r in rows:
        oper = r["oper"] if r["oper"] == "up" else f"[red]{r['oper']}[/]"
        if r["admin"] != "up":
            oper = f"[dim]admin {r['admin']}[/]"
        util = r["utilisation"]
        shown = "—" if util is None else f"{util:.0%}"
        if util is not None and util >= 0.9:
            shown = f"[bold red]{shown}[/]"
        elif util is not None and util >= 0.8:
            shown = f"[yellow]{shown}[/]"
        contract = r.get("contracted_bps")
        table.add_row(
            str(r["index"]),
            r["name"],
            r.get("description") or "",
            oper,
            _mbps(r["in_bps"]),
            _mbps(r["out_bps"]),
            "—" if contract is None else f"{contract / 1e6:g} Mbps",
            shown,
            "—" if r["errors_per_s"] is None else f"{r['errors_per_s']:.2f}",
            "—" if r["discards_per_s"] is None else f"{r['discards_per_s']:.2f}",
        )
    return table


@app.command()
def ifaces(
    device: DeviceArg,
    watch: Annotated[bool, typer.Option("--watch", help="refresh in place until Ctrl-C")] = False,
    window: WindowOption = 5.0,
    inventory: InventoryOption = None,
    as_json: JsonOption = False,
) -> None:
    """Interface table: status, in/out bits/s, utilisation, errors/s."""
    result = run(DiagRequest("ifaces", device, window_s=window), inventory, as_json)
    if as_json:
        return
    if not watch:
        console.print(iface_table(result.device, result.data["interfaces"]))
        return
    inv = inventory_or_exit(inventory)
    _watch(inv, result.device, window)


def _watch(inv: Inventory, device: str, window: float) -> None:
    from noc.diag.check import interface_rows
    from noc.polling.poller import Poller

    secrets = secret_values(inv)

    async def loop() -> None:
        client = Settings().snmp_client()()
        poller = Poller(inv, client)
        try:
            last: Table | None = None
            zone = inv.network.timezone
            with Live(console=console, refresh_per_second=1) as live:
                while True:
                    record = await poller.poll(device)
                    if record.ok:
                        last = iface_table(device, interface_rows(poller, device), zone)
                        live.update(last)
                    else:
                        # Keep the last table; say above it, with the time, what went wrong.
                        from datetime import datetime
                        from zoneinfo import ZoneInfo

                        from rich.console import Group

                        when = datetime.now(ZoneInfo(zone)).strftime("%H:%M:%S %Z")
                        why = redact(record.reason or "no answer", secrets)
                        line = f"[bold red]{when} {device} does not answer: {why}[/]"
                        live.update(Group(line, last) if last is not None else line)
                    await asyncio.sleep(window)
        finally:
            await client.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(loop())


@app.command()
def ssh(
    device: DeviceArg,
    command: Annotated[str, typer.Argument(help="interfaces, routes, arp, log, uptime, links")],
    inventory: InventoryOption = None,
    as_json: JsonOption = False,
) -> None:
    """An allow-listed show-command over SSH; parsed with ntc-templates where a template
    exists. Credentials come from the inventory's ssh_credentials (environment variables)."""
    result = run(DiagRequest("ssh", device, command=command), inventory, as_json)
    if as_json:
        return
    parsed = result.data["parsed"]
    if parsed:
        table = Table(title=f"{device}: {result.data['vendor_command']}")
        for col in parsed[0]:
            table.add_column(col, overflow="fold")
        for row in parsed:
            table.add_row(*(str(v) for v in row.values()))
        console.print(table)
    else:
        console.print(result.data["raw"])


@app.command()
def check(
    device: DeviceArg,
    window: WindowOption = 5.0,
    inventory: InventoryOption = None,
    as_json: JsonOption = False,
) -> None:
    """Everything relevant, then a verdict: reachable, SNMP, parents, interfaces, errors,
    capacity."""
    result = run(DiagRequest("check", device, window_s=window), inventory, as_json)
    if not as_json:
        console.print(f"[bold]live probe from this machine[/] ({result.device}):")
        _findings(result)
        seen = collector_view(result.device)
        if seen:
            console.print(f"[bold]the collector's view[/] (its store): {seen}")
    if not result.ok:
        raise typer.Exit(1)
