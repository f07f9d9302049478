"""This collector's place in the fleet: its name and site, and the poll domains it holds."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

from prometheus_client.core import Metric
from prometheus_client.registry import Collector as PromCollector

from noc.exporter.families import family


class FleetMember(Protocol):
    """What the exporter reads of a fleet member (read only)."""

    @property
    def name(self) -> str: ...
    @property
    def site(self) -> str: ...
    @property
    def held(self) -> Mapping[str, int]: ...
    @property
    def store_up(self) -> bool: ...
    @property
    def starved(self) -> str | None: ...
    @property
    def clock_offset_s(self) -> float | None: ...


class FleetMetrics(PromCollector):
    def __init__(self, member: FleetMember | None = None) -> None:
        self.member = member

    def collect(self) -> Iterator[Metric]:
        m = self.member
        if m is None:
            return
        info = family("noc_collector_info")
        info.add_metric([m.name, m.site], 1.0)
        yield info
        yield family(
            "noc_fleet_domains_held",
            float(len(m.held)),
        )
        yield family("noc_fleet_store_up", 1.0 if m.store_up else 0.0)
        yield family("noc_fleet_starved", 1.0 if m.starved else 0.0)
        if m.clock_offset_s is not None:
            yield family("noc_clock_offset_seconds", m.clock_offset_s)
