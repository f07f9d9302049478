"""Reads of the stored state shared by the API and the CLI: the latest state of each entity,
incidents, the latest poll of each device."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from noc.store.models import IncidentRow, PollStatRow, StateChangeRow


def latest_states(engine: Engine) -> dict[str, StateChangeRow]:
    """Each entity's last stored state change."""
    latest: dict[str, StateChangeRow] = {}
    with Session(engine) as session:
        for change in session.scalars(select(StateChangeRow).order_by(StateChangeRow.at)):
            latest[change.entity] = change
    return latest


def incidents(
    engine: Engine,
    since: float | None = None,
    until: float | None = None,
    state: str | None = None,
    open_only: bool = False,
) -> list[IncidentRow]:
    """Incidents newest first: those overlapping [since, until), in a state, or still open."""
    query = select(IncidentRow).order_by(IncidentRow.started.desc())
    if since is not None:
        query = query.where((IncidentRow.ended.is_(None)) | (IncidentRow.ended >= since))
    if until is not None:
        query = query.where(IncidentRow.started < until)
    if state is not None:
        query = query.where(IncidentRow.state == state)
    if open_only:
        query = query.where(IncidentRow.ended.is_(None))
    with Session(engine) as session:
        return list(session.scalars(query))


def poll_stats(engine: Engine) -> list[PollStatRow]:
    """The latest poll of each device, by device name."""
    with Session(engine) as session:
        return list(session.scalars(select(PollStatRow).order_by(PollStatRow.device)))


def affected(row: IncidentRow) -> list[str]:
    return split_names(row.affected)


def split_names(text: str) -> list[str]:
    return [a for a in text.split(",") if a]


def join_names(names: Iterable[str]) -> str:
    return ",".join(names)


def stored_alerts(text: str) -> list[dict[str, Any]]:
    """The alerts of a stored notification, each with `labels` a dict of strings: a row
    written before the webhook was validated, whatever its shape, never breaks a reader."""
    try:
        alerts = json.loads(text)
    except ValueError:
        return []
    out = []
    for alert in alerts if isinstance(alerts, list) else []:
        if not isinstance(alert, dict):
            continue
        labels = alert.get("labels")
        labels = {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}
        out.append({**alert, "labels": labels, "status": str(alert.get("status", ""))})
    return out
