"""The flow buckets in the store: added to (a late record for a minute adds to its row), pruned
by age, and read back as top talkers by site or application. Synchronous: the flow process
writes from a thread, and the CLI, the API and the SLA report read."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Engine, and_, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from noc.flows.aggregate import Row
from noc.store.models import FlowMinuteRow

T = FlowMinuteRow.__table__


@dataclass(frozen=True)
class Talker:
    """A site's (or an application's) traffic over a span."""

    name: str
    in_octets: int  # toward the city (downloads)
    out_octets: int
    flows: int

    @property
    def octets(self) -> int:
        return self.in_octets + self.out_octets


def write(engine: Engine, rows: Sequence[Row]) -> None:
    if not rows:
        return
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    values = [
        {
            "minute": r.minute,
            "site": r.site[:64],
            "app": r.app[:32],
            "direction": r.direction,
            "octets": r.octets,
            "packets": r.packets,
            "flows": r.flows,
        }
        for r in rows
    ]
    statement = dialect.insert(T)
    statement = statement.on_conflict_do_update(
        index_elements=["minute", "site", "app", "direction"],
        set_={
            "octets": T.c.octets + statement.excluded.octets,
            "packets": T.c.packets + statement.excluded.packets,
            "flows": T.c.flows + statement.excluded.flows,
        },
    )
    with engine.begin() as conn:
        conn.execute(statement, values)


def prune(engine: Engine, oldest: float) -> int:
    with engine.begin() as conn:
        gone = conn.execute(delete(FlowMinuteRow).where(FlowMinuteRow.minute < oldest)).rowcount
    return int(gone or 0)


def top(
    engine: Engine,
    since: float,
    until: float,
    by: str = "site",
    site: str | None = None,
    limit: int | None = 10,
) -> list[Talker]:
    """The biggest users of the uplink from `since` to `until`, by site or by application."""
    column = T.c.app if by == "app" else T.c.site
    q = (
        select(
            column,
            T.c.direction,
            func.sum(T.c.octets),
            func.sum(T.c.flows),
        )
        .where(T.c.minute >= since, T.c.minute < until)
        .group_by(column, T.c.direction)
    )
    if site is not None:
        q = q.where(T.c.site == site)
    with engine.connect() as conn:
        return ranked(conn.execute(q).all(), limit)


def ranked(rows: Iterable[Sequence[object]], limit: int | None) -> list[Talker]:
    """(name, direction, octets, flows) rows into talkers, biggest first."""
    sums: dict[str, list[int]] = {}
    for name, direction, octets, flows in rows:
        cell = sums.setdefault(str(name), [0, 0, 0])
        cell[0 if direction == "in" else 1] += int(str(octets or 0))
        cell[2] += int(str(flows or 0))
    out = [Talker(name, *cell) for name, cell in sums.items()]
    out.sort(key=lambda t: (-t.octets, t.name))
    return out[:limit] if limit is not None else out


SPANS_PER_QUERY = 200


def during(engine: Engine, spans: Sequence[tuple[float, float]], by: str = "site") -> list[Talker]:
    """The talkers over several spans at once (say, the hours the uplink was above 80%)."""
    column = T.c.app if by == "app" else T.c.site
    rows: list[Sequence[object]] = []
    with engine.connect() as conn:
        for inside in _within(spans):
            q = (
                select(column, T.c.direction, func.sum(T.c.octets), func.sum(T.c.flows))
                .where(inside)
                .group_by(column, T.c.direction)
            )
            rows += conn.execute(q).all()
    return ranked(rows, None)


def minutes_within(engine: Engine, spans: Sequence[tuple[float, float]]) -> set[int]:
    """The minutes of those spans that have any flow bucket."""
    found: set[int] = set()
    with engine.connect() as conn:
        for inside in _within(spans):
            found.update(
                int(m) for (m,) in conn.execute(select(T.c.minute).distinct().where(inside))
            )
    return found


def _within(spans: Sequence[tuple[float, float]]) -> Iterator[ColumnElement[bool]]:
    """The minutes inside the spans, as conditions of at most SPANS_PER_QUERY spans each."""
    for i in range(0, len(spans), SPANS_PER_QUERY):
        chunk = spans[i : i + SPANS_PER_QUERY]
        yield or_(*(and_(T.c.minute >= a, T.c.minute < b) for a, b in chunk))
