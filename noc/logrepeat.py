"""A log line repeated many times a second (a process out of file descriptors logs one per
refused accept, hundreds of MB in minutes) is written once per interval, with how many of it
were held back."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable


class RepeatFilter(logging.Filter):
    """The first record of a kind (logger, level, message before arguments) passes; the same
    kind again within `interval_s` is counted and held back; the next to pass says how many
    were held back."""

    def __init__(
        self,
        interval_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_kinds: int = 1000,
    ) -> None:
        super().__init__()
        self.interval_s = interval_s
        self.clock = clock
        self.max_kinds = max_kinds
        self._kinds: dict[tuple[str, int, str], tuple[float, int]] = {}  # -> (passed, held)
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        kind = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        with self._lock:
            passed, held = self._kinds.get(kind, (float("-inf"), 0))
            if now - passed < self.interval_s:
                self._kinds[kind] = (passed, held + 1)
                return False
            if len(self._kinds) >= self.max_kinds:
                self._kinds.clear()
            self._kinds[kind] = (now, 0)
        if held:
            record.msg = f"{record.msg} (and {held} more like it in the last {self.interval_s:g} s)"
        return True


def install(interval_s: float = 60.0) -> None:
    """On every handler of the root logger."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RepeatFilter) for f in handler.filters):
            handler.addFilter(RepeatFilter(interval_s))
