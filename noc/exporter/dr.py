"""DR readiness as metric families, from the last check's report."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector as PromCollector

from noc.dr.readiness import DrReport, Readiness

# The DR readiness family arrives with the DR checks; the alert rules are written against it.
DR_STATE_METRIC = "noc_dr_state"


class DrMetrics(PromCollector):
    def __init__(self, report: Callable[[], DrReport | None] | None = None) -> None:
        self.dr = report

    def collect(self) -> Iterator[Metric]:
        report = self.dr() if self.dr is not None else None
        if report is None:
            return
        state = GaugeMetricFamily(
            DR_STATE_METRIC,
            "DR readiness from the last check: 1 for the current state (with its reason).",
            labels=["state", "reason"],
        )
        for readiness in Readiness:
            current = readiness is report.readiness
            state.add_metric([readiness.value, report.reason if current else ""], int(current))
        yield state
        checks = GaugeMetricFamily(
            "noc_dr_check_status",
            "Each DR readiness check: 0 ok, 1 warn, 2 fail.",
            labels=["check", "subject"],
        )
        for r in report.results:
            checks.add_metric([r.check, r.subject], {"ok": 0, "warn": 1, "fail": 2}[r.status])
        yield checks
        yield GaugeMetricFamily(
            "noc_dr_last_check_timestamp_seconds", "When the DR checks last ran.", value=report.at
        )
        seen = GaugeMetricFamily(
            "noc_dr_vantage_sees_primary",
            "Each vantage point of the failover quorum: 1 when it sees the primary site, 0 when "
            "it does not (absent when it did not report).",
            labels=["vantage"],
        )
        for name, sees in report.vantages.items():
            if sees is not None:
                seen.add_metric([name], float(sees))
        yield seen
        if report.failover is not None:
            yield GaugeMetricFamily(
                "noc_dr_failover_recommended",
                "1 when the failover policy recommends failing over to the DR site (a quorum of "
                "vantage points sees the primary down past the hold time, the DR site READY).",
                value=float(report.failover),
            )
