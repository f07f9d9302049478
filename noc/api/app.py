"""The API: inventory, live status, incidents, poll statistics, maintenance windows, SLA,
diagnostics, alerts, DR, tokens and the audit log, plus the wall screen, /metrics and the
docs. Every route but /healthz, /metrics, the docs and the wall's own sign-in needs a bearer
token whose role grants the route's right; no response ever carries a credential."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import SQLAlchemyError

from noc.api.deps import ApiContext
from noc.api.guard import Guard
from noc.api.routes import ROUTERS
from noc.store.tokens import GRANTS, Role

# Routes without a bearer-token dependency: public, or (the wall's event stream) checked by
# their own means, the wall's cookie.
PUBLIC_PATHS = frozenset({"/healthz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect",
                          "/docs/static/{name}", "/redoc", "/wall", "/wall/login", "/wall/logout",
                          "/wall/static/{name}", "/wall/events"})  # fmt: skip


async def store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """Any store error a route meets: 503, naming the kind of error and nothing else."""
    return JSONResponse({"detail": f"the store does not answer ({type(exc).__name__})"}, 503)


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
    for router in ROUTERS:
        app.include_router(router)
    _describe_roles(app)
    return app


def _describe_roles(app: FastAPI) -> None:
    """Each documented route says which roles may call it (from its dependency's right)."""
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


__all__ = ["PUBLIC_PATHS", "ApiContext", "create_app"]
