"""The collector's HTTP server under attack: what uvicorn's HTTP/1.1 protocol is given so that
nobody who merely reaches the port can take the collector's HTTP side (or its store) down.

- A request's headers must arrive within `header_s` of the connection's first byte (or of its
  opening): a client that connects and sends nothing, or one byte a minute, is closed.
  uvicorn closes an idle keep-alive connection after its own `timeout_keep_alive`.
- At most `per_client` connections per client address, and `total` in all; what is above is
  closed at once, before a byte is read. The file descriptors left over (the process's limit
  is raised to its hard limit at start) are the store's, the journal's and Prometheus's.
- Every refusal is counted (for /metrics) and logged at most once a minute with a count.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import time
from collections import Counter
from dataclasses import dataclass, field

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.utils import get_remote_addr

log = logging.getLogger(__name__)


@dataclass
class Limits:
    header_s: float = 10.0
    per_client: int = 64
    total: int = 512
    slow_s: float = 15.0  # a client whose buffer here stays full this long is dropped
    buffer_bytes: int = 32 * 1024  # what may wait for one client before it counts as slow
    open: Counter[str] = field(default_factory=Counter)  # client address -> connections
    refused: Counter[str] = field(default_factory=Counter)  # why -> connections refused
    _said: float = 0.0

    def refuse(self, why: str, client: str) -> None:
        self.refused[why] += 1
        now = time.monotonic()
        if now - self._said >= 60:
            self._said = now
            total = sum(self.refused.values())
            log.warning(
                "HTTP: refused a connection from %s (%s); %d refused since start",
                client,
                why,
                total,
            )


def guarded_protocol(limits: Limits) -> type[H11Protocol]:
    """uvicorn's HTTP/1.1 protocol with `limits` (one per server: pass it as `http=`)."""

    class Guarded(H11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            peer = get_remote_addr(transport)
            self._peer = peer[0] if peer else "unknown"
            self._counted = False
            self._header_timer: asyncio.TimerHandle | None = None
            self._slow_timer: asyncio.TimerHandle | None = None
            why = None
            if limits.open[self._peer] >= limits.per_client:
                why = f"more than {limits.per_client} connections from one address"
            elif sum(limits.open.values()) >= limits.total:
                why = f"more than {limits.total} connections in all"
            if why is not None:
                limits.refuse(why, self._peer)
                transport.abort()  # nothing read, nothing written: its descriptor freed now
                return
            limits.open[self._peer] += 1
            self._counted = True
            # What waits for a client that does not read, at most (asyncio's default: 64 KiB).
            transport.set_write_buffer_limits(high=limits.buffer_bytes)
            super().connection_made(transport)
            self._await_headers()

        def _await_headers(self) -> None:
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(limits.header_s, self._too_slow)

        def _too_slow(self) -> None:
            self._header_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                limits.refuse(f"no request headers within {limits.header_s:g} s", self._peer)
                self.transport.close()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is h11.IDLE:  # the headers not all here yet
                self._await_headers()
            elif self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def pause_writing(self) -> None:
            """The client reads less than is sent (its buffer here is full): it has
            `slow_s` to catch up, or it is dropped with what waits for it."""
            super().pause_writing()
            if self._slow_timer is None:
                self._slow_timer = self.loop.call_later(limits.slow_s, self._fell_behind)

        def resume_writing(self) -> None:
            super().resume_writing()
            if self._slow_timer is not None:
                self._slow_timer.cancel()
                self._slow_timer = None

        def _fell_behind(self) -> None:
            self._slow_timer = None
            limits.refuse(f"did not read for {limits.slow_s:g} s", self._peer)
            self.transport.abort()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            # Waiting for the next request is uvicorn's keep-alive timeout's business; once
            # its first bytes arrive, the headers' deadline runs again.
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def connection_lost(self, exc: Exception | None) -> None:
            for timer in (self._slow_timer, self._header_timer):
                if timer is not None:
                    timer.cancel()
            self._slow_timer = self._header_timer = None
            if self._counted:
                self._counted = False
                limits.open[self._peer] -= 1
                if limits.open[self._peer] <= 0:
                    del limits.open[self._peer]
                super().connection_lost(exc)

    return Guarded


def raise_open_files_limit(wanted: int = 65_536) -> tuple[int, int]:
    """The soft limit of open files raised towards the hard one (systemd's LimitNOFILE sets
    both; a shell's default soft limit is 1,024): (soft, hard) after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def total_for(soft_limit: int, wanted: int, reserve: int = 256) -> int:
    """Connections the server may hold: what is wanted, within the open-files limit less a
    reserve for the store's connections, the journal, SNMP sockets and the scrapes."""
    return max(16, min(wanted, soft_limit - reserve))


__all__ = ["Limits", "guarded_protocol", "raise_open_files_limit", "total_for"]
