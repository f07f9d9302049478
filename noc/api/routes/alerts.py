"""Alerts: Alertmanager's webhook (the history), the gateway relay, the list and the
acknowledgement."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import ValidationError

from noc.alerts.history import Notification, history, record
from noc.alerts.relay import plain_text
from noc.alerts.silences import AlertmanagerError, acknowledge, alerts
from noc.api.deps import (
    PREFIX,
    ApiContext,
    Ctx,
    Reader,
    Technician,
    epoch,
    require_webhook_secret,
    store_read,
)
from noc.api.schemas import AckIn

router = APIRouter(prefix=PREFIX, tags=["alerts"])


async def _notification(request: Request) -> Notification:
    """The body Alertmanager posts to a webhook (version 4), or a 422 saying what does not fit:
    nothing of another shape reaches the history or the relay."""
    try:
        return Notification.model_validate_json(await request.body())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the body"
        raise HTTPException(
            422, f"not an Alertmanager notification: {where}: {first['msg']}"
        ) from None


def _alertmanager(ctx: ApiContext) -> str:
    if ctx.inv.alerting is None:
        raise HTTPException(404, "the inventory has no `alerting:` section")
    return ctx.inv.alerting.alertmanager_url


@router.post("/alerts/webhook", status_code=202, dependencies=[Depends(require_webhook_secret)])
async def alert_webhook(ctx: Ctx, request: Request) -> dict[str, str | bool]:
    """Alertmanager posts every notification here (with the shared secret); it is kept as the
    alert history, once however often Alertmanager retries it."""
    note = await _notification(request)
    row_id, new = await asyncio.to_thread(record, ctx.engine, note)
    return {"id": row_id, "duplicate": not new}


@router.get("/alerts")
async def alert_list(ctx: Ctx, _: Reader) -> list[dict[str, Any]]:
    """Alerts in Alertmanager: firing, acknowledged (by whom, why, until), silenced for
    maintenance, or inhibited behind a root cause."""
    try:
        return [vars(v) for v in await asyncio.to_thread(alerts, _alertmanager(ctx))]
    except AlertmanagerError as exc:
        raise HTTPException(502, str(exc)) from None


@router.post("/alerts/ack", status_code=201)
async def alert_ack(ctx: Ctx, principal: Technician, body: AckIn) -> dict[str, str | bool]:
    """Acknowledge an alert group (technicians): no repeat until the time is up. Audited."""
    who = f"token:{principal.name}"
    now = time.time()
    try:  # the token's name is the person's (a token per person, as `noc token create` asks)
        silence, extended = await asyncio.to_thread(
            acknowledge,
            _alertmanager(ctx),
            body.group,
            now,
            body.for_s,
            principal.name,
            body.comment,
        )
    except AlertmanagerError as exc:
        raise HTTPException(502, str(exc)) from None
    await asyncio.to_thread(
        ctx.audit.record,
        who,
        "ack",
        None,
        {
            "group": body.group,
            "for_s": body.for_s,
            "comment": body.comment,
            "silence": silence,
            "extended": extended,
        },
        "ok",
    )
    return {"silence": silence, "extended": extended}


@router.post(
    "/alerts/relay/{receiver}", status_code=202, dependencies=[Depends(require_webhook_secret)]
)
async def alert_relay(ctx: Ctx, receiver: str, request: Request) -> dict[str, str]:
    """Alertmanager's webhook for a gateway receiver (WhatsApp): kept in the store's queue
    (202 once it is there; 503 when the store does not take it, so Alertmanager tries
    again), then relayed to the gateway at most its `per_minute` a minute, the rest folded
    into summaries."""
    gateway = ctx.gateway
    if gateway is None or receiver not in gateway.gateways:
        raise HTTPException(404, f"no gateway receiver {receiver!r}")
    note = await _notification(request)
    subject, text = plain_text(note)
    return {"queued": await asyncio.to_thread(gateway.enqueue, receiver, subject, text)}


@router.get("/alerts/history")
async def alert_history(
    ctx: Ctx,
    _: Reader,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
) -> list[dict[str, Any]]:
    """Notifications Alertmanager sent, newest first: group, firing or resolved, alerts."""
    return await store_read(ctx, history, ctx.engine, limit, epoch(since) if since else None)
