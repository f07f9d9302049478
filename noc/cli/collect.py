"""`noc poll`, `noc collect` and `noc status`: the collector from the command line."""

from __future__ import annotations

import asyncio
import math
import signal
import time
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from noc import redact
from noc.cli.common import (
    InventoryOption,
    JsonOption,
    console,
    err_console,
    inventory_or_exit,
    names_or_exit,
    setup_logging,
)
from noc.cli.common import print_json as emit_json
from noc.collector.availability import State
from noc.collector.engine import Collector
from noc.collector.service import build_service, run_service
from noc.inventory import Inventory
from noc.settings import Settings
from noc.snmp.lean_client import default_client
from noc.store.db import make_engine
from noc.store.models import IncidentRow, PollStatRow, StateChangeRow

STATE_STYLE = {
    State.UP: "green", State.DOWN: "bold red", State.UNREACHABLE: "yellow",
    State.UNKNOWN: "dim", State.MAINTENANCE: "blue", State.FLAPPING: "magenta",
}  # fmt: skip


def _mbps(bps: float | None) -> str:
    return "—" if bps is None else f"{bps / 1e6:.2f}"


def device_rows(collector: Collector, names: list[str]) -> list[dict[str, Any]]:
    """Per device: state, reason, and the busiest measured link's rates and utilisation."""
    rows = []
    for name in names:
        verdict = collector.state_of(name)
        state = collector.devices[name]
        links = collector.links_by_device.get(name, [])
        best: dict[str, Any] = {}
        for ln in links:
            iface = state.interface_named(ln.a.interface)
            if iface is not None and (iface.utilisation or 0) >= (best.get("utilisation") or 0):
                best = {"link": ln.name, "in_bps": iface.in_bps, "out_bps": iface.out_bps,
                        "utilisation": iface.utilisation, "no_rate": iface.no_rate}  # fmt: skip
        rows.append(
            {
                "device": name,
                "state": verdict.state.value,
                "root_cause": verdict.root_cause,
                "reason": verdict.reason or state.last_error,
                "poll_s": state.last_duration_s,
                **best,
            }
        )
    return rows


def render(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="poll results")
    for col in ("device", "state", "reason", "link", "in Mbps", "out Mbps", "util"):
        table.add_column(col, overflow="fold")
    for row in rows:
        state = State(row["state"])
        util = row.get("utilisation")
        table.add_row(
            row["device"],
            f"[{STATE_STYLE[state]}]{state.value}[/]",
            row.get("reason") or row.get("no_rate") or "",
            row.get("link") or "",
            _mbps(row.get("in_bps")),
            _mbps(row.get("out_bps")),
            "—" if util is None else f"{util:.1%}",
        )
    return table


def _finite_window(value: float) -> float:
    if not (math.isfinite(value) and 0.5 <= value <= 3600):
        raise typer.BadParameter(f"{value} is not between 0.5 and 3600 seconds")
    return value


def poll(
    device: Annotated[
        list[str] | None, typer.Option("--device", "-d", help="only this device")
    ] = None,
    once: Annotated[bool, typer.Option(help="one measurement, then exit")] = False,
    rate_window: Annotated[
        float,
        typer.Option(
            help="seconds between the two samples (0.5 to 3600)",
            callback=lambda v: _finite_window(v),
        ),
    ] = 10.0,
    inventory: InventoryOption = None,
    as_json: JsonOption = False,
) -> None:
    """Poll now and show each device's state, reason and bits/s. A measurement is two polls
    `--rate-window` seconds apart (a rate needs two counter readings); without --once it repeats."""
    inv = inventory_or_exit(inventory)
    names = names_or_exit(inv, device) if device else [d.name for d in inv.devices]

    async def measure() -> None:
        client = default_client()
        collector = Collector(inv, client)
        try:
            while True:
                with console.status(f"polling {len(names)} device(s)..."):
                    await collector.poll_all(names)
                    await asyncio.sleep(rate_window)
                    await collector.poll_all(names)
                rows = device_rows(collector, names)
                if as_json:
                    emit_json(rows)
                else:
                    console.print(render(rows))
                if once:
                    return
        finally:
            await client.close()

    asyncio.run(measure())


