"""The API: inventory, live status, incidents, poll statistics, maintenance windows, SLA,
diagnostics, tokens and the audit log. Every route but /healthz, /metrics and the docs needs a
bearer token whose role grants the route's right; no response ever carries a credential."""

from __future__ import annotations

import asyncio
import hmac
import multiprocessing
import re
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from noc.api.auth import Principal, Right, Role, create_token, list_tokens, lookup, revoke_token
from noc.api.guard import Guard, Throttle, TokenCache
from noc.api.wall import wall_routes
from noc.collector.engine import Collector, link_key
from noc.diag.audit import AuditLog
from noc.diag.result import DiagError, DiagRefused, secret_values
from noc.diag.runner import ACTIONS, DiagRequest, run_diagnostic
from noc.dr.checks import DrReport
from noc.exporter import NocMetrics, render
from noc.inventory import Inventory
from noc.snmp.client import SnmpClient
from noc.store.maintenance import add_window, list_windows, remove_window
from noc.store.models import IncidentRow, PollStatRow, StateChangeRow

PREFIX = "/api/v1"
# Routes without a bearer-token dependency: public, or (the wall's event stream) checked by
# their own means, the wall's cookie.
PUBLIC_PATHS = frozenset({"/healthz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect",
                          "/docs/static/{name}", "/redoc", "/wall", "/wall/login", "/wall/logout",
                          "/wall/static/{name}", "/wall/events"})  # fmt: skip


@dataclass
class ApiContext:
    inv: Inventory
    engine: Engine
    audit: AuditLog
    client_factory: Callable[[], SnmpClient]
    collector: Collector | None = None
    metrics: NocMetrics | None = None
    dr_report: Callable[[], DrReport | None] | None = None
    secrets: set[str] = field(default_factory=set)
    tokens: TokenCache = field(default_factory=TokenCache)
    throttle: Throttle = field(default_factory=Throttle)
    # Heavy reports run in threads, at most this many at once; the rest wait their turn.
    reports: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(2))
    metrics_cache: MetricsCache = field(default_factory=lambda: MetricsCache())
    wall: Any = None  # the wall screen's hub, made on first use
    _relay: Any = None
    _flusher: Any = None

    def gateways(self) -> dict[str, Any]:
        alerting = self.inv.alerting
        if alerting is None:
            return {}
        return {r.name: r.gateway for r in alerting.receivers if r.gateway is not None}

    def relay(self) -> Any:
        """One rate limiter for every gateway receiver (its own limit is the tightest)."""
        if self._relay is None:
            from noc.alerts.relay import RateLimiter

            limits = [g.per_minute for g in self.gateways().values()] or [20]
            self._relay = RateLimiter(per_minute=min(limits))
        return self._relay

    def send_to_gateway(self, message: Any) -> None:
        """POST one message to its receiver's gateway, with the gateway's token."""
        import json as _json
        import logging
        import urllib.request

        from noc import redact
        from noc.inventory.secrets import resolve_secret

        gateway = self.gateways()[message.chat]
        token = resolve_secret(gateway.token, self.inv.devices).get_secret_value()
        body = _json.dumps({"chat": gateway.chat, "text": message.text}).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        url = gateway.gateway_url  # validated by the inventory: http(s) only
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10):  # noqa: S310 (an http(s) URL)
                pass
        except OSError as exc:
            logging.getLogger(__name__).warning("gateway %s: %s", message.chat,
                                                redact.first_line(exc))  # fmt: skip

    def start_relay_flusher(self) -> None:
        """Summaries of what was held, sent when each chat has room (every 2 s)."""
        if self._flusher is not None and not self._flusher.done():
            return

        async def flush() -> None:
            while True:
                await asyncio.sleep(2)
                for message in self.relay().flush(time.time()):
                    await asyncio.to_thread(self.send_to_gateway, message)

        self._flusher = asyncio.get_running_loop().create_task(flush())

    def __post_init__(self) -> None:
        self.secrets = self.secrets or secret_values(self.inv)


_bearer = HTTPBearer(auto_error=False, description="an API token from `noc token create`")


UNAUTHORISED = {"WWW-Authenticate": "Bearer"}


