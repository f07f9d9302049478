"""The history of notifications: what Alertmanager posted to the webhook, stored and listed."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from noc.store.models import AlertNotificationRow


def record(engine: Engine, payload: dict[str, Any], now: float | None = None) -> str:
    """Store one webhook notification (Alertmanager's version 4 payload)."""
    alerts = payload.get("alerts") or []
    row_id = str(uuid.uuid4())
    kept = [{"status": a.get("status"), "labels": a.get("labels", {}),
             "annotations": a.get("annotations", {}), "startsAt": a.get("startsAt"),
             "endsAt": a.get("endsAt")} for a in alerts if isinstance(a, dict)]  # fmt: skip
    with Session(engine) as session, session.begin():
        session.add(AlertNotificationRow(
            id=row_id, received=time.time() if now is None else now,
            receiver=str(payload.get("receiver", ""))[:64],
            status=str(payload.get("status", ""))[:16],
            group_name=str((payload.get("groupLabels") or {}).get("group", ""))[:200],
            firing=sum(1 for a in kept if a["status"] == "firing"),
            resolved=sum(1 for a in kept if a["status"] == "resolved"),
            alerts=json.dumps(kept),
        ))  # fmt: skip
    return row_id


def history(engine: Engine, limit: int = 200, since: float | None = None) -> list[dict[str, Any]]:
    query = select(AlertNotificationRow).order_by(AlertNotificationRow.received.desc())
    if since is not None:
        query = query.where(AlertNotificationRow.received >= since)
    with Session(engine) as session:
        return [
            {"id": r.id, "received": r.received, "receiver": r.receiver, "status": r.status,
             "group": r.group_name, "firing": r.firing, "resolved": r.resolved,
             "alerts": json.loads(r.alerts)}
            for r in session.scalars(query.limit(limit))
        ]  # fmt: skip
