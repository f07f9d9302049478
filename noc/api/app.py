"""The API: inventory, live status, incidents, poll statistics, maintenance windows, SLA,
diagnostics, alerts, DR, tokens and the audit log, plus the wall screen, /metrics and the
docs. Every route but /healthz, /metrics, the docs and the wall's own sign-in needs a bearer
token whose role grants the route's right; no response ever carries a credential."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from noc.api.deps import ApiContext, StoreTimeout
from noc.api.guard import Guard
from noc.api.routes import ROUTERS

# Routes without a bearer-token dependency: public, or (the wall's event stream) checked by
# their own means, the wall's cookie.
PUBLIC_PATHS = frozenset(
    {
        "/healthz",
        "/metrics",
        "/openapi.json",
        "/docs",
        "/docs/oauth2-redirect",
        "/docs/static/{name}",
        "/redoc",
        "/wall",
        "/wall/login",
        "/wall/logout",
        "/wall/static/{name}",
        "/wall/events",
        "/favicon.ico",
    }
)


async def store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """Any store error a route meets: 503, naming the kind of error and nothing else."""
    return JSONResponse({"detail": f"the store does not answer ({type(exc).__name__})"}, 503)


async def store_too_slow(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": f"the store does not answer in time: {exc}"}, 503, headers={"Retry-After": "10"}
    )


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
    app.add_exception_handler(SQLAlchemyError, store_unavailable)
    app.add_exception_handler(StoreTimeout, store_too_slow)
    for router in ROUTERS:
        app.include_router(router)
    return app


__all__ = ["PUBLIC_PATHS", "ApiContext", "create_app"]
