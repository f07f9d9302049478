"""The collector's domain values, below the poller and the store: what one poll records, the
events the live state emits, and where they go. Pure; no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from noc.inventory.model import Link
from noc.polling.availability import Incident, StateChange
from noc.polling.rollup import Rollup

LINK_PREFIX = "link:"
SERVICE_PREFIX = "service:"


def service_key(name: str) -> str:
    """The entity name of a service in states, incidents and alerts: `service:NAME`."""
    return SERVICE_PREFIX + name


def is_service(entity: str) -> bool:
    return entity.startswith(SERVICE_PREFIX)


def link_key(link: Link | str) -> str:
    """The entity name of a link in states, incidents and alerts: `link:NAME`."""
    return LINK_PREFIX + (link if isinstance(link, str) else link.name)


def link_name(entity: str) -> str:
    """`link:NAME` -> `NAME` (a device name is returned as it is)."""
    return entity.removeprefix(LINK_PREFIX)


def is_link(entity: str) -> bool:
    return entity.startswith(LINK_PREFIX)


@dataclass(frozen=True)
class PollRecord:
    device: str
    at: float
    duration_s: float
    ok: bool
    reason: str | None
    requests: int
    retries: int
    timeouts: int
    varbinds: int


Event = StateChange | Incident | Rollup | PollRecord


def rollup_entity(kind: str, name: str) -> str:
    """The entity a rollup measures: the link, or the device of an interface (`DEVICE/IF`)."""
    return link_key(name) if kind == "link" else name.split("/", 1)[0]


def event_entity(event: Event) -> str:
    """The entity (device or `link:NAME`) an event is about."""
    if isinstance(event, PollRecord):
        return event.device
    if isinstance(event, Rollup):
        return rollup_entity(event.kind, event.name)
    return event.entity


class Sink(Protocol):
    def emit(self, events: Sequence[Event]) -> None: ...


class NullSink:
    def emit(self, events: Sequence[Event]) -> None:
        return None


class Tee:
    """Every event to each sink in turn (the store's writer, the exporter's fragments)."""

    def __init__(self, *sinks: Sink) -> None:
        self.sinks = sinks

    def emit(self, events: Sequence[Event]) -> None:
        for sink in self.sinks:
            sink.emit(events)
