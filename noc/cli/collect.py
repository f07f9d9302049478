"""`noc poll`, `noc collect` and `noc status`: the collector from the command line."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import signal
import time
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.table import Table

from noc import redact
from noc.cli.common import (
    InventoryOption,
    JsonOption,
    console,
    engine_or_exit,
    err_console,
    inventory_or_exit,
    names_or_exit,
    setup_logging,
)
from noc.cli.common import print_json as emit_json
from noc.cli.status import STATE_STYLE
from noc.fleet.workers import plan_workers, supervise
from noc.inventory import Inventory
from noc.polling.availability import State
from noc.polling.domains import FleetError
from noc.polling.poller import Poller
from noc.settings import Settings, SettingsError


def _mbps(bps: float | None) -> str:
    return "—" if bps is None else f"{bps / 1e6:.2f}"


def device_rows(poller: Poller, names: list[str]) -> list[dict[str, Any]]:
    """Per device: state, reason, and the busiest measured link's rates and utilisation."""
    rows = []
    for name in names:
        verdict = poller.state_of(name)
        state = poller.devices[name]
        links = poller.live.links_by_device.get(name, [])
        best: dict[str, Any] = {}
        for ln in links:
            iface = state.interface_named(ln.a.interface)
            if iface is not None and (iface.utilisation or 0) >= (best.get("utilisation") or 0):
                best = {
                    "link": ln.name,
                    "in_bps": iface.in_bps,
                    "out_bps": iface.out_bps,
                    "utilisation": iface.utilisation,
                    "no_rate": iface.no_rate,
                }
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
        list[str] | None,
        typer.Option("--device", "-d", help="only this device (repeat for several)"),
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
        client = Settings().snmp_client()()
        poller = Poller(inv, client)
        try:
            while True:
                with console.status(f"polling {len(names)} device(s)..."):
                    await poller.poll_all(names)
                    await asyncio.sleep(rate_window)
                    await poller.poll_all(names)
                rows = device_rows(poller, names)
                if as_json:
                    emit_json(rows)
                else:
                    console.print(render(rows))
                if once:
                    return
        finally:
            await client.close()

    asyncio.run(measure())


def serve(
    inventory: InventoryOption = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="this collector's name in a fleet sharing a PostgreSQL "
            "store ($NOC_COLLECTOR_NAME); without it, one collector polls everything",
        ),
    ] = None,
    site: Annotated[
        str | None,
        typer.Option(
            "--site", help="where this collector runs, e.g. dc or dr ($NOC_COLLECTOR_SITE)"
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="run N collector processes here, "
            "NAME-0 to NAME-N-1 of the fleet, serving on consecutive ports from "
            "$NOC_HTTP_PORT (needs --name)",
        ),
    ] = 1,
) -> None:
    """The collector, the API and /metrics in one process: poll on each tier's interval,
    store incidents and rollups, answer HTTP on $NOC_HTTP_HOST:$NOC_HTTP_PORT (Ctrl-C stops).
    With --name it is one collector of a fleet: it polls the poll domains it holds a lease on."""
    inv = inventory_or_exit(inventory)
    given: dict[str, Any] = {
        k: v for k, v in (("collector_name", name), ("collector_site", site)) if v
    }
    try:
        settings = Settings(**given)
    except SettingsError as exc:
        err_console.print(f"noc serve cannot run: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    setup_logging(zone=inv.network.timezone)
    url = settings.db_url()
    engine = engine_or_exit(url)
    if workers > 1:
        if settings.collector_name is None or engine.dialect.name != "postgresql":
            err_console.print(
                "noc serve --workers needs --name and a PostgreSQL store: the "
                "workers share the poll domains as a fleet"
            )
            raise typer.Exit(2)
        plan = plan_workers(
            settings.collector_name,
            settings.collector_site,
            workers,
            settings.http_host,
            settings.http_port,
            settings.var_dir,
            dict(os.environ),
        )
        raise typer.Exit(supervise(plan, lambda line: print(line, flush=True)))
    taken = port_taken(settings.http_host, settings.http_port)
    if taken is not None:  # said before anything starts, not after the start-up lines
        where = f"{settings.http_host}:{settings.http_port}"
        err_console.print(
            f"noc serve cannot run: {where} is taken ({taken}); stop what uses "
            "it or set NOC_HTTP_PORT",
            soft_wrap=True,
        )
        raise typer.Exit(1)
    try:
        asyncio.run(run_collector(inv, settings))
    except FleetError as exc:
        err_console.print(f"noc serve cannot run: {exc}")
        raise typer.Exit(2) from None
    except OSError as exc:  # the HTTP port taken, a var/ directory that cannot be written
        err_console.print(f"noc serve cannot run: {redact.first_line(exc)}")
        raise typer.Exit(1) from None


def port_taken(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on (None when it can): tried the way the server
    will, before anything starts."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


async def run_collector(inv: Inventory, settings: Settings, duration: float = 0) -> None:
    """The collector with its store and /metrics, a live summary line, until Ctrl-C (or
    `duration` seconds), then a clean stop that flushes everything."""
    client = settings.snmp_client()()
    # The service brings the web stack (FastAPI, uvicorn): loaded when serving, not for every
    # command's start.
    from noc.service import build_service, run_service

    service = build_service(inv, client, settings)
    if service.member is not None:
        try:
            await service.member.join()
        except BaseException:
            await client.close()
            raise
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
    line = LiveLine(inv)
    if console.is_terminal:
        with Live(console=console, refresh_per_second=2) as live:
            while not task.done():
                live.update(
                    line.render(
                        service.poller,
                        service.scheduler.stats,
                        service.writer,
                        time.time(),
                        service.member,
                    )
                )
                await asyncio.sleep(0.5)
    else:  # a log, not a terminal: a line a minute, and one at once when the problems change
        printed, shown = 0.0, problems(service.poller)
        while not task.done():
            now, seen = time.time(), problems(service.poller)
            if seen != shown or now - printed >= 60:
                console.print(
                    line.render(
                        service.poller,
                        service.scheduler.stats,
                        service.writer,
                        now,
                        service.member,
                    ),
                    markup=True,
                )
                printed, shown = now, seen
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), 1)
    await task
    await client.close()
    console.print(
        f"stopped; {service.writer.stats.written} events written, {service.writer.pending} pending"
    )


