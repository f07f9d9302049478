"""The Prometheus exporter: one collector of metric families per source, built at scrape time.

- `network.py`: sites, devices, interfaces and links, from the live state;
- `health.py`: the collector's own health, from the scheduler and the store writer;
- `dr.py`: DR readiness, from the last check;
- `fleet.py`: this collector's name, site and poll domains, in a fleet;
- `render.py`: the text exposition format;
- `fragments.py`: each device's series written as its poll lands, for a scrape that is a copy.

Nothing registers itself on import and no gauge lives between scrapes: `NocMetrics.collect()`
reads the latest state and yields fresh families. Labels come from the inventory; no credential
is ever a label or part of a help text.

Rates and capacities are exported in bytes per second (Prometheus base units); dashboards
multiply by 8 to show the bits per second the NOC speaks in.

Counter values: Prometheus samples are float64, exact only up to 2^53. Like snmp_exporter we
export 64-bit counters modulo 2^53, so every sample is exact; a counter passing 2^53 (9 PB) looks
like a reset to rate(), which loses one scrape interval of increase, once in years.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from prometheus_client.core import Metric
from prometheus_client.registry import Collector as PromCollector

from noc.dr.readiness import DrReport
from noc.exporter.dr import DR_STATE_METRIC, DrMetrics
from noc.exporter.fleet import FleetMember, FleetMetrics
from noc.exporter.fragments import DeviceFragments
from noc.exporter.health import HealthMetrics, PollStats, StoreHealth
from noc.exporter.network import EXACT, NetworkMetrics
from noc.exporter.render import render
from noc.polling.livestate import LiveState


class NocMetrics(PromCollector):
    """Everything one `noc serve` exports: its network, its own health and DR, in that order."""

    def __init__(
        self,
        live: LiveState,
        stats: PollStats | None = None,
        writer: StoreHealth | None = None,
        dr: Callable[[], DrReport | None] | None = None,
        member: FleetMember | None = None,
        fragments: DeviceFragments | None = None,
        extra: Sequence[PromCollector] = (),
    ) -> None:
        # With `fragments`, each device's series are already written (as its poll landed)
        # and the network source adds only the sites and the open incidents.
        self.fragments = fragments
        self.live = live
        self.sources: list[PromCollector] = [
            FleetMetrics(member),
            NetworkMetrics(live, per_device=fragments is None),
            HealthMetrics(stats, writer),
            DrMetrics(dr),
            *extra,
        ]

    def exposition(self) -> bytes:
        """What /metrics serves: the families, with the devices' written fragments, all of
        one moment of the live state (the scrape runs beside the polls, in a thread)."""
        with self.live.lock:
            if self.fragments is None:
                return render(self.collect())
            fleet, network, *rest = self.sources
            return b"".join(
                [
                    render([*fleet.collect(), *network.collect()]),
                    *self.fragments.chunks(),
                    render(m for source in rest for m in source.collect()),
                ]
            )

    def collect(self) -> Iterator[Metric]:
        for source in self.sources:
            yield from source.collect()


__all__ = ["DR_STATE_METRIC", "EXACT", "DeviceFragments", "NocMetrics", "render"]
