"""The simulated month and the collector drive the same fold: fed the same poll outcomes at the
same times, they produce the same state changes and incidents."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from noc.inventory import load_inventory
from noc.lab.builder import build_lab
from noc.lab.month import STEP_S, Outage, Plan, outage_schedule, poll_step
from noc.polling.availability import Incident, StateChange
from noc.polling.events import Event
from noc.polling.livestate import LiveState
from noc.polling.poller import Poller
from tests.conftest import SMALL
from tests.fakes import T0, LabViews

STEPS = 48  # four hours of five-minute polls


class Kept:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, events: Sequence[Event]) -> None:
        self.events += events


def comparable(events: Sequence[Event]) -> list[tuple[Any, ...]]:
    """State changes and incidents without what only the transport decides (the reason's
    wording, a new incident's random id)."""
    out: list[tuple[Any, ...]] = []
    for e in events:
        if isinstance(e, StateChange):
            out.append(("change", e.entity, e.at, e.old, e.new, e.root_cause))
        elif isinstance(e, Incident):
            out.append(
                (
                    "incident",
                    e.entity,
                    e.state,
                    e.started,
                    e.ended,
                    e.root_cause,
                    tuple(sorted(e.affected)),
                    e.flaps,
                )
            )
    return out


def test_the_month_and_the_collector_fold_the_same_outcomes() -> None:
    inv = load_inventory(SMALL)
    plan = Plan(
        outages=[
            Outage("bts-a", T0 + 3 * STEP_S, T0 + 9 * STEP_S),  # kel-a behind it: UNREACHABLE
            Outage("kel-b", T0 + 12 * STEP_S, T0 + 15 * STEP_S),
            Outage("kel-a", T0 + 20 * STEP_S, T0 + 40 * STEP_S, flapping=True),
        ]
    )
    failing = outage_schedule(inv, plan)

    live = LiveState(inv)
    month: list[Event] = []
    for step in range(STEPS):
        month += poll_step(live, T0 + step * STEP_S, failing)

    clock = [T0]
    devices = {a.device.name: a.device for a in build_lab(inv, T0 - 86400)}
    kept = Kept()
    poller = Poller(inv, LabViews(devices, clock), kept, clock=lambda: clock[0])
    for step in range(STEPS):
        clock[0] = T0 + step * STEP_S
        for d in inv.devices:  # polled one after another, in inventory order, as the month does
            devices[d.name].down = failing(d.name, clock[0])
            asyncio.run(poller.poll(d.name))

    ours, theirs = comparable(month), comparable(kept.events)
    assert ours == theirs
    # The sequence is not trivial: a root cause with what is behind it, a device on its own,
    # and a device going down and up again and again, each closed.
    incidents = {(e[1], e[2]) for e in ours if e[0] == "incident"}
    assert {("bts-a", "down"), ("kel-b", "down"), ("kel-a", "down")} <= incidents
    assert len({e[3] for e in ours if e[0] == "incident" and e[1] == "kel-a"}) >= 3
    last = {e[1]: e for e in ours if e[0] == "incident"}
    assert last["kel-b"][4] is not None and last["bts-a"][4] is not None
    assert any(e[0] == "incident" and e[1] == "bts-a" and "kel-a" in e[6] for e in ours)
    assert any(e[0] == "change" and e[1] == "kel-a" and e[4] == "unreachable" for e in ours)