def serve(inventory: InventoryOption = None) -> None:
    """The collector, the API and /metrics in one process: poll on each tier's interval,
    store incidents and rollups, answer HTTP on $NOC_HTTP_HOST:$NOC_HTTP_PORT (Ctrl-C stops)."""
    inv = inventory_or_exit(inventory)
    settings = Settings()
    setup_logging()
    url = settings.db_url()
    try:
        make_engine(url)
    except Exception as exc:  # a malformed NOC_DATABASE_URL: say so, without its password
        err_console.print(f"bad store URL {redact.scrub(url)!r}: {redact.first_line(exc)}")
        raise typer.Exit(2) from None
    try:
        asyncio.run(run_collector(inv, settings))
    except OSError as exc:  # the HTTP port taken, a var/ directory that cannot be written
        err_console.print(f"noc serve cannot run: {redact.first_line(exc)}")
        raise typer.Exit(1) from None


async def run_collector(inv: Inventory, settings: Settings, duration: float = 0) -> None:
    """The collector with its store and /metrics, a live summary line, until Ctrl-C (or
    `duration` seconds), then a clean stop that flushes everything."""
    client = default_client()
    service = build_service(inv, client, settings)
    console.print(f"store: {redact.scrub(settings.db_url())}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if duration:
        loop.call_later(duration, stop.set)
    http = (settings.http_host, settings.http_port)
    task = asyncio.create_task(run_service(service, stop, http, settings.var_dir))
    base = f"http://{settings.http_host}:{settings.http_port}"
    console.print(f"metrics: {base}/metrics   API: {base}/api/v1 (docs {base}/docs)")
    with Live(console=console, refresh_per_second=2) as live:
        while not task.done():
            live.update(summary_line(service.collector, service.scheduler.stats, service.writer))
            await asyncio.sleep(0.5)
    await task
    await client.close()
    console.print(f"stopped; {service.writer.stats.written} events written, "
                  f"{service.writer.pending} pending")  # fmt: skip


def summary_line(collector: Collector, stats: Any, writer: Any) -> str:
    counts: dict[str, int] = {}
    for name in collector.devices:
        state = collector.state_of(name).state.value
        counts[state] = counts.get(state, 0) + 1
    states = " ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    if writer.healthy():
        db = "db ok"
    elif writer.stats.db_up:
        db = f"db SLOW ({writer.pending} held, oldest {writer.oldest_pending_s():.0f}s)"
    else:
        db = f"db DOWN ({writer.pending} held: {writer.stats.last_error})"
    return (
        f"{time.strftime('%H:%M:%S')} polls={stats.polls} failed={stats.failures} "
        f"late={stats.late} | {states} | open incidents={len(collector.book.open)} | {db}"
    )


def status(as_json: JsonOption = False) -> None:
    """What the store knows: each device's current state, last poll, and open incidents."""
    settings = Settings()
    engine = make_engine(settings.db_url())
    try:
        with Session(engine) as session:
            polls = {p.device: p for p in session.scalars(select(PollStatRow))}
            latest: dict[str, StateChangeRow] = {}
            for change in session.scalars(select(StateChangeRow).order_by(StateChangeRow.at)):
                latest[change.entity] = change
            incidents = list(
                session.scalars(select(IncidentRow).where(IncidentRow.ended.is_(None)))
            )
    except SQLAlchemyError as exc:
        err_console.print(f"cannot read the store: {redact.first_line(exc)}")
        raise typer.Exit(1) from None
    devices: list[dict[str, Any]] = [
        {
            "entity": entity,
            "state": change.new,
            "since": change.at,
            "root_cause": change.root_cause,
            "reason": change.reason,
            "last_poll": polls[entity].at if entity in polls else None,
            "last_success": polls[entity].last_success if entity in polls else None,
        }
        for entity, change in sorted(latest.items())
    ]
    open_incidents: list[dict[str, Any]] = [
        {"id": i.id, "entity": i.entity, "state": i.state, "root_cause": i.root_cause,
         "started": i.started, "reason": i.reason,
         "affected": [a for a in i.affected.split(",") if a]}
        for i in incidents
    ]  # fmt: skip
    if as_json:
        emit_json({"entities": devices, "open_incidents": open_incidents})
        return
    table = Table(title="current state")
    for col in ("entity", "state", "since", "reason"):
        table.add_column(col)
    for row in devices:
        state = State(row["state"])
        since = time.strftime("%Y-%m-%d %H:%M", time.localtime(row["since"]))
        table.add_row(row["entity"], f"[{STATE_STYLE[state]}]{state.value}[/]", since,
                      row["reason"] or "")  # fmt: skip
    console.print(table)
    console.print(f"open incidents: {len(open_incidents)}")
    for inc in open_incidents:
        console.print(f"  {inc['entity']} {inc['state']} since "
                      f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(inc['started']))}: "
                      f"{inc['reason']} (affects {len(inc['affected'])})")  # fmt: skip
