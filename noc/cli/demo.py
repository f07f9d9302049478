"""`noc demo`: the simulated Bogor network and the toolkit running on it, in one command."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from typing import Annotated

import typer
from rich.live import Live

from noc.cli.collect import summary_line
from noc.cli.common import console, inventory_or_exit
from noc.collector.service import build_service, run_service
from noc.lab.agent import start_agents
from noc.lab.builder import build_lab
from noc.lab.control import ControlServer
from noc.paths import default_inventory
from noc.settings import Settings
from noc.snmp.pysnmp_client import PysnmpClient


def demo(
    duration: Annotated[
        float, typer.Option(help="stop after this many seconds (0: run until Ctrl-C)")
    ] = 0,
) -> None:
    """Start the simulated network (every inventory device answering SNMP on loopback) and run
    the collector on it with the embedded SQLite store."""
    path = default_inventory()
    inv = inventory_or_exit(path)
    settings = Settings()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")

    async def main() -> None:
        agents = build_lab(inv, time.time())
        responder = await start_agents(inv, agents)
        lab_socket = settings.var_dir / "lab" / "control.sock"
        lab_socket.parent.mkdir(parents=True, exist_ok=True)
        control = await ControlServer(agents, responder).serve(lab_socket)
        console.print(f"simulated network: {len(agents)} agents on loopback; "
                      f"try `noc lab scenario bts-07 down` in another terminal")  # fmt: skip
        client = PysnmpClient()
        service = build_service(inv, client, settings)
        console.print(f"store: {settings.db_url()}")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if duration:
            loop.call_later(duration, stop.set)
        metrics = (settings.metrics_host, settings.metrics_port)
        task = asyncio.create_task(run_service(service, stop, metrics))
        console.print(f"metrics: http://{settings.metrics_host}:{settings.metrics_port}/metrics")
        with Live(console=console, refresh_per_second=2) as live:
            while not task.done():
                live.update(summary_line(service.collector, service.scheduler.stats,
                                         service.writer))  # fmt: skip
                await asyncio.sleep(0.5)
        await task
        await client.close()
        control.close()
        responder.engine.transport_dispatcher.close_dispatcher()
        lab_socket.unlink(missing_ok=True)
        console.print(f"stopped; {service.writer.stats.written} events written to the store")

    asyncio.run(main())
