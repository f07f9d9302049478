"""5-minute rollups of rates: average and maximum in and out, with the sample count. Pure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

BUCKET_S = 300


@dataclass(frozen=True)
class Rollup:
    kind: str  # "link" or "interface"
    name: str
    bucket_start: float
    in_avg_bps: float
    in_max_bps: float
    out_avg_bps: float
    out_max_bps: float
    samples: int


@dataclass
class _Bucket:
    start: float
    in_sum: float = 0.0
    in_max: float = 0.0
    out_sum: float = 0.0
    out_max: float = 0.0
    samples: int = 0


class Rollups:
    """Accumulates rates per (kind, name); a bucket is emitted once time has moved past it."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, str], _Bucket] = {}

    def add(self, kind: str, name: str, at: float, in_bps: float, out_bps: float) -> list[Rollup]:
        start = at - at % BUCKET_S
        key = (kind, name)
        done: list[Rollup] = []
        bucket = self._open.get(key)
        if bucket is not None and bucket.start != start:
            done.append(_close(key, bucket))
            bucket = None
        if bucket is None:
            bucket = self._open[key] = _Bucket(start)
        bucket.in_sum += in_bps
        bucket.out_sum += out_bps
        bucket.in_max = max(bucket.in_max, in_bps)
        bucket.out_max = max(bucket.out_max, out_bps)
        bucket.samples += 1
        return done

    def flush(self, before: float | None = None) -> list[Rollup]:
        """Emit open buckets (those that started before `before`, or all)."""
        keys = [k for k, b in self._open.items() if before is None or b.start + BUCKET_S <= before]
        return [_close(k, self._open.pop(k)) for k in keys]

    def discard(self, which: Callable[[str, str], bool]) -> None:
        """Forget the open buckets of (kind, name) for which `which` is true."""
        for key in [k for k in self._open if which(*k)]:
            del self._open[key]


def _close(key: tuple[str, str], b: _Bucket) -> Rollup:
    return Rollup(
        kind=key[0],
        name=key[1],
        bucket_start=b.start,
        in_avg_bps=b.in_sum / b.samples,
        in_max_bps=b.in_max,
        out_avg_bps=b.out_sum / b.samples,
        out_max_bps=b.out_max,
        samples=b.samples,
    )
