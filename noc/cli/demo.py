"""`noc demo`: the simulated Bogor network and the toolkit running on it, in one command."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

import typer

from noc.cli.collect import port_taken, run_collector
from noc.cli.common import console, err_console, inventory_or_exit, noc_command, setup_logging
from noc.inventory import Inventory
from noc.lab.agent import start_agents
from noc.lab.builder import build_lab
from noc.lab.control import ControlServer
from noc.lab.egov import serve_inventory
from noc.lab.flowexport import LabFlowExporter
from noc.lab.services import start_stand_ins, touch_markers
from noc.lab.stack import start_alert_path
from noc.paths import default_inventory
from noc.settings import Settings


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
    taken = _taken(inv, settings)
    if taken is not None:  # said before anything starts: no half-started demo, no tracebacks
        err_console.print(f"noc demo cannot run: {taken}", soft_wrap=True)
        raise typer.Exit(1)
    setup_logging(zone=inv.network.timezone)

    async def main() -> None:
        agents = build_lab(inv, time.time())
        responder = await start_agents(inv, agents)
        lab_socket = settings.var_dir / "lab" / "control.sock"
        lab_socket.parent.mkdir(parents=True, exist_ok=True)
        # The e-government services, served where the inventory's checks look for them,
        # behind the lab's own CA (trusted by this collector alone).
        egov = await serve_inventory(inv, settings.var_dir / "lab" / "egov")
        controller = ControlServer(agents, responder)
        controller.egov = egov
        control = await controller.serve(lab_socket)
        stand_ins = await start_stand_ins(inv, agents)
        watching = settings.model_copy(update={"service_ca_file": str(egov.ca.ca_file)})
        markers_stop = asyncio.Event()
        markers = asyncio.create_task(touch_markers(inv, agents, markers_stop))
        exporting = None
        if settings.flow_port:  # the uplink router's IPFIX, to this collector
            devices = {a.device.name: a.device for a in agents}
            controller.flows = LabFlowExporter(inv, devices, ("127.0.0.1", settings.flow_port))
            exporting = asyncio.create_task(controller.flows.run(markers_stop, responder.clock.now))
            console.print(
                f"flows: core-1 exports IPFIX to 127.0.0.1:{settings.flow_port}; "
                f"`{noc_command()} flows top` shows who fills the uplink"
            )
        console.print(
            f"e-government services: {len(inv.services)} served on loopback "
            f"(`{noc_command()} services` shows them)"
        )
        console.print(
            f"simulated network: {len(agents)} agents on loopback; "
            f"try `{noc_command()} lab scenario bts-07 down` in another "
            "terminal"
        )
        alert_path = start_alert_path(inv, path, settings.var_dir, settings.http_port)
        for note in alert_path.notes:
            console.print(note)
        if inv.alerting is not None:
            console.print(
                "alerts: Prometheus http://127.0.0.1:9090 -> Alertmanager "
                f"{inv.alerting.alertmanager_url} -> local stand-ins (Telegram, WhatsApp "
                f"gateway, e-mail); read them with `{noc_command()} alerts inbox`"
            )
        wall_note = await asyncio.to_thread(_wall_token, settings)
        if wall_note:
            console.print(wall_note)
        try:
            await run_collector(inv, watching, duration)
        finally:
            alert_path.stop()
            markers_stop.set()
            await markers
            if exporting is not None:
                await asyncio.gather(exporting, return_exceptions=True)
            for stand_in in stand_ins:
                stand_in.close()
            control.close()
            egov.close()
            responder.engine.transport_dispatcher.close_dispatcher()
            lab_socket.unlink(missing_ok=True)

    asyncio.run(main())


def _taken(inv: Inventory, settings: Settings) -> str | None:
    """Why the demo cannot start here (a demo or lab already runs, a port is taken), or None:
    its HTTP port, and the SNMP address of the first simulated device, tried first."""
    import socket

    why = port_taken(settings.http_host, settings.http_port)
    if why is not None:
        return (
            f"{settings.http_host}:{settings.http_port} is taken ({why}); is a demo or "
            "`noc serve` already running? Stop it, or set NOC_HTTP_PORT"
        )
    device = inv.devices[0]
    address = str(device.address)
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((address, device.port))
        except OSError as exc:
            return (
                f"the simulated network's address {address}:{device.port} is taken "
                f"({exc.strerror}); is a demo or `noc lab up` already running?"
            )
    return None


def _wall_token(settings: Settings) -> str | None:
    """A fresh viewer token for the wall screen (the previous demo's is revoked)."""
    from noc import redact
    from noc.store.db import make_engine, upgrade
    from noc.store.tokens import Role, create_token, list_tokens, revoke_token

    try:
        engine = make_engine(settings.db_url())
        upgrade(engine)
        for old in list_tokens(engine):
            if old["name"] == "wall-demo" and old["revoked"] is None:
                revoke_token(engine, old["id"])
        _, token = create_token(engine, "wall-demo", Role.VIEWER)
    except Exception as exc:  # the demo runs on without the wall's token
        return f"wall screen: no viewer token ({redact.first_line(exc)})"
    url = f"http://{settings.http_host}:{settings.http_port}/wall"
    return f"wall screen: open {url} and sign in with the viewer token {token}"
