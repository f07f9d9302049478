"""A collector starting again after a crash: what the store (and the journal taken back) says
was going on, and what to write so the record stays true.

- Every entity whose last recorded state is not UNKNOWN was left without the "collector
  stopped" marker a clean stop writes: the gap since the collector was last seen alive is
  recorded as UNKNOWN, from that moment.
- Incidents still open are adopted by the new run: the outage goes on as the same incident,
  and ends when the entity is seen UP again, instead of a second incident opening.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from noc.polling.availability import Incident, State, StateChange
from noc.polling.events import Event, PollRecord
from noc.store.models import IncidentRow, PollStatRow, StateChangeRow

CRASH_REASON = "collector stopped unexpectedly"


@dataclass(frozen=True)
class Recovered:
    markers: list[StateChange]  # the crash gap, as UNKNOWN
    incidents: dict[str, Incident]  # open, by entity: adopted by the new run


def crash_gap(last: Mapping[str, tuple[State, float]], alive: float | None) -> list[StateChange]:
    """UNKNOWN from when the collector was last alive, for what it left in another state.
    Pure. Each marker comes strictly after the entity's last recorded change."""
    out = []
    for entity, (state, at) in sorted(last.items()):
        if state is State.UNKNOWN:
            continue
        when = max(alive if alive is not None else at, at + 0.001)
        out.append(StateChange(entity, when, state, State.UNKNOWN, None, CRASH_REASON))
    return out


def merge(
    stored_states: Mapping[str, tuple[State, float]],
    stored_open: Iterable[Incident],
    alive: float | None,
    replayed: Iterable[Event],
) -> Recovered:
    """The store's view updated by the events a journal gave back (they are newer). Pure."""
    last = dict(stored_states)
    incidents = {i.id: i for i in stored_open}
    for event in replayed:
        if isinstance(event, StateChange):
            if event.entity not in last or last[event.entity][1] <= event.at:
                last[event.entity] = (event.new, event.at)
            alive = max(alive or event.at, event.at)
        elif isinstance(event, Incident):
            incidents[event.id] = event
        elif isinstance(event, PollRecord):
            alive = max(alive or event.at, event.at)
    still_open = {i.entity: i for i in incidents.values() if i.ended is None}
    return Recovered(crash_gap(last, alive), still_open)


def read_store(
    engine: Engine, entities: Collection[str] | None = None
) -> tuple[dict[str, tuple[State, float]], list[Incident], float | None]:
    """The last state of every entity (or of those given), the open incidents, and the last
    sign of life."""
    with Session(engine) as session:
        latest_q = select(StateChangeRow.entity, func.max(StateChangeRow.at).label("at"))
        open_q = select(IncidentRow).where(IncidentRow.ended.is_(None))
        if entities is not None:
            latest_q = latest_q.where(StateChangeRow.entity.in_(sorted(entities)))
            open_q = open_q.where(IncidentRow.entity.in_(sorted(entities)))
        latest = latest_q.group_by(StateChangeRow.entity).subquery()
        rows = session.execute(
            select(StateChangeRow.entity, StateChangeRow.new, StateChangeRow.at).join(
                latest,
                (StateChangeRow.entity == latest.c.entity) & (StateChangeRow.at == latest.c.at),
            )
        ).all()
        states = {entity: (State(new), at) for entity, new, at in rows}
        open_rows = session.scalars(open_q)
        incidents = [
            Incident(
                id=r.id,
                entity=r.entity,
                state=State(r.state),
                started=r.started,
                root_cause=r.root_cause,
                reason=r.reason,
                ended=None,
                affected={a for a in r.affected.split(",") if a},
                flaps=r.flaps,
            )
            for r in open_rows
        ]
        polled = session.scalar(select(func.max(PollStatRow.at)))
        changed = session.scalar(select(func.max(StateChangeRow.at)))
    alive = max((t for t in (polled, changed) if t is not None), default=None)
    return states, incidents, alive


def recover(engine: Engine, replayed: Iterable[Event]) -> Recovered:
    states, incidents, alive = read_store(engine)
    return merge(states, incidents, alive, replayed)