def problems(poller: Poller) -> frozenset[tuple[str, str]]:
    """What is down or flapping here now, with its state: a change prints the line at once."""
    live = poller.live
    with live.lock:
        verdicts = dict(live.verdicts)
    return frozenset(
        (e, v.state.value)
        for e, v in verdicts.items()
        if v.state in (State.DOWN, State.FLAPPING) and live.owns(e)
    )


class LiveLine:
    """The one line `noc serve` keeps current: the time in WIB, the polls of the last minute,
    what is down by name (red), the uplink against its contract, and the store."""

    def __init__(self, inv: Inventory) -> None:
        from zoneinfo import ZoneInfo

        self.zone = ZoneInfo(inv.network.timezone)
        self.uplink = inv.uplink
        self.history: list[tuple[float, int, int]] = []

    def render(
        self, poller: Poller, stats: Any, writer: Any, now: float, member: Any = None
    ) -> str:
        from datetime import datetime

        self.history.append((now, stats.polls, stats.failures))
        # The baseline is the newest reading at least a minute old (the line is printed every
        # minute, so that reading is about 60.0x s old; dropping everything past 60 s left
        # none and read "0 polls").
        while len(self.history) > 1 and now - self.history[1][0] >= 60:
            self.history.pop(0)
        _, polls0, failures0 = self.history[0]
        polls, failures = stats.polls - polls0, stats.failures - failures0
        states: dict[State, list[str]] = {}
        live = poller.live
        mine = [name for name in poller.devices if live.owns(name)]
        for name in mine:
            states.setdefault(poller.state_of(name).state, []).append(name)
        clock = datetime.fromtimestamp(now, self.zone).strftime("%H:%M:%S %Z")
        parts = [clock]
        waiting = len(states.get(State.UNKNOWN, []))
        if stats.polls == 0:
            parts.append(f"not polled yet ({len(mine)} devices)")
        else:
            failed = f", [red]{failures} failed[/]" if failures else ""
            parts.append(f"{polls} polls in the last minute{failed}")
        down = sorted(states.get(State.DOWN, []) + states.get(State.FLAPPING, []))
        if down:
            shown = ", ".join(down[:4]) + (f" +{len(down) - 4}" if len(down) > 4 else "")
            behind = len(states.get(State.UNREACHABLE, []))
            extra = f" ({behind} unreachable behind)" if behind else ""
            parts.append(f"[bold red]DOWN {shown}[/]{extra}")
        else:
            up = len(states.get(State.UP, []))
            parts.append(f"[green]{up} up[/]" + (f", {waiting} not polled yet" if waiting else ""))
        if live.owned is not None:  # one collector of a fleet
            starved = getattr(member, "starved", None)
            if starved:
                parts.append(f"[bold red]fleet: {starved}[/]")
            else:
                parts.append(f"fleet: {len(mine)} of {len(poller.devices)} devices here")
        if self.uplink is not None and live.owns(self.uplink.a.device):
            dev = poller.devices.get(self.uplink.a.device)
            iface = dev.interface_named(self.uplink.a.interface) if dev else None
            share = iface.utilisation if iface is not None else None
            mbps = self.uplink.capacity_bps / 1e6
            if share is not None:
                colour = "red" if share >= 0.9 else "yellow" if share >= 0.8 else "green"
                parts.append(f"uplink [{colour}]{share:.0%}[/] of {mbps:.0f} Mbps")
            else:  # a rate needs two readings
                parts.append(f"uplink — of {mbps:.0f} Mbps")
        if writer.healthy():
            parts.append("store ok")
        elif writer.stats.db_up:
            parts.append(
                f"[yellow]store SLOW ({writer.pending} held, oldest "
                f"{writer.oldest_pending_s():.0f}s)[/]"
            )
        else:
            parts.append(f"[red]store DOWN ({writer.pending} held, none lost)[/]")
        parts.append(f"open incidents {len(poller.live.book.open)}")
        return " | ".join(parts)
