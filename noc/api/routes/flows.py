"""Who fills the uplink: the top sites or applications from the flow buckets (readers)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query

from noc.api.deps import PREFIX, Ctx, Reader, epoch, store_read
from noc.flows.attribute import OUTSIDE
from noc.flows.store import top

router = APIRouter(prefix=PREFIX, tags=["flows"])


@router.get("/flows/top")
async def flows_top(
    ctx: Ctx,
    _: Reader,
    since: datetime | None = None,
    until: datetime | None = None,
    by: Annotated[Literal["site", "app"], Query(description="group by site or app")] = "site",
    site: Annotated[str | None, Query(max_length=64, description="only this site")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 15,
) -> dict[str, Any]:
    """The biggest users of the uplink over a span (the last hour by default), with their
    bytes each way (`in`: toward the city) and average bits a second."""
    end = epoch(until) if until is not None else time.time()
    start = epoch(since) if since is not None else end - 3600
    if end <= start:
        raise HTTPException(422, "until must come after since")
    if site is not None and site != OUTSIDE and site not in ctx.inv.sites_by_name:
        raise HTTPException(404, f"unknown site {site!r}")
    found = await store_read(ctx, top, ctx.engine, start, end, by, site, limit)
    span = end - start
    return {
        "since": start,
        "until": end,
        "by": by,
        "talkers": [
            {
                "name": t.name,
                "in_octets": t.in_octets,
                "out_octets": t.out_octets,
                "flows": t.flows,
                "in_bps": t.in_octets * 8 / span,
                "out_bps": t.out_octets * 8 / span,
            }
            for t in found
        ],
    }