async def authenticate(request: Request, token: str, right: Right) -> Principal:
    """The principal a token stands for, if it has `right`; 401, 403, 429 or 503 otherwise.
    Refused tokens count towards the address's throttle."""
    ctx: ApiContext = request.app.state.ctx
    address = request.client.host if request.client else "unknown"
    wait = ctx.throttle.retry_after(address)
    if wait:
        raise HTTPException(429, "too many refused tokens from this address; try later",
                            headers={"Retry-After": str(int(wait))})  # fmt: skip
    now = time.time()
    principal: Principal | None = ctx.tokens.get(token, now)
    if principal is None:
        try:
            principal = await run_in_threadpool(lookup, ctx.engine, token)
        except SQLAlchemyError:
            principal = ctx.tokens.get(token, now, store_down=True)
            if principal is None:
                raise HTTPException(
                    503, "the store does not answer; tokens cannot be checked"
                ) from None
        else:
            if principal is not None:
                ctx.tokens.put(token, principal, now, principal.expires)
    if principal is None:
        ctx.throttle.failed(address, "unknown, revoked or expired token")
        raise HTTPException(401, "unknown, revoked or expired token", headers=UNAUTHORISED)
    if not principal.may(right):
        raise HTTPException(403, f"role {principal.role.value} lacks the {right.value} right")
    return principal


def require(right: Right) -> Callable[..., Any]:
    """The dependency every protected route declares; it carries its right for the tests that
    check no route goes without one."""

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
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

# --- response and request bodies ---------------------------------------------------------


class SiteOut(BaseModel):
    name: str
    kind: str
    title: str
    kecamatan: str
    lat: float
    lon: float


class InterfaceOut(BaseModel):
    name: str
    speed_bps: int
    description: str
    oper: str | None = None
    in_bps: float | None = None
    out_bps: float | None = None
    utilisation: float | None = None
    errors_per_s: float | None = None
    no_rate: str | None = None


class DeviceOut(BaseModel):
    name: str
    site: str
    kind: str
    role: str
    tier: str
    address: str
    port: int
    parent: str | None
    ssh: bool
    interfaces: int


class LinkOut(BaseModel):
    name: str
    medium: str
    tier: str
    a_device: str
    a_interface: str
    b_device: str | None
    b_interface: str | None
    provider: str | None
    capacity_bps: int


class StatusOut(BaseModel):
    entity: str
    kind: Literal["device", "link"]
    state: str
    root_cause: str | None
    reason: str | None
    since: float | None
    source: Literal["live", "store"]


class IncidentOut(BaseModel):
    id: str
    entity: str
    state: str
    root_cause: str
    reason: str | None
    started: float
    ended: float | None
    affected: list[str]
    flaps: int


class PollStatOut(BaseModel):
    device: str
    at: float
    duration_s: float
    ok: bool
    reason: str | None
    requests: int
    timeouts: int
    varbinds: int
    last_success: float | None
    polls_total: int
    failures_total: int


def _printable(value: str) -> str:
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError("control characters are not allowed")
    return value


# Text that reaches the store, the audit or a device: no control characters (NUL above all).
Text = Annotated[str, AfterValidator(_printable)]
Name = Annotated[Text, Field(max_length=64)]


class WindowIn(BaseModel):
    name: Annotated[Text, Field(min_length=1, max_length=200)]
    devices: list[Name] = []
    sites: list[Name] = []
    start: datetime
    end: datetime


class WindowOut(BaseModel):
    id: str
    name: str
    devices: list[str]
    sites: list[str]
    start: float
    end: float


class DiagIn(BaseModel):
    action: Annotated[Text, Field(description=f"one of {', '.join(ACTIONS)}", max_length=32)]
    device: Name
    objects: Annotated[list[Annotated[Text, Field(max_length=200)]], Field(max_length=20)] = []
    command: Annotated[Text | None, Field(max_length=64)] = None
    window_s: Annotated[float, Field(ge=0.5, le=300)] = 5.0


class AckIn(BaseModel):
    group: Annotated[Text, Field(min_length=1, max_length=200, description="e.g. bts-05")]
    for_s: Annotated[int, Field(ge=60, le=7 * 86400, description="seconds")] = 7200
    comment: Annotated[Text, Field(min_length=1, max_length=500)]


class TokenIn(BaseModel):
    name: Annotated[Text, Field(min_length=1, max_length=200)]
    role: Role
    expires_days: Annotated[
        float | None, Field(gt=0, le=3660, description="the token stops working after this")
    ] = None


class TokenCreated(BaseModel):
    id: str
    name: str
    role: Role
    expires: float | None = None
    token: Annotated[str, Field(description="shown once; only its hash is kept")]


class SlaFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    HTML = "html"
    PDF = "pdf"


# --- the app -----------------------------------------------------------------------------


