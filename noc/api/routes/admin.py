"""Maintenance windows, tokens, the audit log, and who a token is."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response

from noc.api.deps import PREFIX, Admin, Ctx, Reader, epoch, store_read
from noc.api.schemas import TokenCreated, TokenIn, WindowIn, WindowOut
from noc.inventory.names import UnknownName, resolve
from noc.store.maintenance import add_window, list_windows, remove_window
from noc.store.tokens import create_token, list_tokens, revoke_token

router = APIRouter(prefix=PREFIX)


@router.get("/maintenance", response_model=list[WindowOut], tags=["maintenance"])
async def maintenance(ctx: Ctx, _: Reader) -> list[WindowOut]:
    """Maintenance windows made at run time (the inventory's standing windows are in the
    inventory)."""
    return [
        WindowOut(
            id=w.id or "",
            name=w.name,
            devices=sorted(w.devices),
            sites=sorted(w.sites),
            start=w.start or 0.0,
            end=w.end or 0.0,
        )
        for w in await store_read(ctx, list_windows, ctx.engine)
    ]


@router.post("/maintenance", response_model=WindowOut, status_code=201, tags=["maintenance"])
def add_maintenance(ctx: Ctx, _: Admin, body: WindowIn) -> WindowOut:
    """Add a maintenance window (admins): its devices and sites are MAINTENANCE, left out of
    the SLA and silenced in Alertmanager. Audited."""
    inv = ctx.inv
    try:  # spelled as a person types them: BTS-12, bts-7
        body.devices = [resolve(d, inv.devices_by_name) for d in body.devices]
        body.sites = [resolve(s, inv.sites_by_name, "site") for s in body.sites]
    except UnknownName as exc:
        raise HTTPException(422, str(exc)) from None
    start, end = epoch(body.start), epoch(body.end)
    try:
        window_id = add_window(ctx.engine, body.name, body.devices, body.sites, start, end)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return WindowOut(
        id=window_id, name=body.name, devices=body.devices, sites=body.sites, start=start, end=end
    )


@router.delete("/maintenance/{window_id}", status_code=204, tags=["maintenance"])
def delete_maintenance(ctx: Ctx, _: Admin, window_id: str) -> Response:
    """Remove a maintenance window (admins) and expire its silences. Audited."""
    if not remove_window(ctx.engine, window_id):
        raise HTTPException(404, "no such window")
    return Response(status_code=204)


@router.get("/tokens", tags=["admin"])
async def tokens(ctx: Ctx, _: Admin) -> list[dict[str, Any]]:
    """Every API token's id, name, role, creation, last use, expiry and revocation; never the
    token."""
    return await store_read(ctx, list_tokens, ctx.engine)


@router.post("/tokens", response_model=TokenCreated, status_code=201, tags=["admin"])
def new_token(ctx: Ctx, _: Admin, body: TokenIn) -> TokenCreated:
    """Create an API token (admins); the token is in this answer only."""
    expires_in = None if body.expires_days is None else body.expires_days * 86400
    try:
        token_id, token = create_token(ctx.engine, body.name, body.role, expires_in)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    expires = None if expires_in is None else time.time() + expires_in
    return TokenCreated(id=token_id, name=body.name, role=body.role, expires=expires, token=token)


@router.delete("/tokens/{token_id}", status_code=204, tags=["admin"])
def delete_token(ctx: Ctx, _: Admin, token_id: str) -> Response:
    """Revoke an API token (admins)."""
    if not revoke_token(ctx.engine, token_id):
        raise HTTPException(404, "no such active token")
    ctx.tokens.clear()  # revoked: at once
    if ctx.wall is not None:
        ctx.wall.revoked()  # and the wall's open streams check theirs
    return Response(status_code=204)


@router.get("/audit", tags=["admin"])
async def audit(
    ctx: Ctx,
    _: Admin,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
) -> list[dict[str, Any]]:
    """The audit log of diagnostics, acknowledgements, maintenance and token changes."""
    return await store_read(ctx, ctx.audit.entries, limit, epoch(since) if since else None)


@router.get("/me", tags=["admin"])
def me(principal: Reader) -> dict[str, str]:
    """Who this token belongs to, and its role."""
    return {"name": principal.name, "role": principal.role.value}
