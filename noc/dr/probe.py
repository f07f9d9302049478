"""`noc dr probe`: the DR site's own view of the primary site, served as JSON on /probe."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from noc.collector.targets import build_targets
from noc.inventory import Inventory
from noc.snmp.client import RequestStats, SnmpError
from noc.snmp.engines import ClientFactory, client_factory

UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)


def probe_server(
    inv: Inventory, host: str, port: int, max_age_s: float = 10.0,
    new_client: ClientFactory | None = None,
) -> ThreadingHTTPServer:  # fmt: skip
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

        async def one(name: str) -> bool:
            try:
                await client.get(targets[name], [UPTIME], RequestStats())
                return True
            except SnmpError:
                return False

        try:
            return dict(zip(primary, await asyncio.gather(*(one(n) for n in primary)),
                            strict=True))  # fmt: skip
        finally:
            await client.close()

    def view() -> dict[str, Any]:
        with lock:
            if time.monotonic() - cache["at"] > max_age_s:
                seen = asyncio.run(ask())
                cache["view"] = {"site": dr.dr_site, "at": time.time(), "devices": seen,
                                 "primary_reachable": any(seen.values())}  # fmt: skip
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
