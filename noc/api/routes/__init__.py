"""The API's routers, one per area; `ROUTERS` is every one of them, in the order served."""

from __future__ import annotations

from fastapi import APIRouter

from noc.api.routes import admin, alerts, diag, docs, dr, inventory, metrics, sla, state, wall

ROUTERS: list[APIRouter] = [
    inventory.router, state.router, admin.router, sla.router, diag.router, dr.router,
    alerts.router, wall.router, docs.router, metrics.router,
]  # fmt: skip
