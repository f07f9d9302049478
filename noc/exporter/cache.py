"""/metrics rendered at most once per `max_age_s`, in a thread, however many scrapers ask at
once: a burst of scrapes costs one render, and the polls do not wait on them. Prometheus asks
for gzip; the compressed body is made once per rendering too."""

from __future__ import annotations

import asyncio
import time
import zlib
from typing import Protocol


class Exposition(Protocol):
    def exposition(self) -> bytes: ...


class MetricsCache:
    def __init__(self, max_age_s: float = 5.0) -> None:
        self.max_age_s = max_age_s
        self._body = b""
        self._gzipped: bytes | None = None
        self._at = -1e18
        self._lock = asyncio.Lock()
        self.renders = 0

    async def get(self, source: Exposition, gzip: bool = False) -> bytes:
        """The exposition (gzip-compressed when asked, compressed once per rendering)."""
        async with self._lock:
            if time.monotonic() - self._at > self.max_age_s:
                self._body = await asyncio.to_thread(source.exposition)
                self._gzipped = None
                self._at = time.monotonic()
                self.renders += 1
            if not gzip:
                return self._body
            if self._gzipped is None:
                self._gzipped = await asyncio.to_thread(_gzip, self._body)
            return self._gzipped


def _gzip(body: bytes) -> bytes:
    """A gzip member at level 1: most of the size gone for little CPU (repeated label sets
    compress tenfold)."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    return packer.compress(body) + packer.flush()
