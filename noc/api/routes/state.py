"""Live status, incidents and poll statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from noc.api.deps import PREFIX, Ctx, Reader, epoch, store_read
from noc.api.schemas import IncidentOut, PollStatOut, StatusOut
from noc.polling.availability import State, Verdict
from noc.polling.events import link_key
from noc.store import queries

router = APIRouter(prefix=PREFIX, tags=["state"])
UNKNOWN = Verdict(State.UNKNOWN)


@router.get("/status", response_model=list[StatusOut])
async def status(ctx: Ctx, _: Reader, state: str | None = None) -> list[StatusOut]:
    """Every device and link: the collector's live verdict when it runs in this process,
    otherwise the last state change in the store."""
    inv = ctx.inv
    entities = [(d.name, "device") for d in inv.devices]
    entities += [(link_key(ln), "link") for ln in inv.links]
    out: list[StatusOut] = []
    if ctx.live is not None:
        now = ctx.live.snapshot(devices=())  # one moment: the polls run on another thread
        for entity, kind in entities:
            v = now.verdict(entity)
            # The time of the state change the store holds for this state.
            out.append(
                StatusOut(
                    entity=entity,
                    kind=kind,
                    state=v.state.value,
                    root_cause=v.root_cause,
                    reason=v.reason,
                    since=now.since.get(entity, v.since),
                    source="live",
                )
            )
    else:
        latest = await store_read(ctx, queries.latest_states, ctx.engine)
        for entity, kind in entities:
            c = latest.get(entity)
            out.append(
                StatusOut(
                    entity=entity,
                    kind=kind,
                    state=c.new if c else "unknown",
                    root_cause=c.root_cause if c else None,
                    reason=c.reason if c else None,
                    since=c.at if c else None,
                    source="store",
                )
            )
    return [s for s in out if state is None or s.state == state]


@router.get("/incidents", response_model=list[IncidentOut])
async def incidents(
    ctx: Ctx,
    _: Reader,
    since: datetime | None = None,
    until: datetime | None = None,
    site: str | None = None,
    state: str | None = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> list[IncidentOut]:
    """Incidents from the store, newest first: open ones, or those overlapping a period, at a
    site or in a state."""
    inv = ctx.inv
    at_site = None
    if site is not None:
        at_site = {d.name for d in inv.devices if d.site == site}
        at_site |= {link_key(ln) for ln in inv.links if ln.a.device in at_site}
    rows = await store_read(
        ctx,
        queries.incidents,
        ctx.engine,
        epoch(since) if since else None,
        epoch(until) if until else None,
        state,
        open_only,
    )
    out = []
    for r in rows:
        affected = queries.affected(r)
        if at_site is not None and r.entity not in at_site and not at_site & set(affected):
            continue
        out.append(
            IncidentOut(
                id=r.id,
                entity=r.entity,
                state=r.state,
                root_cause=r.root_cause,
                reason=r.reason,
                started=r.started,
                ended=r.ended,
                affected=affected,
                flaps=r.flaps,
            )
        )
        if len(out) >= limit:
            break
    return out


@router.get("/poll-stats", response_model=list[PollStatOut])
async def poll_stats(ctx: Ctx, _: Reader) -> list[PollStatOut]:
    """The latest poll of each device, with its duration, requests, timeouts and running
    totals."""
    rows = await store_read(ctx, queries.poll_stats, ctx.engine)
    return [
        PollStatOut(
            device=r.device,
            at=r.at,
            duration_s=r.duration_s,
            ok=r.ok,
            reason=r.reason,
            requests=r.requests,
            timeouts=r.timeouts,
            varbinds=r.varbinds,
            last_success=r.last_success,
            polls_total=r.polls_total,
            failures_total=r.failures_total,
        )
        for r in rows
    ]
