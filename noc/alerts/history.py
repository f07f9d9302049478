"""The history of notifications: what Alertmanager posted to the webhook, stored and listed."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from noc.store.audit import escape_control
from noc.store.models import AlertNotificationRow
from noc.store.queries import stored_alerts

Labels = dict[str, str]


class WebhookAlert(BaseModel):
    """One alert of a notification, as Alertmanager's webhook (version 4) sends it."""

    model_config = ConfigDict(extra="ignore")
    status: Literal["firing", "resolved"]
    labels: Labels
    annotations: Labels = Field(default_factory=dict)
    startsAt: str = ""  # noqa: N815 (Alertmanager's own field names)
    endsAt: str = ""  # noqa: N815
    fingerprint: str = ""


class Notification(BaseModel):
    """Alertmanager's webhook payload, version 4: what is not of this shape is refused (422)
    before anything is stored, so no reader of the history ever meets it."""

    model_config = ConfigDict(extra="ignore")
    version: str = "4"
    groupKey: str = Field(default="", max_length=4096)  # noqa: N815
    status: Literal["firing", "resolved"]
    receiver: str = Field(max_length=256)
    groupLabels: Labels = Field(default_factory=dict)  # noqa: N815
    alerts: list[WebhookAlert] = Field(max_length=10_000)

    def digest(self) -> str:
        """The same notification sent again (Alertmanager retries until it hears 2xx) has the
        same digest: group, status, and each alert with its start and end."""
        alerts = sorted(
            (a.status, sorted(a.labels.items()), a.startsAt, a.endsAt) for a in self.alerts
        )
        body = json.dumps([self.groupKey, self.status, self.receiver, alerts])
        return hashlib.sha256(body.encode()).hexdigest()


def record(engine: Engine, note: Notification, now: float | None = None) -> tuple[str, bool]:
    """Store one webhook notification: (its id, True) or, when the same notification is
    already stored, (that one's id, False)."""
    digest = note.digest()
    kept = [
        {
            "status": a.status,
            "labels": {escape_control(k): escape_control(v) for k, v in a.labels.items()},
            "annotations": {escape_control(k): escape_control(v) for k, v in a.annotations.items()},
            "startsAt": escape_control(a.startsAt),
            "endsAt": escape_control(a.endsAt),
        }
        for a in note.alerts
    ]
    row_id = str(uuid.uuid4())
    with Session(engine) as session, session.begin():
        found = session.scalars(
            select(AlertNotificationRow.id).where(AlertNotificationRow.digest == digest)
        ).first()
        if found is not None:
            return found, False
        session.add(
            AlertNotificationRow(
                id=row_id,
                received=time.time() if now is None else now,
                receiver=escape_control(note.receiver)[:64],
                status=note.status,
                group_name=escape_control(note.groupLabels.get("group", ""))[:200],
                firing=sum(1 for a in kept if a["status"] == "firing"),
                resolved=sum(1 for a in kept if a["status"] == "resolved"),
                alerts=json.dumps(kept),
                digest=digest,
            )
        )
    return row_id, True


def history(engine: Engine, limit: int = 200, since: float | None = None) -> list[dict[str, Any]]:
    query = select(AlertNotificationRow).order_by(AlertNotificationRow.received.desc())
    if since is not None:
        query = query.where(AlertNotificationRow.received >= since)
    with Session(engine) as session:
        return [
            {
                "id": r.id,
                "received": r.received,
                "receiver": r.receiver,
                "status": r.status,
                "group": r.group_name,
                "firing": r.firing,
                "resolved": r.resolved,
                "alerts": stored_alerts(r.alerts),
            }
            for r in session.scalars(query.limit(limit))
        ]