def create_app(ctx: ApiContext) -> FastAPI:
    app = FastAPI(
        title="NOC toolkit API",
        version="1",
        description="Kota Bogor city network: inventory, live status, incidents, SLA and "
        "diagnostics. Authenticate with `Authorization: Bearer <token>`; each route names the "
        "role it needs (viewer < technician < manager < admin).",
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.add_middleware(Guard)
    # Routes are added to the app itself (no included routers), so `app.routes` lists them
    # all for the test that checks each one requires a token.
    _inventory_routes(app, ctx)
    _state_routes(app, ctx)
    _admin_routes(app, ctx)
    _sla_routes(app, ctx)
    _diag_routes(app, ctx)
    _dr_routes(app, ctx)
    _alert_routes(app, ctx)
    wall_routes(app, ctx)

    _docs_routes(app)
    _describe_roles(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        if ctx.metrics is None:
            raise HTTPException(404, "no collector in this process")
        body = await ctx.metrics_cache.get(ctx.metrics)
        return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")

    return app


def _describe_roles(app: FastAPI) -> None:
    """Each documented route says which roles may call it (from its dependency's right)."""
    from fastapi.routing import APIRoute

    from noc.api.auth import GRANTS

    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        rights = [getattr(d.call, "right", None) for d in route.dependant.dependencies]
        right = next((r for r in rights if r is not None), None)
        if right is not None:
            roles = ", ".join(r.value for r in Role if right in GRANTS[r])
            who = f"Role: {roles} (the `{right.value}` right)."
        elif any(getattr(d.call, "webhook", False) for d in route.dependant.dependencies):
            who = "Role: none; Alertmanager's shared secret (`NOC_ALERT_WEBHOOK_SECRET`)."
        else:
            who = "Role: none (public)."
        text = (route.description or route.summary or route.name.replace("_", " ")).strip()
        route.description = f"{text}\n\n{who}"


DOCS_ASSETS = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
               "swagger-ui.css": "text/css; charset=utf-8", "favicon.png": "image/png",
               "redoc.standalone.js": "text/javascript; charset=utf-8"}  # fmt: skip


def _docs_routes(app: FastAPI) -> None:
    """Swagger UI and ReDoc from assets shipped in a package (fastapi-offline's): the docs
    work on a network with no internet."""
    from importlib import resources

    from fastapi.openapi.docs import (
        get_redoc_html,
        get_swagger_ui_html,
        get_swagger_ui_oauth2_redirect_html,
    )

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title="NOC toolkit API",
            swagger_js_url="/docs/static/swagger-ui-bundle.js",
            swagger_css_url="/docs/static/swagger-ui.css",
            swagger_favicon_url="/docs/static/favicon.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )  # fmt: skip

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title="NOC toolkit API",
                              redoc_js_url="/docs/static/redoc.standalone.js",
                              redoc_favicon_url="/docs/static/favicon.png",
                              with_google_fonts=False)  # fmt: skip

    @app.get("/docs/static/{name}", include_in_schema=False)
    def asset(name: str) -> Response:
        kind = DOCS_ASSETS.get(name)
        if kind is None:
            raise HTTPException(404, "no such file")
        body = resources.files("fastapi_offline").joinpath("static", name).read_bytes()
        return Response(body, media_type=kind, headers={"Cache-Control": "max-age=86400"})


class MetricsCache:
    """/metrics rendered at most once per `max_age_s`, in a thread, however many scrapers ask
    at once: a burst of scrapes costs one render, and the polls do not wait on them."""

    def __init__(self, max_age_s: float = 5.0) -> None:
        self.max_age_s = max_age_s
        self._body = b""
        self._at = -1e18
        self._lock = asyncio.Lock()
        self.renders = 0

    async def get(self, source: NocMetrics) -> bytes:
        async with self._lock:
            if time.monotonic() - self._at > self.max_age_s:
                self._body = await asyncio.to_thread(lambda: render(source.collect()))
                self._at = time.monotonic()
                self.renders += 1
            return self._body


def _device_or_404(ctx: ApiContext, name: str) -> Any:
    device = ctx.inv.devices_by_name.get(name)
    if device is None:
        raise HTTPException(404, f"unknown device {name!r}")
    return device


