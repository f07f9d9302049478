"""The drift check's findings for /metrics (absent before the first check)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import Metric
from prometheus_client.registry import Collector as PromCollector

from noc.discovery.drift import DriftState
from noc.exporter.families import family

KINDS = ("device", "link", "parent")


class TopologyMetrics(PromCollector):
    def __init__(self, state: DriftState) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        findings, at = self.state.findings, self.state.at
        if findings is None or at is None:
            return
        counts = family("noc_topology_drift")
        for kind in KINDS:
            counts.add_metric([kind], float(sum(1 for f in findings if f.kind == kind)))
        yield counts
        yield family("noc_topology_checked_timestamp_seconds", at)
