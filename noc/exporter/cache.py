"""/metrics rendered at most once per `max_age_s`, in a thread, however many scrapers ask at
once: a burst of scrapes costs one render, and the polls do not wait on them."""

from __future__ import annotations

import asyncio
import time

from prometheus_client.registry import Collector as PromCollector

from noc.exporter.render import render


class MetricsCache:
    def __init__(self, max_age_s: float = 5.0) -> None:
        self.max_age_s = max_age_s
        self._body = b""
        self._at = -1e18
        self._lock = asyncio.Lock()
        self.renders = 0

    async def get(self, source: PromCollector) -> bytes:
        async with self._lock:
            if time.monotonic() - self._at > self.max_age_s:
                self._body = await asyncio.to_thread(lambda: render(source.collect()))
                self._at = time.monotonic()
                self.renders += 1
            return self._body
