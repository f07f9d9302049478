"""Maintenance windows kept in the store: add, list, remove, and read for a period."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from noc.polling.maintenance import Window
from noc.store.models import MaintenanceRow


def _split(text: str) -> frozenset[str]:
    return frozenset(x for x in text.split(",") if x)


YEAR_S = 365 * 86400.0
# What a window may span, around now: a year back (to record work already done) to ten years
# ahead. Beyond it a date is a typo (year 9999, year 1), and would break every reader.
EARLIEST_S, LATEST_S = YEAR_S, 10 * YEAR_S


def add_window(
    engine: Engine,
    name: str,
    devices: list[str],
    sites: list[str],
    start: float,
    end: float,
    now: float | None = None,
) -> str:
    now = time.time() if now is None else now
    for what, at in (("start", start), ("end", end)):
        if not (now - EARLIEST_S <= at <= now + LATEST_S):
            raise ValueError(
                f"the window's {what} must lie between a year ago and ten years from now"
            )
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
                created=now,
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