def _inventory_routes(api: FastAPI, ctx: ApiContext) -> None:
    inv = ctx.inv

    @api.get(PREFIX + "/sites", response_model=list[SiteOut], tags=["inventory"])
    def sites(_: Reader, kind: str | None = None, kecamatan: str | None = None) -> list[SiteOut]:
        """The inventory's sites (BTS, fibre points, offices, data centre, DR site) with their
        coordinates; filter by kind or kecamatan."""
        return [
            SiteOut(name=s.name, kind=s.kind.value, title=s.title, kecamatan=s.kecamatan,
                    lat=s.lat, lon=s.lon)
            for s in inv.sites
            if (kind is None or s.kind.value == kind)
            and (kecamatan is None or s.kecamatan == kecamatan)
        ]  # fmt: skip

    def device_out(d: Any) -> DeviceOut:
        return DeviceOut(name=d.name, site=d.site, kind=d.kind.value, role=d.role.value,
                         tier=d.tier.value, address=str(d.address), port=d.port, parent=d.parent,
                         ssh=d.ssh is not None, interfaces=len(d.interfaces))  # fmt: skip

    @api.get(PREFIX + "/devices", response_model=list[DeviceOut], tags=["inventory"])
    def devices(
        _: Reader,
        site: str | None = None,
        role: str | None = None,
        tier: str | None = None,
    ) -> list[DeviceOut]:
        """The inventory's devices; filter by site, role or tier."""
        return [
            device_out(d)
            for d in inv.devices
            if (site is None or d.site == site)
            and (role is None or d.role.value == role)
            and (tier is None or d.tier.value == tier)
        ]

    @api.get(PREFIX + "/devices/{name}", response_model=DeviceOut, tags=["inventory"])
    def device(_: Reader, name: str) -> DeviceOut:
        """One device from the inventory."""
        return device_out(_device_or_404(ctx, name))

    @api.get(
        PREFIX + "/devices/{name}/interfaces", response_model=list[InterfaceOut], tags=["inventory"]
    )
    def interfaces(_: Reader, name: str) -> list[InterfaceOut]:
        """A device's interfaces: the inventory's speed and description with the live oper
        status, rates, utilisation against the contract and errors."""
        d = _device_or_404(ctx, name)
        state = ctx.collector.devices[name] if ctx.collector else None
        out = []
        for i in d.interfaces:
            live = state.interface_named(i.name) if state else None
            out.append(
                InterfaceOut(
                    name=i.name, speed_bps=i.speed_bps, description=i.description,
                    oper=None if live is None or live.oper_status is None
                    else ("up" if live.oper_status == 1 else "down"),
                    in_bps=live.in_bps if live else None,
                    out_bps=live.out_bps if live else None,
                    utilisation=live.utilisation if live else None,
                    errors_per_s=live.errors_per_s if live else None,
                    no_rate=live.no_rate if live else None,
                )
            )  # fmt: skip
        return out

    @api.get(PREFIX + "/links", response_model=list[LinkOut], tags=["inventory"])
    def links(_: Reader, medium: str | None = None, tier: str | None = None) -> list[LinkOut]:
        """The inventory's links with their medium, tier, ends and contracted capacity; filter
        by medium or tier."""
        return [
            LinkOut(name=ln.name, medium=ln.medium.value, tier=ln.tier.value,
                    a_device=ln.a.device, a_interface=ln.a.interface,
                    b_device=ln.b.device if ln.b else None,
                    b_interface=ln.b.interface if ln.b else None,
                    provider=ln.provider, capacity_bps=ln.capacity_bps)
            for ln in inv.links
            if (medium is None or ln.medium.value == medium)
            and (tier is None or ln.tier.value == tier)
        ]  # fmt: skip


def _store_error(exc: SQLAlchemyError) -> HTTPException:
    return HTTPException(503, f"the store does not answer ({type(exc).__name__})")


