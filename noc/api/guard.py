"""What stands between HTTP clients and the collector they share a process with.

- `Guard`, an ASGI middleware that acts before any body is read: control characters in the
  path or query are a 422; a body on an API route needs an Authorization header (401) and may
  not exceed `MAX_BODY` bytes (413, counted as it streams in, whatever Content-Length says);
  every response carries the security headers, and API responses `Cache-Control: no-store`.
- `TokenCache`: verified tokens are remembered for a minute, and for a quarter of an hour when
  the store does not answer, so the NOC keeps its live view through a store outage.
- `Throttle`: failed token checks are logged and counted per client address; an address with
  too many gets 429 for its failed checks until its oldest failure ages out of the window (a
  valid token is always served). Behind a proxy named in the settings, the client address is
  the one it forwards.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
# The API's own pages use only their own assets; the docs pages are left to their defaults.
CSP = (b"content-security-policy", b"default-src 'self'; frame-ancestors 'none'")
DOCS = ("/docs", "/redoc")
_CONTROL = frozenset((*range(0x20), 0x7F))


class _TooLarge(Exception):
    pass


def has_control(raw: bytes) -> bool:
    """Control characters, raw or percent-encoded, in a path or query string."""
    return any(b in _CONTROL for b in unquote_to_bytes(raw))


class Guard:
    def __init__(self, app: App, max_body: int = MAX_BODY, api_prefix: str = "/api/") -> None:
        self.app = app
        self.max_body = max_body
        self.api_prefix = api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        headers = dict(scope.get("headers") or [])
        if has_control(scope.get("raw_path") or path.encode()) or has_control(
            scope.get("query_string", b"")
        ):
            await _reply(send, 422, "control characters are not allowed in the path or query")
            return
        api = path.startswith(self.api_prefix)
        with_body = scope.get("method") in ("POST", "PUT", "PATCH")
        if api and with_body:
            if not headers.get(b"authorization", b"").lower().startswith(b"bearer "):
                await _reply(
                    send, 401, "a bearer token is required", [(b"www-authenticate", b"Bearer")]
                )
                return
            length = headers.get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > self.max_body):
                await _reply(send, 413, f"request bodies are limited to {self.max_body} bytes")
                return
        received = 0
        started = too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    too_large = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if too_large:  # whatever the app made of the cut body, the answer is 413
                if not started:
                    started = True
                    await _reply(send, 413, f"request bodies are limited to {self.max_body} bytes")
                return
            if message["type"] == "http.response.start":
                started = True
                extra = list(SECURITY_HEADERS)
                if not path.startswith(DOCS):
                    extra.append(CSP)
                if api:
                    extra.append((b"cache-control", b"no-store"))
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *(h for h in extra if h[0] not in names),
                ]
            await send(message)

        try:
            await self.app(scope, limited_receive if with_body else receive, guarded_send)
        except _TooLarge:
            if not started:
                await _reply(send, 413, f"request bodies are limited to {self.max_body} bytes")


async def _reply(
    send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *SECURITY_HEADERS,
                CSP,
                (b"cache-control", b"no-store"),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


@dataclass
class _Cached:
    value: Any
    checked: float
    expires: float | None


class TokenCache:
    """Principals of verified tokens, keyed by the token's digest (never the token)."""

    def __init__(self, fresh_s: float = 60.0, stale_s: float = 900.0) -> None:
        self.fresh_s = fresh_s
        self.stale_s = stale_s
        self._items: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def get(self, token: str, now: float, store_down: bool = False) -> Any | None:
        with self._lock:
            item = self._items.get(self.key(token))
        if item is None or (item.expires is not None and item.expires <= now):
            return None
        age = now - item.checked
        return item.value if age < (self.stale_s if store_down else self.fresh_s) else None

    def put(self, token: str, value: Any, now: float, expires: float | None) -> None:
        with self._lock:
            if len(self._items) > 10_000:
                self._items.clear()
            self._items[self.key(token)] = _Cached(value, now, expires)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def forget(self, token: str) -> None:
        with self._lock:
            self._items.pop(self.key(token), None)


class Throttle:
    """At most `limit` failed token checks per client address within `window_s`. It only ever
    refuses a *failed* check: a valid token is served whatever its address did (a city's
    screens share one proxy or NAT address, and one bad client there must not blind them).

    Memory is bounded: past `max_addresses`, the addresses that are not being throttled are
    forgotten, least recently failed first; the throttled ones are kept."""

    def __init__(
        self, limit: int = 10, window_s: float = 60.0, max_addresses: int = 10_000
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_addresses = max_addresses
        # address -> failure times, in order of the last failure (least recent first)
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()
        self.refused = 0
        self.forgotten = 0

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._failures.get(address)
        if times is None:
            return deque()
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def retry_after(self, address: str, now: float | None = None) -> float:
        """Seconds until a failed check from this address is answered 401 again instead of
        429; 0 when it is now."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._recent(address, now)
            if len(times) < self.limit:
                return 0.0
            self.refused += 1
            return max(1.0, self.window_s - (now - times[0]))

    def failed(self, address: str, why: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._failures.pop(address, None)
            if times is None:
                times = deque(maxlen=self.limit)
                self._bound(now)
            self._failures[address] = times  # now the most recent
            times.append(now)
            while times and now - times[0] > self.window_s:
                times.popleft()
            count = len(times)
        log.warning(
            "API token refused for %s (%s); %d failure(s) in %.0f s",
            address,
            why,
            count,
            self.window_s,
        )

    def _bound(self, now: float) -> None:
        """Room for one more address: forget those with no failure left in the window, then
        the least recently failed of those not throttled; the throttled stay."""
        if len(self._failures) < self.max_addresses:
            return
        for address in [
            a for a, t in self._failures.items() if not t or now - t[-1] > self.window_s
        ]:
            del self._failures[address]
            self.forgotten += 1
        target = self.max_addresses * 9 // 10
        if len(self._failures) < self.max_addresses:
            return
        for address in [a for a, t in self._failures.items() if len(t) < self.limit]:
            if len(self._failures) <= target:
                break
            del self._failures[address]
            self.forgotten += 1
        while len(self._failures) >= self.max_addresses:  # every one throttled: the oldest
            self._failures.popitem(last=False)
            self.forgotten += 1

    def __len__(self) -> int:
        return len(self._failures)


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: Sequence[IPNetwork]
) -> str:
    """The client's address: the peer's, unless the peer is a proxy named in the settings;
    then the last address in X-Forwarded-For that is not itself such a proxy (what a client
    writes in the header before the proxies is not trusted)."""
    address = peer or "unknown"
    if not forwarded_for or not _within(address, trusted):
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # a header no trusted proxy writes: keep the peer's
        if not _within(hop, trusted):
            return hop
        address = hop
    return address


def _within(address: str, networks: Sequence[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in networks)
