"""Flows against SNMP on the uplink: over a 5-minute window that ended a settling time ago
(records of long flows arrive late), the bytes the flows counted beside the difference of the
interface's octet counters. A ratio off 1 by more than 10% (`NocFlowMismatch`) means the
exporter misses traffic (MikroTik exports only what its CPU routes) or a sampling rate is not
accounted for. Pure, `now` passed in.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

WINDOW_S = 300
MAX_SAMPLES = 512


@dataclass
class CrossCheck:
    settle_s: float = 120.0
    window_s: int = WINDOW_S
    # (when sampled, in + out octets) of the uplink's interface, oldest first
    samples: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=MAX_SAMPLES))
    flow_octets: int | None = None  # of the last window compared
    snmp_octets: int | None = None
    window_end: float | None = None

    def sample(self, at: float, octets: int) -> None:
        if not self.samples or at > self.samples[-1][0]:
            self.samples.append((at, octets))

    def _counter_at(self, t: float) -> float | None:
        """The counter at `t`, between the two samples around it (None: not bracketed, or the
        counter went back: a restart or a wrap)."""
        before = after = None
        for at, octets in self.samples:
            if at <= t:
                before = (at, octets)
            else:
                after = (at, octets)
                break
        if before is None or after is None or after[1] < before[1]:
            return None
        span = after[0] - before[0]
        return before[1] + (after[1] - before[1]) * (t - before[0]) / span

    def check(self, uplink: Mapping[tuple[int, str], int], now: float) -> None:
        """Compare the latest settled window, if both sides cover it."""
        end = int(now - self.settle_s) // 60 * 60
        start = end - self.window_s
        first, last = self._counter_at(start), self._counter_at(end)
        if (
            first is None
            or last is None
            or any(
                b[1] < a[1]
                for a, b in zip(self.samples, list(self.samples)[1:], strict=False)
                if start <= b[0] and a[0] <= end
            )
        ):
            return
        self.window_end = end
        self.snmp_octets = round(last - first)
        self.flow_octets = sum(v for (minute, _), v in uplink.items() if start <= minute < end)

    @property
    def ratio(self) -> float | None:
        if self.flow_octets is None or not self.snmp_octets:
            return None
        return self.flow_octets / self.snmp_octets
