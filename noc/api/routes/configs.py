"""Device configurations as backed up (technicians): history, diff and text. Secrets are kept
hashed, so nothing here can show one; nothing is ever sent to a device."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from noc.api.deps import PREFIX, ApiContext, Ctx, Technician, device_or_404, epoch
from noc.config.history import ConfigHistory, HistoryError

router = APIRouter(prefix=f"{PREFIX}/config", tags=["configuration"])


def history_of(ctx: ApiContext) -> ConfigHistory:
    if ctx.config_dir is None:
        raise HTTPException(404, "configuration backups are not kept by this collector")
    return ConfigHistory(ctx.config_dir / "repo")


async def _read(what: Any, *args: Any) -> Any:
    try:
        return await asyncio.to_thread(what, *args)
    except HistoryError as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/{device}/history")
async def history(ctx: Ctx, _: Technician, device: str) -> dict[str, Any]:
    """The revisions of a device's configuration, newest first."""
    name = device_or_404(ctx, device).name
    revisions = await _read(history_of(ctx).revisions, name)
    return {
        "device": name,
        "revisions": [
            {"revision": r.id, "at": r.at, "author": r.author, "message": r.message}
            for r in revisions
        ],
    }


@router.get("/{device}/diff")
async def diff(
    ctx: Ctx,
    _: Technician,
    device: str,
    old: Annotated[str | None, Query(description="a revision (default: before `new`)")] = None,
    new: Annotated[str | None, Query(description="a revision (default: the latest)")] = None,
) -> dict[str, Any]:
    """What changed in a device's configuration between two revisions (a unified diff)."""
    name = device_or_404(ctx, device).name
    found = await _read(history_of(ctx).compare, name, old, new)
    return {"device": name, "old": found.old, "new": found.new, "diff": found.text}


@router.get("/{device}")
async def show(
    ctx: Ctx,
    _: Technician,
    device: str,
    rev: Annotated[str | None, Query(description="a revision")] = None,
    at: Annotated[datetime | None, Query(description="the configuration in force then")] = None,
) -> dict[str, Any]:
    """A device's kept configuration: the latest, at a revision, or in force at a time."""
    name = device_or_404(ctx, device).name
    h = history_of(ctx)
    if at is not None:
        rev = (await _read(h.at_time, name, epoch(at))).id
    if rev is None:
        revisions = await _read(h.revisions, name)
        if not revisions:
            raise HTTPException(404, f"{name}: no backup yet")
        rev = revisions[0].id
    text = await _read(h.text_at, name, rev)
    return {"device": name, "revision": rev, "text": text}
