"""SLA arithmetic for a period: availability, outages, MTTR/MTBF, error budget, and the
95th percentile of link rates. Pure: state changes, windows and rollups in, figures out.

Definitions (the report states them too):
- scheduled time = the period less maintenance less UNKNOWN time (no data);
- downtime = time DOWN or FLAPPING inside scheduled time; UNREACHABLE time is charged to the
  root-cause device, so for the devices behind it it is neither downtime nor removed;
- availability = (scheduled - downtime) / scheduled;
- an outage is a maximal stretch of downtime; MTTR = downtime / outages, MTBF = (scheduled -
  downtime) / outages, both undefined without outages;
- error budget = (1 - target) x scheduled; what is left = budget - downtime.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from zoneinfo import ZoneInfo

from noc.polling.availability import PROBLEM
from noc.polling.rollup import BUCKET_S

UNKNOWN_WARNING_SHARE = 0.01


@dataclass(frozen=True)
class Period:
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def month(year: int, number: int, zone: str = "Asia/Jakarta") -> Period:
    """A calendar month, its boundaries at local midnight in `zone`."""
    tz = ZoneInfo(zone)
    start = datetime(year, number, 1, tzinfo=tz)
    end = datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=tz)
    return Period(start.timestamp(), end.timestamp())


@dataclass(frozen=True)
class Change:
    at: float
    state: str


@dataclass(frozen=True)
class Span:
    start: float
    end: float
    state: str

    @property
    def seconds(self) -> float:
        return self.end - self.start


def timeline(changes: Sequence[Change], period: Period) -> list[Span]:
    """The states over the period; before the first known change the state is unknown."""
    ordered = sorted(changes, key=lambda c: c.at)
    spans: list[Span] = []
    state, since = "unknown", period.start
    for change in ordered:
        if change.at <= period.start:
            state = change.state
            continue
        if change.at >= period.end:
            break
        if change.at > since:
            spans.append(Span(since, change.at, state))
        state, since = change.state, change.at
    if period.end > since:
        spans.append(Span(since, period.end, state))
    return [s for s in spans if s.seconds > 0]


def subtract(
    spans: Iterable[Span], windows: Sequence[tuple[float, float]]
) -> tuple[list[Span], float]:
    """Spans with the windows cut out, and how much was cut."""
    out: list[Span] = []
    cut = 0.0
    for span in spans:
        pieces = [(span.start, span.end)]
        for w_start, w_end in windows:
            next_pieces = []
            for a, b in pieces:
                lo, hi = max(a, w_start), min(b, w_end)
                if lo >= hi:
                    next_pieces.append((a, b))
                    continue
                cut += hi - lo
                next_pieces += [(x, y) for x, y in ((a, lo), (hi, b)) if y > x]
            pieces = next_pieces
        out += [Span(a, b, span.state) for a, b in pieces]
    return out, cut


def merge_windows(
    windows: Iterable[tuple[float, float]], period: Period
) -> list[tuple[float, float]]:
    clipped = sorted((max(a, period.start), min(b, period.end)) for a, b in windows)
    merged: list[tuple[float, float]] = []
    for a, b in clipped:
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


@dataclass(frozen=True)
class Outage:
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Availability:
    period_s: float
    scheduled_s: float
    maintenance_s: float
    unknown_s: float
    unreachable_s: float
    downtime_s: float
    outages: tuple[Outage, ...]
    target: float

    @property
    def availability(self) -> float | None:
        return (
            None
            if self.scheduled_s <= 0
            else (self.scheduled_s - self.downtime_s) / self.scheduled_s
        )

    @property
    def mttr_s(self) -> float | None:
        return self.downtime_s / len(self.outages) if self.outages else None

    @property
    def mtbf_s(self) -> float | None:
        return (self.scheduled_s - self.downtime_s) / len(self.outages) if self.outages else None

    @property
    def longest_outage_s(self) -> float:
        return max((o.seconds for o in self.outages), default=0.0)

    @property
    def budget_s(self) -> float:
        return (1 - self.target) * self.scheduled_s

    @property
    def budget_left_s(self) -> float:
        return self.budget_s - self.downtime_s

    @property
    def budget_remaining_s(self) -> float | None:
        """What is left of the budget, never below zero; None for a period with no data (no
        budget to speak of, not a budget spent)."""
        return None if self.availability is None else max(self.budget_left_s, 0.0)

    @property
    def compliant(self) -> bool | None:
        value = self.availability
        return None if value is None else value >= self.target

    @property
    def unknown_warning(self) -> bool:
        return self.unknown_s > UNKNOWN_WARNING_SHARE * self.period_s


def availability(
    changes: Sequence[Change],
    maintenance: Sequence[tuple[float, float]],
    period: Period,
    target: float,
) -> Availability:
    spans = timeline(changes, period)
    windows = merge_windows(maintenance, period)
    kept, maintenance_s = subtract(spans, windows)
    unknown = sum((s.seconds for s in kept if s.state == "unknown"), 0.0)
    unreachable = sum((s.seconds for s in kept if s.state == "unreachable"), 0.0)
    down = [s for s in kept if s.state in PROBLEM]
    outages: list[Outage] = []
    for span in sorted(down, key=lambda s: s.start):
        if outages and span.start <= outages[-1].end:
            outages[-1] = Outage(outages[-1].start, max(outages[-1].end, span.end))
        else:
            outages.append(Outage(span.start, span.end))
    return Availability(
        period_s=period.seconds,
        scheduled_s=period.seconds - maintenance_s - unknown,
        maintenance_s=maintenance_s,
        unknown_s=unknown,
        unreachable_s=unreachable,
        downtime_s=sum((s.seconds for s in down), 0.0),
        outages=tuple(outages),
        target=target,
    )


def combine(parts: Sequence[Availability], target: float) -> Availability:
    """A group (site, tier, network): sums of times; outages kept side by side."""
    return Availability(
        period_s=sum((p.period_s for p in parts), 0.0),
        scheduled_s=sum((p.scheduled_s for p in parts), 0.0),
        maintenance_s=sum((p.maintenance_s for p in parts), 0.0),
        unknown_s=sum((p.unknown_s for p in parts), 0.0),
        unreachable_s=sum((p.unreachable_s for p in parts), 0.0),
        downtime_s=sum((p.downtime_s for p in parts), 0.0),
        outages=tuple(o for p in parts for o in p.outages),
        target=target,
    )


# --- link rates --------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float = 0.95) -> float | None:
    """Nearest rank: sort ascending, take the value at rank ceil(share x n) (1-based).
    For n = 100 that drops the 5 highest samples and takes the next, as billing does."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass(frozen=True)
