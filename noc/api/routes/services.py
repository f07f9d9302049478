"""The e-government services: their state by quorum and every vantage point's last vote
(readers), and where an external probe (`noc probe`, the `probe` role) reports its checks."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from noc.api.deps import PREFIX, Ctx, Prober, Reader, store_read
from noc.services import votes
from noc.services.quorum import Vote
from noc.services.report import overview

router = APIRouter(prefix=PREFIX, tags=["services"])
Short = Annotated[str, Field(max_length=500, pattern=r"^[^\x00]*$")]


class ProbeCheck(BaseModel):
    model_config = ConfigDict(extra="allow")
    kind: Annotated[str, Field(max_length=8)]
    check: Annotated[str, Field(max_length=2000)]
    ok: bool
    reason: Short | None = None
    seconds: Annotated[float, Field(ge=0, le=3600)] = 0.0


class ProbeBallot(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: Annotated[str, Field(max_length=64)]
    ok: bool
    abstain: bool = False
    reason: Short | None = None
    checks: Annotated[list[ProbeCheck], Field(max_length=50)] = []


class ProbeReport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    vantage: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
    ballots: Annotated[list[ProbeBallot], Field(max_length=500)]


@router.get("/services")
async def services(ctx: Ctx, _: Reader) -> dict[str, Any]:
    """Each service: its state by the vantage points' quorum and the reason naming the split,
    the certificate that expires first, and every vantage point's last vote with its checks."""
    ballots = await store_read(ctx, votes.read, ctx.engine, None)
    return {"services": overview(ctx.inv, ballots, time.time())}


@router.post("/services/votes", status_code=202)
async def report_votes(ctx: Ctx, _: Prober, report: ProbeReport) -> dict[str, int]:
    """An external vantage point's checks (`noc probe`): each ballot replaces that probe's
    last vote on the service. Dated on arrival, by this server's clock."""
    known = {s.name for s in ctx.inv.services}
    unknown = sorted({b.service for b in report.ballots} - known)
    if unknown:
        raise HTTPException(422, f"unknown services: {', '.join(unknown)}")
    now = time.time()
    taken = [
        votes.Ballot(
            b.service,
            Vote(report.vantage, now, b.ok, b.reason, b.abstain, external=True),
            tuple(c.model_dump() for c in b.checks),
        )
        for b in report.ballots
    ]
    await store_read(ctx, votes.write, ctx.engine, taken)
    return {"taken": len(taken)}
