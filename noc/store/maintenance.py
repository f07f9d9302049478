"""Maintenance windows kept in the store: add, list, remove, and read for a period."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from noc.collector.maintenance import Window
from noc.store.models import MaintenanceRow


def _split(text: str) -> frozenset[str]:
    return frozenset(x for x in text.split(",") if x)


def add_window(
    engine: Engine, name: str, devices: list[str], sites: list[str], start: float, end: float
) -> str:
    if end <= start:
        raise ValueError("the window must end after it starts")
    if not devices and not sites:
        raise ValueError("a window needs at least one device or site")
    window_id = str(uuid.uuid4())
    with Session(engine) as session, session.begin():
        session.add(
            MaintenanceRow(
                id=window_id,
                name=name,
                devices=",".join(devices),
                sites=",".join(sites),
                start=start,
                end=end,
                created=time.time(),
            )
        )
    return window_id


def list_windows(
    engine: Engine, start: float | None = None, end: float | None = None
) -> list[Window]:
    query = select(MaintenanceRow).order_by(MaintenanceRow.start)
    if start is not None:
        query = query.where(MaintenanceRow.end > start)
    if end is not None:
        query = query.where(MaintenanceRow.start < end)
    with Session(engine) as session:
        return [
            Window(r.name, _split(r.devices), _split(r.sites), r.start, r.end, id=r.id)
            for r in session.scalars(query)
        ]


def remove_window(engine: Engine, window_id: str) -> bool:
    with Session(engine) as session, session.begin():
        result = session.execute(delete(MaintenanceRow).where(MaintenanceRow.id == window_id))
        return bool(getattr(result, "rowcount", 0))