class LinkUsage:
    capacity_bps: int
    samples: int
    expected_samples: int
    avg_in_bps: float | None
    avg_out_bps: float | None
    peak_bps: float | None
    p95_in_bps: float | None
    p95_out_bps: float | None
    hours_above_80: float

    @property
    def p95_bps(self) -> float | None:
        """The higher of the in and out 95th percentiles (the billing default)."""
        values = [v for v in (self.p95_in_bps, self.p95_out_bps) if v is not None]
        return max(values) if values else None

    @property
    def gap_samples(self) -> int:
        return max(0, self.expected_samples - self.samples)


# One 5-minute rollup as the store gives it: (start, average bits/s in, average bits/s out)
# over the bucket. A plain tuple: a month of them is a million, read straight off the cursor.
Point = tuple[float, float, float]
_IN, _OUT = itemgetter(1), itemgetter(2)


def busy_spans(points: Sequence[Point], capacity_bps: int) -> list[tuple[float, float]]:
    """The 5-minute buckets above 80% of the contract (the busier direction), merged where
    they follow each other: the spans a report asks the flows about."""
    limit = 0.8 * capacity_bps
    spans: list[tuple[float, float]] = []
    for start, in_bps, out_bps in sorted(points):
        if max(in_bps, out_bps) <= limit:
            continue
        if spans and spans[-1][1] == start:
            spans[-1] = (spans[-1][0], start + BUCKET_S)
        else:
            spans.append((start, start + BUCKET_S))
    return spans


def link_usage(points: Sequence[Point], period: Period, capacity_bps: int) -> LinkUsage:
    start, end = period.start, period.end
    inside = [p for p in points if start <= p[0] < end]
    ins = list(map(_IN, inside))
    outs = list(map(_OUT, inside))
    highs = list(map(max, ins, outs))  # the busier direction of each bucket
    limit = 0.8 * capacity_bps
    busy = sum(1 for h in highs if h > limit)
    return LinkUsage(
        capacity_bps=capacity_bps,
        samples=len(inside),
        expected_samples=int(period.seconds // BUCKET_S),
        avg_in_bps=sum(ins) / len(ins) if ins else None,
        avg_out_bps=sum(outs) / len(outs) if outs else None,
        peak_bps=max(highs, default=None),
        p95_in_bps=percentile(ins),
        p95_out_bps=percentile(outs),
        hours_above_80=busy * BUCKET_S / 3600,
    )
