"""What the devices said: the event log of traps and syslog lines (readers)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from noc.api.deps import PREFIX, Ctx, Reader, device_or_404, epoch, store_read
from noc.events.log import read

router = APIRouter(prefix=PREFIX, tags=["events"])


@router.get("/events")
async def events(
    ctx: Ctx,
    _: Reader,
    device: Annotated[list[str] | None, Query(description="a device (repeat for more)")] = None,
    since: datetime | None = None,
    grep: Annotated[str | None, Query(max_length=200)] = None,
    unknown: Annotated[bool, Query(description="only messages from no known device")] = False,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
) -> dict[str, Any]:
    """Traps and syslog lines, newest first: a device's (names are forgiving), or those from
    unknown sources. Communities and keys are never kept, so never shown."""
    names = [device_or_404(ctx, d).name for d in device or []]
    start = epoch(since) if since is not None else None
    found = await store_read(ctx, read, ctx.engine, names, start, grep, unknown, limit)
    return {"events": [e.__dict__ for e in found]}
