"""The collector's own health: polls from the scheduler, the store from its writer. Each source
is read through a small protocol, so the exporter depends on neither."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

from prometheus_client.core import Metric
from prometheus_client.registry import Collector as PromCollector

from noc.exporter.families import family


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
            yield family("noc_collector_polls_total", s.polls)
            yield family("noc_collector_poll_failures_total", s.failures)
            yield family("noc_collector_late_polls_total", s.late)
            durations = list(s.durations.values())
            yield family(
                "noc_collector_poll_duration_max_seconds",
                max(durations, default=0.0),
            )
            if s.last_success_at is not None:
                yield family("noc_collector_last_success_timestamp_seconds", s.last_success_at)
        if self.writer is not None:
            w = self.writer
            yield family("noc_store_up", 1.0 if w.healthy() else 0.0)
            yield family("noc_store_oldest_pending_seconds", w.oldest_pending_s())
            yield family("noc_store_rejected_rows_total", float(w.stats.rejected))
            yield family("noc_store_pending_events", float(w.pending))
            yield family("noc_store_dropped_events_total", w.stats.dropped)
            yield family("noc_store_fenced_events_total", float(w.stats.fenced))
