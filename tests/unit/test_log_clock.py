"""One clock for what people read: log lines carry the network's zone, named."""

from __future__ import annotations

import logging

from noc.cli.common import ZoneFormatter


def test_log_times_are_wib_and_say_so() -> None:
    record = logging.LogRecord("noc", logging.WARNING, __file__, 1, "store away", None, None)
    record.created = 1_796_635_141.0  # 2026-12-07 09:19:01 UTC
    line = ZoneFormatter("%(asctime)s %(levelname)s %(message)s", "Asia/Jakarta").format(record)
    assert line == "2026-12-07 16:19:01 WIB WARNING store away"
