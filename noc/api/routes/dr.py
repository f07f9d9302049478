"""DR readiness: the last report and the stored history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy.exc import SQLAlchemyError

from noc import redact
from noc.api.deps import PREFIX, Ctx, Reader, StoreTimeout, epoch, store_read
from noc.dr.history import history

router = APIRouter(prefix=PREFIX, tags=["dr"])


@router.get("/dr")
async def dr_status(
    ctx: Ctx,
    _: Reader,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> dict[str, Any]:
    """The last DR readiness report (when the collector runs here) and the stored history of
    verdicts, newest first. With the store away, the live report still answers, and
    `history` is null with `history_error` saying why."""
    if ctx.inv.dr is None:
        raise HTTPException(404, "the inventory has no `dr:` section")
    latest = ctx.dr_report() if ctx.dr_report is not None else None
    try:
        past = await store_read(ctx, history, ctx.engine, limit, epoch(since) if since else None)
    except (SQLAlchemyError, StoreTimeout) as exc:
        if latest is None:
            raise
        why = str(exc) if isinstance(exc, StoreTimeout) else redact.first_line(exc)
        return {
            "current": latest.to_json(),
            "history": None,
            "history_error": f"the store does not answer: {why}",
        }
    current = latest.to_json() if latest is not None else (past[0] if past else None)
    return {"current": current, "history": past}
