"""The fleet of collectors sharing the store."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from noc.api.deps import PREFIX, Ctx, Reader, store_read
from noc.fleet.report import fleet_status

router = APIRouter(prefix=PREFIX, tags=["fleet"])


@router.get("/fleet")
async def fleet(ctx: Ctx, _: Reader) -> dict[str, Any]:
    """The collectors (site, heartbeat age, poll domains and devices held) and the poll
    domains in handover: held by no live collector right now."""
    if ctx.engine.dialect.name != "postgresql":
        raise HTTPException(404, "no fleet: the store is SQLite (a fleet shares PostgreSQL)")
    return await store_read(ctx, fleet_status, ctx.engine, ctx.inv, ctx.lease_s)