def _state_routes(api: FastAPI, ctx: ApiContext) -> None:
    inv = ctx.inv

    @api.get(PREFIX + "/status", response_model=list[StatusOut], tags=["state"])
    def status(_: Reader, state: str | None = None) -> list[StatusOut]:
        """Every device and link: the collector's live verdict when it runs in this process,
        otherwise the last state change in the store."""
        entities = [(d.name, "device") for d in inv.devices]
        entities += [(link_key(ln), "link") for ln in inv.links]
        out: list[StatusOut] = []
        if ctx.collector is not None:
            for entity, kind in entities:
                v = ctx.collector.state_of(entity)
                # The time of the state change the store holds for this state.
                since = ctx.collector.book.last_change.get(entity, v.since)
                out.append(StatusOut(entity=entity, kind=kind, state=v.state.value,
                                     root_cause=v.root_cause, reason=v.reason, since=since,
                                     source="live"))  # fmt: skip
        else:
            try:
                with Session(ctx.engine) as session:
                    latest: dict[str, StateChangeRow] = {}
                    query = select(StateChangeRow).order_by(StateChangeRow.at)
                    for change in session.scalars(query):
                        latest[change.entity] = change
            except SQLAlchemyError as exc:
                raise _store_error(exc) from None
            for entity, kind in entities:
                c = latest.get(entity)
                out.append(StatusOut(entity=entity, kind=kind,
                                     state=c.new if c else "unknown",
                                     root_cause=c.root_cause if c else None,
                                     reason=c.reason if c else None, since=c.at if c else None,
                                     source="store"))  # fmt: skip
        return [s for s in out if state is None or s.state == state]

    @api.get(PREFIX + "/incidents", response_model=list[IncidentOut], tags=["state"])
    def incidents(
        _: Reader,
        since: datetime | None = None,
        until: datetime | None = None,
        site: str | None = None,
        state: str | None = None,
        open_only: Annotated[bool, Query(alias="open")] = False,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    ) -> list[IncidentOut]:
        """Incidents from the store, newest first: open ones, or those overlapping a period, at
        a site or in a state."""
        query = select(IncidentRow).order_by(IncidentRow.started.desc())
        if since is not None:
            query = query.where(
                (IncidentRow.ended.is_(None)) | (IncidentRow.ended >= _epoch(since))
            )
        if until is not None:
            query = query.where(IncidentRow.started < _epoch(until))
        if state is not None:
            query = query.where(IncidentRow.state == state)
        if open_only:
            query = query.where(IncidentRow.ended.is_(None))
        at_site = None
        if site is not None:
            at_site = {d.name for d in inv.devices if d.site == site}
            at_site |= {link_key(ln) for ln in inv.links if ln.a.device in at_site}
        try:
            with Session(ctx.engine) as session:
                rows = list(session.scalars(query))
        except SQLAlchemyError as exc:
            raise _store_error(exc) from None
        out = []
        for r in rows:
            affected = [a for a in r.affected.split(",") if a]
            if at_site is not None and r.entity not in at_site and not at_site & set(affected):
                continue
            out.append(IncidentOut(id=r.id, entity=r.entity, state=r.state,
                                   root_cause=r.root_cause, reason=r.reason, started=r.started,
                                   ended=r.ended, affected=affected, flaps=r.flaps))  # fmt: skip
            if len(out) >= limit:
                break
        return out

    @api.get(PREFIX + "/poll-stats", response_model=list[PollStatOut], tags=["state"])
    def poll_stats(_: Reader) -> list[PollStatOut]:
        """The latest poll of each device, with its duration, requests, timeouts and running
        totals."""
        try:
            with Session(ctx.engine) as session:
                rows = list(session.scalars(select(PollStatRow).order_by(PollStatRow.device)))
        except SQLAlchemyError as exc:
            raise _store_error(exc) from None
        return [
            PollStatOut(device=r.device, at=r.at, duration_s=r.duration_s, ok=r.ok,
                        reason=r.reason, requests=r.requests, timeouts=r.timeouts,
                        varbinds=r.varbinds, last_success=r.last_success,
                        polls_total=r.polls_total, failures_total=r.failures_total)
            for r in rows
        ]  # fmt: skip

    @api.get(PREFIX + "/maintenance", response_model=list[WindowOut], tags=["maintenance"])
    def maintenance(_: Reader) -> list[WindowOut]:
        """Maintenance windows made at run time (the inventory's standing windows are in the
        inventory)."""
        try:
            windows = list_windows(ctx.engine)
        except SQLAlchemyError as exc:
            raise _store_error(exc) from None
        return [
            WindowOut(id=w.id, name=w.name, devices=sorted(w.devices), sites=sorted(w.sites),
                      start=w.start, end=w.end)
            for w in windows
        ]  # fmt: skip


def _epoch(value: datetime) -> float:
    if value.tzinfo is None:
        raise HTTPException(422, "give times with a UTC offset, e.g. 2026-10-01T00:00:00+07:00")
    return value.timestamp()


