"""What every route depends on: the context `noc serve` (or a test) builds, the bearer-token
check with its right, and Alertmanager's webhook secret."""

from __future__ import annotations

import asyncio
import hmac
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from noc.alerts.gateway import GatewayRelay
from noc.api.guard import IPNetwork, Throttle, TokenCache, client_address
from noc.diag.result import secret_values
from noc.dr.readiness import DrReport
from noc.errors import NocError
from noc.exporter import NocMetrics
from noc.exporter.cache import MetricsCache
from noc.inventory import Inventory
from noc.inventory.model import Device
from noc.inventory.names import UnknownName, resolve
from noc.inventory.secrets import SecretError, resolve_secret
from noc.polling.livestate import LiveState
from noc.snmp.codecs import ClientFactory
from noc.store.audit import AuditLog
from noc.store.tokens import Principal, Right, lookup
from noc.wall.hub import WallHub

T = TypeVar("T")

PREFIX = "/api/v1"


@dataclass
class ApiContext:
    inv: Inventory
    engine: Engine
    audit: AuditLog
    client_factory: ClientFactory
    live: LiveState | None = None
    metrics: NocMetrics | None = None
    dr_report: Callable[[], DrReport | None] | None = None
    wall: WallHub | None = None
    secrets: set[str] = field(default_factory=set)
    tokens: TokenCache = field(default_factory=TokenCache)
    throttle: Throttle = field(default_factory=Throttle)
    # Heavy reports run in threads, at most this many at once; the rest wait their turn.
    reports: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(2))
    metrics_cache: MetricsCache = field(default_factory=MetricsCache)
    # The store's reads run on threads of their own: a read stuck on a frozen store never
    # takes a thread another part of the server needs.
    store_readers: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(STORE_READERS)
    )
    store_pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(STORE_READERS, thread_name_prefix="noc-read")
    )
    gateway: GatewayRelay | None = None
    lease_s: float = 30.0  # in a fleet: how long a collector's hold on a poll domain lasts
    # Why this collector cannot do its work (None when it can): /healthz answers 503 with it.
    trouble: Callable[[], str | None] | None = None
    # Proxies whose X-Forwarded-For names the client (NOC_TRUSTED_PROXIES).
    trusted_proxies: tuple[IPNetwork, ...] = ()
    config_dir: Path | None = None  # the configuration backups' folder (var/config)

    def __post_init__(self) -> None:
        self.secrets = self.secrets or secret_values(self.inv)
        self.gateway = self.gateway or GatewayRelay(self.inv, self.engine)
        if self.wall is not None:  # a token revoked by another process: forgotten here too
            self.wall.on_revoked.append(self.tokens.clear)


def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ApiContext, Depends(context)]

bearer = HTTPBearer(auto_error=False, description="an API token from `noc token create`")
UNAUTHORISED = {"WWW-Authenticate": "Bearer"}


STORE_READ_S = 5.0  # a store read the API waits for, at most
STORE_READERS = 8  # store reads in flight at once; more wait for none and answer 503 at once


class StoreTimeout(NocError):
    """The store did not answer a read in time (frozen, or a path that drops packets)."""


async def store_read(ctx: ApiContext, fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in a thread, within STORE_READ_S: a frozen store is a 503 in seconds, not
    a request held for half a minute. The reads are bounded too: a thread left waiting on a
    frozen store holds one of STORE_READERS places, and once all are held the next read is
    refused at once, so the threads the live routes need are never all spent on it."""
    if not ctx.store_readers.acquire(blocking=False):
        raise StoreTimeout("every store read in flight waits on the store")

    def read() -> T:
        try:
            return fn(*args)
        finally:
            ctx.store_readers.release()

    future = asyncio.get_running_loop().run_in_executor(ctx.store_pool, read)
    try:
        return await asyncio.wait_for(asyncio.shield(future), STORE_READ_S)
    except TimeoutError:
        raise StoreTimeout(f"no answer from the store in {STORE_READ_S:g} s") from None


def address_of(request: Request) -> str:
    """The client's address, as forwarded by a proxy the settings trust."""
    ctx = context(request)
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.get("x-forwarded-for"), ctx.trusted_proxies)


def refuse(request: Request, why: str, detail: str) -> NoReturn:
    """A failed check: 429 from an address past its throttle, else 401 and one more failure
    counted against it."""
    ctx = context(request)
    address = address_of(request)
    wait = ctx.throttle.retry_after(address)
    if wait:
        raise HTTPException(
            429,
            "too many refused tokens from this address; try later",
            headers={"Retry-After": str(int(wait))},
        )
    ctx.throttle.failed(address, why)
    raise HTTPException(401, detail, headers=UNAUTHORISED)


async def authenticate(request: Request, token: str, right: Right) -> Principal:
    """The principal a token stands for, if it has `right`; 401, 403, 429 or 503 otherwise.
    Refused tokens count towards the address's throttle."""
    ctx = context(request)
    now = time.time()
    principal: Principal | None = ctx.tokens.get(token, now)
    if principal is None:
        try:
            principal = await store_read(ctx, lookup, ctx.engine, token)
        except (SQLAlchemyError, StoreTimeout):
            principal = ctx.tokens.get(token, now, store_down=True)
            if principal is None:
                raise HTTPException(
                    503, "the store does not answer; tokens cannot be checked"
                ) from None
        else:
            if principal is not None:
                ctx.tokens.put(token, principal, now, principal.expires)
    if principal is None:
        refuse(request, "unknown, revoked or expired token", "unknown, revoked or expired token")
    if not principal.may(right):
        raise HTTPException(403, f"role {principal.role.value} lacks the {right.value} right")
    return principal


def require(right: Right) -> Callable[..., Any]:
    """The dependency every protected route declares; it carries its right for the tests that
    check no route goes without one."""

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        if credentials is None:
            raise HTTPException(401, "a bearer token is required", headers=UNAUTHORISED)
        return await authenticate(request, credentials.credentials, right)

    dependency.right = right  # type: ignore[attr-defined]
    return dependency


Reader = Annotated[Principal, Depends(require(Right.READ))]
Technician = Annotated[Principal, Depends(require(Right.DIAGNOSE))]
Manager = Annotated[Principal, Depends(require(Right.REPORT))]
Admin = Annotated[Principal, Depends(require(Right.ADMIN))]
Prober = Annotated[Principal, Depends(require(Right.VOTE))]


def webhook_secret(ctx: ApiContext) -> str | None:
    alerting = ctx.inv.alerting
    if alerting is None:
        return None
    try:
        return resolve_secret(alerting.webhook_secret, ctx.inv.devices).get_secret_value()
    except SecretError:
        return None


async def require_webhook_secret(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Alertmanager's shared secret (not a user's token): the webhook's only key."""
    ctx = context(request)
    expected = webhook_secret(ctx)
    given = credentials.credentials if credentials is not None else ""
    if expected is None or not hmac.compare_digest(given.encode(), expected.encode()):
        refuse(request, "wrong alert webhook secret", "the alert webhook secret is required")


require_webhook_secret.webhook = True  # type: ignore[attr-defined]


def device_or_404(ctx: ApiContext, name: str) -> Device:
    """The device, found as the CLI finds it (`BTS-12`, `bts-7`), or 404 with the closest
    names."""
    try:
        return ctx.inv.devices_by_name[resolve(name, ctx.inv.devices_by_name)]
    except UnknownName as exc:
        raise HTTPException(404, str(exc)) from None


def epoch(value: datetime) -> float:
    if value.tzinfo is None:
        raise HTTPException(422, "give times with a UTC offset, e.g. 2026-10-01T00:00:00+07:00")
    return value.timestamp()
