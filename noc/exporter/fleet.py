"""This collector's place in the fleet: its name and site, and the poll domains it holds."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector as PromCollector


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
        info = GaugeMetricFamily(
            "noc_collector_info",
            "This collector of the fleet, with its site (always 1). Its network series cover "
            "only the poll domains it holds now.",
            labels=["collector", "site"],
        )
        info.add_metric([m.name, m.site], 1.0)
        yield info
        yield GaugeMetricFamily(
            "noc_fleet_domains_held",
            "Poll domains (a BTS or fibre point with what is behind it, or a site) this "
            "collector holds a lease on.",
            value=float(len(m.held)),
        )
        yield GaugeMetricFamily(
            "noc_fleet_store_up",
            "1 when the last lease round reached the store (else nothing is taken).",
            value=1.0 if m.store_up else 0.0,
        )
        yield GaugeMetricFamily(
            "noc_fleet_starved",
            "1 when this collector holds no poll domain while there is work: its lease rounds "
            "fail, or domains lie free (it polls nothing).",
            value=1.0 if m.starved else 0.0,
        )
        if m.clock_offset_s is not None:
            yield GaugeMetricFamily(
                "noc_clock_offset_seconds",
                "This host's clock minus the store's, measured every lease round. Beyond the "
                "bound (NOC_MAX_CLOCK_OFFSET_S) it writes nothing dated by it and polls nothing.",
                value=m.clock_offset_s,
            )
