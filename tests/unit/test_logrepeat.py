"""A log line repeated many times a second is written once a minute, with a count."""

from __future__ import annotations

import logging

from noc.logrepeat import RepeatFilter


def test_a_repeated_line_passes_once_per_interval_with_the_count() -> None:
    now = [0.0]
    f = RepeatFilter(60.0, clock=lambda: now[0])

    def record(msg: str) -> logging.LogRecord:
        return logging.LogRecord("asyncio", logging.ERROR, __file__, 1, msg, None, None)

    passed = []
    for i in range(1000):
        now[0] = i * 0.1  # 100 s of one line every 0.1 s
        r = record("socket.accept() out of system resource")
        if f.filter(r):
            passed.append(r.getMessage())
    assert len(passed) == 2
    assert passed[1].endswith("(and 599 more like it in the last 60 s)")
    assert f.filter(record("another line"))
