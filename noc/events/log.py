"""The event log in the store: traps and syslog lines as they came, with their device (or
none), bounded by count and age. Synchronous: the receiver writes it from a thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.orm import Session

from noc.store.models import DeviceEventRow

MAX_TEXT = 2048


@dataclass(frozen=True)
class LoggedEvent:
    at: float
    device: str | None
    source: str
    kind: str  # trap, inform, syslog
    meaning: str | None
    text: str


def write(engine: Engine, events: Sequence[LoggedEvent]) -> None:
    if not events:
        return
    rows = [
        {
            "at": e.at,
            "device": e.device,
            "source": e.source[:64],
            "kind": e.kind,
            "meaning": e.meaning,
            "text": e.text[:MAX_TEXT],
        }
        for e in events
    ]
    with engine.begin() as conn:
        conn.execute(insert(DeviceEventRow), rows)


def prune(engine: Engine, max_rows: int, oldest: float) -> int:
    """Drop what is older than `oldest`, then the oldest past `max_rows`; how many went."""
    with engine.begin() as conn:
        gone = conn.execute(delete(DeviceEventRow).where(DeviceEventRow.at < oldest)).rowcount
        count = conn.execute(select(func.count()).select_from(DeviceEventRow)).scalar_one()
        if count > max_rows:
            cut = conn.execute(
                select(DeviceEventRow.id)
                .order_by(DeviceEventRow.id.desc())
                .offset(max_rows)
                .limit(1)
            ).scalar_one()
            gone += conn.execute(delete(DeviceEventRow).where(DeviceEventRow.id <= cut)).rowcount
    return int(gone or 0)


def read(
    engine: Engine,
    devices: Sequence[str] | None = None,
    since: float | None = None,
    grep: str | None = None,
    unknown: bool = False,
    limit: int = 200,
) -> list[LoggedEvent]:
    """Newest first."""
    q = select(DeviceEventRow).order_by(DeviceEventRow.id.desc()).limit(limit)
    if unknown:
        q = q.where(DeviceEventRow.device.is_(None))
    elif devices:
        q = q.where(DeviceEventRow.device.in_(list(devices)))
    if since is not None:
        q = q.where(DeviceEventRow.at >= since)
    if grep:
        q = q.where(DeviceEventRow.text.contains(grep, autoescape=True))
    with Session(engine) as session:
        rows = session.execute(q).scalars().all()
        return [LoggedEvent(r.at, r.device, r.source, r.kind, r.meaning, r.text) for r in rows]