def _admin_routes(api: FastAPI, ctx: ApiContext) -> None:
    inv = ctx.inv

    @api.post(
        PREFIX + "/maintenance", response_model=WindowOut, status_code=201, tags=["maintenance"]
    )
    def add_maintenance(_: Admin, body: WindowIn) -> WindowOut:
        """Add a maintenance window (admins): its devices and sites are MAINTENANCE, left out of
        the SLA and silenced in Alertmanager. Audited."""
        unknown = [d for d in body.devices if d not in inv.devices_by_name]
        unknown += [s for s in body.sites if s not in inv.sites_by_name]
        if unknown:
            raise HTTPException(422, f"unknown device or site: {', '.join(unknown)}")
        start, end = _epoch(body.start), _epoch(body.end)
        try:
            window_id = add_window(ctx.engine, body.name, body.devices, body.sites, start, end)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        except SQLAlchemyError as exc:
            raise _store_error(exc) from None
        return WindowOut(id=window_id, name=body.name, devices=body.devices, sites=body.sites,
                         start=start, end=end)  # fmt: skip

    @api.delete(PREFIX + "/maintenance/{window_id}", status_code=204, tags=["maintenance"])
    def delete_maintenance(_: Admin, window_id: str) -> Response:
        """Remove a maintenance window (admins) and expire its silences. Audited."""
        try:
            removed = remove_window(ctx.engine, window_id)
        except SQLAlchemyError as exc:
            raise _store_error(exc) from None
        if not removed:
            raise HTTPException(404, "no such window")
        return Response(status_code=204)

    @api.get(PREFIX + "/tokens", tags=["admin"])
    def tokens(_: Admin) -> list[dict[str, Any]]:
        """Every API token's id, name, role, creation, last use, expiry and revocation; never
        the token."""
        try:
            return list_tokens(ctx.engine)
        except SQLAlchemyError as exc:
            raise _store_error(exc) from None

    @api.post(PREFIX + "/tokens", response_model=TokenCreated, status_code=201, tags=["admin"])
    def new_token(_: Admin, body: TokenIn) -> TokenCreated:
        """Create an API token (admins); the token is in this answer only."""
        expires_in = None if body.expires_days is None else body.expires_days * 86400
        try:
            token_id, token = create_token(ctx.engine, body.name, body.role, expires_in)
        except SQLAlchemyError as exc:
            raise _store_error(exc) from None
        expires = None if expires_in is None else time.time() + expires_in
        return TokenCreated(id=token_id, name=body.name, role=body.role, expires=expires,
                            token=token)  # fmt: skip

    @api.delete(PREFIX + "/tokens/{token_id}", status_code=204, tags=["admin"])
    def delete_token(_: Admin, token_id: str) -> Response:
        """Revoke an API token (admins)."""
        try:
            revoked = revoke_token(ctx.engine, token_id)
        except SQLAlchemyError as exc:
            raise _store_error(exc) from None
        if not revoked:
            raise HTTPException(404, "no such active token")
        ctx.tokens = TokenCache(ctx.tokens.fresh_s, ctx.tokens.stale_s)  # revoked: at once
        return Response(status_code=204)

    @api.get(PREFIX + "/audit", tags=["admin"])
    def audit(
        _: Admin,
        since: datetime | None = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
    ) -> list[dict[str, Any]]:
        """The audit log of diagnostics, acknowledgements, maintenance and token changes."""
        try:
            return ctx.audit.entries(limit, _epoch(since) if since else None)
        except SQLAlchemyError as exc:
            raise _store_error(exc) from None

    @api.get(PREFIX + "/me", tags=["admin"])
    def me(principal: Reader) -> dict[str, str]:
        """Who this token belongs to, and its role."""
        return {"name": principal.name, "role": principal.role.value}


_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _sla_routes(api: FastAPI, ctx: ApiContext) -> None:
    from noc.sla.compute import month
    from noc.sla.i18n import Locale
    from noc.sla.pdf import PdfError, render_pdf
    from noc.sla.render import figures, to_csv, to_html, to_json
    from noc.sla.report import Report

    inv = ctx.inv

    async def report_for(request: Request, month_text: str) -> Report:
        """The month's report, computed in a thread, at most `ctx.reports` at once; a client
        that has gone while it waited its turn costs nothing."""
        if not _MONTH.match(month_text):
            raise HTTPException(422, "month must look like 2026-10")
        year, mon = (int(x) for x in month_text.split("-"))
        if not 1970 <= year <= 2999:
            raise HTTPException(422, "month must be between 1970-01 and 2999-12")
        period = month(year, mon, inv.network.timezone)
        async with ctx.reports:
            if await request.is_disconnected():
                raise HTTPException(499, "the client went away")
            try:
                report: Report = await _compute_report(ctx, period)
                return report
            except SQLAlchemyError as exc:
                raise _store_error(exc) from None

    @api.get(PREFIX + "/sla/summary", tags=["sla"])
    async def sla_summary(
        _: Manager,
        request: Request,
        month_text: Annotated[str, Query(alias="month", pattern=r"^\d{4}-(0[1-9]|1[0-2])$")],
    ) -> dict[str, Any]:
        """A month's SLA per tier: availability, coverage and compliance against the target."""
        data = await report_for(request, month_text)
        return {
            "network": data.network,
            "month": month_text,
            "timezone": data.timezone,
            "generated": data.generated,
            "coverage": data.coverage,
            "network_availability": figures(data.whole),
            "tiers": {k: figures(v) for k, v in sorted(data.tiers.items())},
        }

    @api.get(PREFIX + "/sla/report", tags=["sla"], response_model=None)
    async def sla_report(
        _: Manager,
        request: Request,
        month_text: Annotated[str, Query(alias="month", pattern=r"^\d{4}-(0[1-9]|1[0-2])$")],
        fmt: Annotated[SlaFormat, Query(alias="format")] = SlaFormat.JSON,
        lang: Literal["id", "en"] = "id",
    ) -> Response:
        """A month's SLA report in JSON, CSV, HTML or PDF, in Bahasa Indonesia or English."""
        data = await report_for(request, month_text)
        if fmt == SlaFormat.JSON:
            return Response(await asyncio.to_thread(to_json, data), media_type="application/json")
        loc = Locale(lang, inv.network.timezone)
        if fmt == SlaFormat.CSV:
            return PlainTextResponse(await asyncio.to_thread(to_csv, data, loc),
                                     media_type="text/csv")  # fmt: skip
        page = await asyncio.to_thread(to_html, data, loc)
        if fmt == SlaFormat.HTML:
            return HTMLResponse(page)
        try:
            pdf = await asyncio.to_thread(render_pdf, page)
        except PdfError as exc:
            raise HTTPException(503, str(exc)) from None
        name = f"sla-{month_text}-{lang}.pdf"
        disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(pdf, media_type="application/pdf", headers=disposition)


