"""The vantage points' votes in the store: each one's last vote on each service, with its
checks' results. Synchronous: the watcher calls these from a thread."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session

from noc.services.checks import CheckResult
from noc.services.quorum import Vote
from noc.store.models import ServiceVoteRow

MAX_REASON = 500


@dataclass(frozen=True)
class Ballot:
    """A vote with what it rests on: the service, and its checks' results as plain data."""

    service: str
    vote: Vote
    checks: tuple[dict[str, Any], ...]


def result_data(result: CheckResult, now: float) -> dict[str, Any]:
    return {
        "kind": result.kind,
        "check": result.label,
        "ok": result.ok,
        "reason": result.reason,
        "seconds": round(result.duration_s, 4),
        "certificates": [
            {
                "host": c.host,
                "position": c.position,
                "role": c.role,
                "subject": c.subject,
                "not_after": c.not_after,
                "days": round(c.days_left(now), 2),
            }
            for c in result.certs
        ],
        "rtts_ms": list(result.rtts_ms),
    }


def write(engine: Engine, ballots: Sequence[Ballot]) -> None:
    """Each ballot replaces that vantage point's previous vote on that service."""
    if not ballots:
        return
    with engine.begin() as conn:
        for b in ballots:
            conn.execute(
                delete(ServiceVoteRow).where(
                    ServiceVoteRow.service == b.service, ServiceVoteRow.vantage == b.vote.vantage
                )
            )
        conn.execute(
            insert(ServiceVoteRow),
            [
                {
                    "service": b.service,
                    "vantage": b.vote.vantage[:64],
                    "at": b.vote.at,
                    "ok": b.vote.ok,
                    "abstain": b.vote.abstain,
                    "external": b.vote.external,
                    "reason": (b.vote.reason or "")[:MAX_REASON] or None,
                    "checks": json.dumps(list(b.checks)),
                }
                for b in ballots
            ],
        )


def read(engine: Engine, services: Iterable[str] | None = None) -> list[Ballot]:
    q = select(ServiceVoteRow).order_by(ServiceVoteRow.service, ServiceVoteRow.vantage)
    if services is not None:
        q = q.where(ServiceVoteRow.service.in_(list(services)))
    with Session(engine) as session:
        rows = session.execute(q).scalars().all()
        out = []
        for r in rows:
            try:
                checks = tuple(json.loads(r.checks))
            except ValueError:
                checks = ()
            vote = Vote(r.vantage, r.at, r.ok, r.reason, r.abstain, r.external)
            out.append(Ballot(r.service, vote, checks))
        return out
