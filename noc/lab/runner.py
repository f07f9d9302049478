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
from noc.lab.flowexport import LabFlowExporter
from noc.lab.notify import LabNotifier
from noc.lab.services import start_stand_ins, touch_markers

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
    inventory_path: Path,
    socket_path: Path,
    recordings: Path | None,
    recordings_port: int = 161,
    traps_to: tuple[str, int] | None = None,
    syslog_to: tuple[str, int] | None = None,
    flows_to: tuple[str, int] | None = None,
) -> None:
    inv = load_inventory(inventory_path)
    started = time.time()
    agents = build_lab(inv, started) + recording_agents(recordings, recordings_port, started)
    responder = await start_agents(
        inv, agents, [a.device.name.removeprefix("rec-") for a in agents if a.device.static]
    )
    notifier = LabNotifier(inv, {a.device.name: a.device for a in agents}, traps_to, syslog_to)
    control = ControlServer(agents, responder, notifier.scenario)
    server = await control.serve(socket_path)
    stand_ins = await start_stand_ins(inv, agents)
    log.info("lab: %d agents answering SNMP; control at %s", len(agents), socket_path)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    markers = asyncio.create_task(touch_markers(inv, agents, stop))
    exporting = None
    if flows_to is not None:
        control.flows = LabFlowExporter(inv, {a.device.name: a.device for a in agents}, flows_to)
        exporting = asyncio.create_task(control.flows.run(stop, responder.clock.now))
    try:
        await stop.wait()
    finally:
        await markers
        if exporting is not None:
            await asyncio.gather(exporting, return_exceptions=True)
        for stand_in in stand_ins:
            stand_in.close()
        server.close()
        responder.engine.transport_dispatcher.close_dispatcher()
        socket_path.unlink(missing_ok=True)