_REPORT_POOL: ProcessPoolExecutor | None = None


def _report_worker(url: str, inv: Inventory, period: Any) -> Any:
    """In a separate process: the report's computation never competes with the collector
    for the interpreter lock."""
    from noc.sla.report import build_report
    from noc.store.db import make_engine

    return build_report(make_engine(url), inv, period)


async def _compute_report(ctx: ApiContext, period: Any) -> Any:
    global _REPORT_POOL
    url = ctx.engine.url.render_as_string(hide_password=False)
    if ctx.engine.dialect.name == "sqlite" and url in ("sqlite://", "sqlite:///:memory:"):
        from noc.sla.report import build_report

        return await asyncio.to_thread(build_report, ctx.engine, ctx.inv, period)
    if _REPORT_POOL is None:
        spawn = multiprocessing.get_context("spawn")
        _REPORT_POOL = ProcessPoolExecutor(max_workers=2, mp_context=spawn)
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(_REPORT_POOL, _report_worker, url, ctx.inv, period)
    except BrokenProcessPool:
        _REPORT_POOL = None
        raise HTTPException(503, "the report worker stopped; try again") from None


def _diag_routes(api: FastAPI, ctx: ApiContext) -> None:
    @api.post(PREFIX + "/diagnostics", tags=["diagnostics"])
    async def diagnostics(principal: Technician, body: DiagIn) -> dict[str, Any]:
        """Run one diagnostic (ping, SNMP, interface check, read-only SSH command) against a
        device in the inventory (technicians). Audited."""
        req = DiagRequest(body.action, body.device, tuple(body.objects), body.command,
                          body.window_s)  # fmt: skip
        client = ctx.client_factory()
        try:
            result = await run_diagnostic(ctx.inv, req, client, ctx.audit,
                                          f"token:{principal.name}", ctx.secrets)  # fmt: skip
        except DiagRefused as exc:
            raise HTTPException(422, str(exc)) from None
        except DiagError as exc:
            raise HTTPException(502, str(exc)) from None
        finally:
            await client.close()
        return result.to_json()


def webhook_secret(ctx: ApiContext) -> str | None:
    from noc.inventory.secrets import SecretError, resolve_secret

    alerting = ctx.inv.alerting
    if alerting is None:
        return None
    try:
        return resolve_secret(alerting.webhook_secret, ctx.inv.devices).get_secret_value()
    except SecretError:
        return None


async def require_webhook_secret(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Alertmanager's shared secret (not a user's token): the webhook's only key."""
    ctx: ApiContext = request.app.state.ctx
    expected = webhook_secret(ctx)
    given = credentials.credentials if credentials is not None else ""
    if expected is None or not hmac.compare_digest(given.encode(), expected.encode()):
        address = request.client.host if request.client else "unknown"
        ctx.throttle.failed(address, "wrong alert webhook secret")
        raise HTTPException(401, "the alert webhook secret is required",
                            headers={"WWW-Authenticate": "Bearer"})  # fmt: skip


require_webhook_secret.webhook = True  # type: ignore[attr-defined]


async def _notification(request: Request) -> dict[str, Any]:
    """The body Alertmanager posts to a webhook, or a 422."""
    try:
        payload = await request.json()
    except ValueError:
        raise HTTPException(422, "the body is not JSON") from None
    if not isinstance(payload, dict):
        raise HTTPException(422, "the body is not an Alertmanager notification")
    return payload


