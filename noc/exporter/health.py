"""The collector's own health: polls from the scheduler, the store from its writer. Each source
is read through a small protocol, so the exporter depends on neither."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector as PromCollector


class PollStats(Protocol):
    """The scheduler's counts (read only)."""

    @property
    def polls(self) -> int: ...
    @property
    def failures(self) -> int: ...
    @property
    def late(self) -> int: ...
    @property
    def durations(self) -> Mapping[str, float]: ...
    @property
    def last_poll_at(self) -> float | None: ...
    @property
    def last_success_at(self) -> float | None: ...


class WriteStats(Protocol):
    @property
    def rejected(self) -> int: ...
    @property
    def dropped(self) -> int: ...
    @property
    def fenced(self) -> int: ...


class StoreHealth(Protocol):
    """The store writer's health (read only)."""

    @property
    def stats(self) -> WriteStats: ...
    @property
    def pending(self) -> int: ...
    def healthy(self) -> bool: ...
    def oldest_pending_s(self) -> float: ...


class HealthMetrics(PromCollector):
    def __init__(self, stats: PollStats | None = None, writer: StoreHealth | None = None) -> None:
        self.stats = stats
        self.writer = writer

    def collect(self) -> Iterator[Metric]:
        if self.stats is not None:
            s = self.stats
            yield CounterMetricFamily("noc_collector_polls", "Polls started.", value=s.polls)
            yield CounterMetricFamily(
                "noc_collector_poll_failures", "Polls failed.", value=s.failures
            )
            yield CounterMetricFamily(
                "noc_collector_late_polls",
                "Turns skipped because the previous poll of that device was still running.",
                value=s.late,
            )
            durations = list(s.durations.values())
            yield GaugeMetricFamily(
                "noc_collector_poll_duration_max_seconds",
                "Longest last-poll duration over all devices.",
                value=max(durations, default=0.0),
            )
            if s.last_success_at is not None:
                yield GaugeMetricFamily(
                    "noc_collector_last_success_timestamp_seconds",
                    "When a poll last succeeded.",
                    value=s.last_success_at,
                )
        if self.writer is not None:
            w = self.writer
            yield GaugeMetricFamily(
                "noc_store_up",
                "1 when the store keeps up: the last write worked and no event has waited "
                "30 s or more.",
                value=1.0 if w.healthy() else 0.0,
            )
            yield GaugeMetricFamily(
                "noc_store_oldest_pending_seconds",
                "Age of the oldest event not yet written to the store.",
                value=w.oldest_pending_s(),
            )
            yield CounterMetricFamily(
                "noc_store_rejected_rows",
                "Rows the store refused for their content, set aside with the reason.",
                value=float(w.stats.rejected),
            )
            yield GaugeMetricFamily(
                "noc_store_pending_events", "Events waiting to be written.", value=float(w.pending)
            )
            yield CounterMetricFamily(
                "noc_store_dropped_events",
                "Events dropped because the buffer was full.",
                value=w.stats.dropped,
            )
            yield CounterMetricFamily(
                "noc_store_fenced_events",
                "Events not written because another collector of the fleet holds their poll "
                "domain now (kept beside the journal).",
                value=float(w.stats.fenced),
            )
