"""Stand-ins for the DR pair's HTTP services and its probe, so the simulated network has a
DR site to check: each service URL of the inventory answers 200 while the lab device at its
address is up; the sync job's marker is touched every minute while the DR server is up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from noc.dr.probe import probe_server
from noc.inventory import Inventory
from noc.lab.builder import LabAgent
from noc.lab.device import SimDevice

log = logging.getLogger(__name__)


async def start_stand_ins(inv: Inventory, agents: list[LabAgent]) -> list[asyncio.Server]:
    dr = inv.dr
    if dr is None:
        return []
    by_address = {a.address: a.device for a in agents}
    endpoints = {
        (urlsplit(u).hostname or "", urlsplit(u).port or 80)
        for s in dr.services
        for u in (s.primary_url, s.dr_url)
    }
    servers = []
    for host, port in sorted(endpoints):
        device = by_address.get(host)

        async def answer(
            reader: asyncio.StreamReader,
            writer: asyncio.StreamWriter,
            device: SimDevice | None = device,
        ) -> None:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                await reader.readuntil(b"\r\n\r\n")
                if device is None or not device.down:
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                    )
                    await writer.drain()
            writer.close()

        try:
            servers.append(await asyncio.start_server(answer, host, port))
        except OSError as exc:  # taken (another lab, a test): keep trying until it is ours
            log.warning(
                "DR stand-in %s:%d not started (%s); retrying every 10 s, and until "
                "then the DR checks ask whatever answers there",
                host,
                port,
                exc.strerror or exc,
            )
            _RETRIES.add(
                asyncio.get_running_loop().create_task(_retry_bind(answer, host, port, servers))
            )
    if dr.probe_url:
        _start_probe(inv, dr.probe_url)
    return servers


_RETRIES: set[asyncio.Task[None]] = set()


async def _retry_bind(answer: Any, host: str, port: int, servers: list[asyncio.Server]) -> None:
    while True:
        await asyncio.sleep(10)
        try:
            servers.append(await asyncio.start_server(answer, host, port))
        except OSError:
            continue
        log.warning("DR stand-in %s:%d started", host, port)
        return


def _start_probe(inv: Inventory, url: str) -> None:
    parts = urlsplit(url)
    try:
        server = probe_server(inv, parts.hostname or "127.0.0.1", parts.port or 80)
    except OSError as exc:
        log.warning("DR probe not started: %s", exc)
        return
    threading.Thread(target=server.serve_forever, daemon=True).start()


async def touch_markers(inv: Inventory, agents: list[LabAgent], stop: asyncio.Event) -> None:
    dr = inv.dr
    if dr is None or not dr.file_stores:
        return
    at_dr = {d.name for d in inv.devices if d.site == dr.dr_site}
    dr_devices = [a.device for a in agents if a.device.name in at_dr]
    while not stop.is_set():
        if not any(d.down for d in dr_devices):
            for store in dr.file_stores:
                marker = Path(store.marker)
                with contextlib.suppress(OSError):
                    marker.parent.mkdir(parents=True, exist_ok=True)
                    marker.touch()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=60)
