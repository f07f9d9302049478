"""The Prometheus exporter: one collector of metric families per source, built at scrape time.

- `families.py`: every exported series, defined once (name, type, help, labels, source);
- `network.py`: the sites and the open incidents, from the live state;
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
from noc.exporter.network import EXACT, SiteMetrics
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
        # Each device's series are written as its poll lands (`fragments`, the service's
        # sink); without one given they are written here, at the scrape.
        self.fragments = fragments or DeviceFragments(live)
        self.live = live
        self.sources: list[PromCollector] = [
            FleetMetrics(member),
            SiteMetrics(live),
            HealthMetrics(stats, writer),
            DrMetrics(dr),
            *extra,
        ]

    def exposition(self) -> bytes:
        """What /metrics serves: the families, with the devices' written fragments, all of
        one moment of the live state (the scrape runs beside the polls, in a thread)."""
        with self.live.lock:
            fleet, network, *rest = self.sources
            return b"".join(
                [
                    render([*fleet.collect(), *network.collect()]),
                    *self.fragments.chunks(),
                    render(m for source in rest for m in source.collect()),
                ]
            )

    def collect(self) -> Iterator[Metric]:
        """The families built at scrape time (the devices' series are in `exposition`)."""
        for source in self.sources:
            yield from source.collect()


__all__ = ["DR_STATE_METRIC", "EXACT", "DeviceFragments", "NocMetrics", "render"]