def _alert_routes(api: FastAPI, ctx: ApiContext) -> None:
    from noc.alerts.history import history, record

    @api.post(PREFIX + "/alerts/webhook", tags=["alerts"], status_code=202,
              dependencies=[Depends(require_webhook_secret)])  # fmt: skip
    async def alert_webhook(request: Request) -> dict[str, str]:
        """Alertmanager posts every notification here (with the shared secret); it is kept
        as the alert history."""
        payload = await _notification(request)
        try:
            row_id = await asyncio.to_thread(record, ctx.engine, payload)
        except SQLAlchemyError as exc:
            raise _store_error(exc) from None
        return {"id": row_id}

    def alertmanager() -> str:
        if ctx.inv.alerting is None:
            raise HTTPException(404, "the inventory has no `alerting:` section")
        return ctx.inv.alerting.alertmanager_url

    @api.get(PREFIX + "/alerts", tags=["alerts"])
    async def alert_list(_: Reader) -> list[dict[str, Any]]:
        """Alerts in Alertmanager: firing, acknowledged (by whom, why, until), silenced for
        maintenance, or inhibited behind a root cause."""
        from noc.alerts.silences import AlertmanagerError, alerts

        try:
            return [vars(v) for v in await asyncio.to_thread(alerts, alertmanager())]
        except AlertmanagerError as exc:
            raise HTTPException(502, str(exc)) from None

    @api.post(PREFIX + "/alerts/ack", tags=["alerts"], status_code=201)
    async def alert_ack(principal: Technician, body: AckIn) -> dict[str, str]:
        """Acknowledge an alert group (technicians): no repeat until the time is up. Audited."""
        from noc.alerts.silences import AlertmanagerError, create_silence, matcher

        who = f"token:{principal.name}"
        now = time.time()
        try:
            silence = await asyncio.to_thread(
                create_silence, alertmanager(), [matcher("group", body.group)], now,
                now + body.for_s, who, f"ack: {body.comment}",
            )  # fmt: skip
        except AlertmanagerError as exc:
            raise HTTPException(502, str(exc)) from None
        await asyncio.to_thread(ctx.audit.record, who, "ack", None,
                                {"group": body.group, "for_s": body.for_s,
                                 "comment": body.comment, "silence": silence}, "ok")  # fmt: skip
        return {"silence": silence}

    @api.post(PREFIX + "/alerts/relay/{receiver}", tags=["alerts"], status_code=202,
              dependencies=[Depends(require_webhook_secret)])  # fmt: skip
    async def alert_relay(receiver: str, request: Request) -> dict[str, int]:
        """Alertmanager's webhook for a gateway receiver (WhatsApp): relayed to the gateway,
        at most its `per_minute` a minute, the rest folded into a summary."""
        from noc.alerts.relay import plain_text

        target = ctx.gateways().get(receiver)
        if target is None:
            raise HTTPException(404, f"no gateway receiver {receiver!r}")
        payload = await _notification(request)
        subject, text = plain_text(payload)
        sent = ctx.relay().offer(receiver, subject, text, time.time())
        ctx.start_relay_flusher()
        for message in sent:
            await asyncio.to_thread(ctx.send_to_gateway, message)
        return {"sent": len(sent), "held": 0 if sent else 1}

    @api.get(PREFIX + "/alerts/history", tags=["alerts"])
    def alert_history(
        _: Reader,
        since: datetime | None = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
    ) -> list[dict[str, Any]]:
        """Notifications Alertmanager sent, newest first: group, firing or resolved, alerts."""
        try:
            return history(ctx.engine, limit, _epoch(since) if since else None)
        except SQLAlchemyError as exc:
            raise _store_error(exc) from None


def _dr_routes(api: FastAPI, ctx: ApiContext) -> None:
    from noc.dr.history import history

    @api.get(PREFIX + "/dr", tags=["dr"])
    def dr_status(
        _: Reader,
        since: datetime | None = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    ) -> dict[str, Any]:
        """The last DR readiness report (when the collector runs here) and the stored
        history of verdicts, newest first."""
        if ctx.inv.dr is None:
            raise HTTPException(404, "the inventory has no `dr:` section")
        latest = ctx.dr_report() if ctx.dr_report is not None else None
        try:
            past = history(ctx.engine, limit, _epoch(since) if since else None)
        except SQLAlchemyError as exc:
            raise _store_error(exc) from None
        current = latest.to_json() if latest is not None else (past[0] if past else None)
        return {"current": current, "history": past}
