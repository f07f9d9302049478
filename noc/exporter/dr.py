"""DR readiness as metric families, from the last check's report."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import Metric
from prometheus_client.registry import Collector as PromCollector

from noc.dr.readiness import DrReport, Readiness
from noc.exporter.families import family

# The DR readiness family arrives with the DR checks; the alert rules are written against it.
DR_STATE_METRIC = "noc_dr_state"


class DrMetrics(PromCollector):
    def __init__(self, report: Callable[[], DrReport | None] | None = None) -> None:
        self.dr = report

    def collect(self) -> Iterator[Metric]:
        report = self.dr() if self.dr is not None else None
        if report is None:
            return
        state = family(DR_STATE_METRIC)
        for readiness in Readiness:
            current = readiness is report.readiness
            state.add_metric([readiness.value, report.reason if current else ""], int(current))
        yield state
        checks = family("noc_dr_check_status")
        for r in report.results:
            checks.add_metric([r.check, r.subject], {"ok": 0, "warn": 1, "fail": 2}[r.status])
        yield checks
        yield family("noc_dr_last_check_timestamp_seconds", report.at)
        seen = family("noc_dr_vantage_sees_primary")
        for name, sees in report.vantages.items():
            if sees is not None:
                seen.add_metric([name], float(sees))
        yield seen
        if report.failover is not None:
            yield family(
                "noc_dr_failover_recommended",
                float(report.failover),
            )
