"""DR check results kept in the store."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from noc.dr.failover import DrillResult
from noc.dr.readiness import DrReport
from noc.store.models import DrCheckRow, DrDrillRow


def record(engine: Engine, report: DrReport) -> None:
    with Session(engine) as session, session.begin():
        session.add(
            DrCheckRow(
                id=str(uuid.uuid4()),
                at=report.at,
                readiness=report.readiness.value,
                reason=report.reason,
                results=json.dumps(report.to_json()["results"]),
            )
        )


def history(engine: Engine, limit: int = 100, since: float | None = None) -> list[dict[str, Any]]:
    query = select(DrCheckRow).order_by(DrCheckRow.at.desc()).limit(limit)
    if since is not None:
        query = query.where(DrCheckRow.at >= since)
    with Session(engine) as session:
        return [
            {
                "at": r.at,
                "readiness": r.readiness,
                "reason": r.reason,
                "results": json.loads(r.results),
            }
            for r in session.scalars(query)
        ]


def record_drill(engine: Engine, result: DrillResult) -> None:
    with Session(engine) as session, session.begin():
        session.add(
            DrDrillRow(
                id=str(uuid.uuid4()),
                at=result.started,
                ok=result.ok,
                rto_s=result.rto_s,
                rpo_rows=result.rpo_rows,
                detail=json.dumps(result.to_json()),
            )
        )


def drills(engine: Engine, limit: int = 50) -> list[dict[str, Any]]:
    query = select(DrDrillRow).order_by(DrDrillRow.at.desc()).limit(limit)
    with Session(engine) as session:
        return [json.loads(r.detail) for r in session.scalars(query)]
