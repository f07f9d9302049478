"""`noc dr probe`: the DR site's own view of the primary site, served as JSON on /probe."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from noc.inventory import Inventory
from noc.polling.targets import build_targets
from noc.snmp.client import RequestStats, SnmpClient, SnmpError, Target
from noc.snmp.codecs import ClientFactory, client_factory

UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)


async def sees_primary(
    client: SnmpClient, targets: Mapping[str, Target], names: list[str]
) -> dict[str, bool]:
    """Does each of these (primary-site) devices answer one SNMP get from here?"""

    async def one(name: str) -> bool:
        try:
            await client.get(targets[name], [UPTIME], RequestStats())
            return True
        except SnmpError:
            return False

    return dict(zip(names, await asyncio.gather(*(one(n) for n in names)), strict=True))


def probe_server(
    inv: Inventory,
    host: str,
    port: int,
    max_age_s: float = 10.0,
    new_client: ClientFactory | None = None,
) -> ThreadingHTTPServer:
    """An HTTP server (not yet serving) answering /probe: does any device of the primary site
    answer SNMP from here? Asked at most every `max_age_s`."""
    dr = inv.dr
    assert dr is not None
    targets = build_targets(inv)
    primary = [d.name for d in inv.devices if d.site == dr.primary_site]
    cache: dict[str, Any] = {"at": -1e9, "view": None}
    lock = threading.Lock()

    async def ask() -> dict[str, bool]:
        client = (new_client or client_factory())()
        try:
            return await sees_primary(client, targets, primary)
        finally:
            await client.close()

    def view() -> dict[str, Any]:
        with lock:
            if time.monotonic() - cache["at"] > max_age_s:
                seen = asyncio.run(ask())
                cache["view"] = {
                    "site": dr.dr_site,
                    "at": time.time(),
                    "devices": seen,
                    "primary_reachable": any(seen.values()),
                }
                cache["at"] = time.monotonic()
            return dict(cache["view"])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/probe":
                self.send_error(404)
                return
            body = json.dumps(view()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return ThreadingHTTPServer((host, port), Handler)
