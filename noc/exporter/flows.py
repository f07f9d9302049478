"""The flow collector for /metrics: what it decoded and dropped, the top sites of the last
minutes (at most TOP of them each way, so the series stay few), and the SNMP cross-check."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client.core import Metric
from prometheus_client.registry import Collector as PromCollector

from noc.exporter.families import family
from noc.flows.crosscheck import CrossCheck
from noc.flows.process import FlowCollector

TOP = 10


class FlowMetrics(PromCollector):
    def __init__(self, collector: FlowCollector, cross: CrossCheck, link: str) -> None:
        self.collector, self.cross, self.link = collector, cross, link

    def collect(self) -> Iterator[Metric]:
        if not self.collector.port:  # not listening (yet)
            return
        counts = self.collector.counts
        datagrams = family("noc_flow_datagrams_total")
        for version, n in sorted(counts.datagrams.items()):
            datagrams.add_metric([str(version)], float(n))
        yield datagrams
        yield family("noc_flow_records_total", float(counts.records))
        dropped = family("noc_flow_dropped_total")
        for reason, n in sorted(counts.dropped.items()):
            dropped.add_metric([reason], float(n))
        yield dropped
        yield family("noc_flow_templates", float(counts.templates))
        top = family("noc_flow_site_bits_per_second")
        rates = self.collector.top_bps(time.time())
        for direction in ("in", "out"):
            ranked = sorted(
                ((bps, site) for (site, d), bps in rates.items() if d == direction),
                reverse=True,
            )
            for bps, site in ranked[:TOP]:
                top.add_metric([site, direction], bps)
        yield top
        ratio = self.cross.ratio
        if ratio is not None:
            yield_ratio = family("noc_flow_snmp_ratio")
            yield_ratio.add_metric([self.link], ratio)
            yield yield_ratio
