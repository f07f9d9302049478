"""Run the simulated network in the foreground: agents plus the control socket."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from pathlib import Path

from noc.inventory import load_inventory
from noc.lab.agent import start_agents
from noc.lab.builder import LabAgent, build_lab, recording_agent
from noc.lab.control import ControlServer

log = logging.getLogger(__name__)

RECORDING_NET = "127.0.9."


def recording_agents(directory: Path | None, port: int, started: float) -> list[LabAgent]:
    """Each .snmprec in `directory`, at 127.0.9.1, .2, ... in name order, community = file stem."""
    if directory is None:
        return []
    files = sorted(directory.glob("*.snmprec"))
    return [
        recording_agent(p, f"{RECORDING_NET}{n}", port, started) for n, p in enumerate(files, 1)
    ]


async def run(
    inventory_path: Path, socket_path: Path, recordings: Path | None, recordings_port: int = 161
) -> None:
    inv = load_inventory(inventory_path)
    started = time.time()
    agents = build_lab(inv, started) + recording_agents(recordings, recordings_port, started)
    responder = await start_agents(
        inv, agents, [a.device.name.removeprefix("rec-") for a in agents if a.device.static]
    )
    control = ControlServer(agents, responder)
    server = await control.serve(socket_path)
    log.info("lab: %d agents answering SNMP; control at %s", len(agents), socket_path)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        server.close()
        responder.engine.transport_dispatcher.close_dispatcher()
        socket_path.unlink(missing_ok=True)
