"""The simulated network's time: the wall clock plus what the lab has been told to skip.

Counters, uptimes and the daily traffic curve are all read at this time, so `noc lab advance
SECONDS` (or the control command `advance`) moves the whole network forward at once: an hour
of traffic lands in the counters without waiting for it. Time never goes back.
"""

from __future__ import annotations

import time

MAX_STEP_S = 31 * 86400


class LabClock:
    def __init__(self) -> None:
        self.offset_s = 0.0

    def now(self) -> float:
        return time.time() + self.offset_s

    def advance(self, seconds: float) -> float:
        """Skip `seconds` (0 < seconds <= 31 days); the new time."""
        if not 0 < seconds <= MAX_STEP_S:
            raise ValueError(f"advance by more than 0 and at most {MAX_STEP_S} seconds")
        self.offset_s += seconds
        return self.now()
