"""Traps and syslog received, processed and dropped (by reason), for /metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import Metric
from prometheus_client.registry import Collector as PromCollector

from noc.events.receiver import Counters
from noc.exporter.families import family

TRANSPORTS = ("trap", "syslog")


class EventMetrics(PromCollector):
    def __init__(self, counters: Counters, kernel_drops: Callable[[], dict[str, int]]) -> None:
        self.counters = counters
        self.kernel_drops = kernel_drops

    def collect(self) -> Iterator[Metric]:
        c = self.counters
        received = family("noc_events_received_total")
        processed = family("noc_events_processed_total")
        for transport in TRANSPORTS:
            received.add_metric([transport], float(c.received[transport]))
            processed.add_metric([transport], float(c.processed[transport]))
        dropped = family("noc_events_dropped_total")
        for (transport, reason), count in sorted(c.dropped.items()):
            dropped.add_metric([transport, reason], float(count))
        for transport, count in sorted(self.kernel_drops().items()):
            dropped.add_metric([transport, "kernel buffer full"], float(count))
        yield from (received, processed, dropped)
        yield family("noc_events_unknown_source_total", float(c.unknown))
