"""The API's routers, one per area; `ROUTERS` is every one of them, in the order served."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute

from noc.api.routes import (
    admin,
    alerts,
    configs,
    diag,
    docs,
    dr,
    events,
    fleet,
    flows,
    inventory,
    metrics,
    services,
    sla,
    state,
    wall,
)
from noc.store.tokens import GRANTS, Role

ROUTERS: list[APIRouter] = [
    inventory.router,
    state.router,
    admin.router,
    sla.router,
    diag.router,
    configs.router,
    events.router,
    services.router,
    flows.router,
    dr.router,
    alerts.router,
    wall.router,
    fleet.router,
    docs.router,
    metrics.router,
]


def routes() -> list[APIRoute]:
    """Every route of every router (what the tests walk)."""
    return [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]


def _describe_roles() -> None:
    """Each documented route says which roles may call it (from its dependency's right)."""
    for route in routes():
        if not route.include_in_schema:
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


_describe_roles()  # once, when the routers are made
