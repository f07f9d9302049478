"""`noc serve` writing to a log (not a terminal): its line comes once a minute, and at once
when what is down changes, so the log says DOWN when `noc status` and the wall do."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.conftest import Lab
from tests.integration.test_crash import BTS, Serve

pytestmark = pytest.mark.integration


def test_the_line_comes_at_once_when_a_bts_goes_down(tmp_path: Path, lab: Lab) -> None:
    serve = Serve(tmp_path, f"sqlite:///{tmp_path / 'noc.db'}")
    serve.start()
    try:
        deadline = time.monotonic() + 60
        while "not polled yet" not in serve.log():  # the first line, at start
            assert time.monotonic() < deadline, serve.log()
            time.sleep(0.5)
        time.sleep(6)  # polled a few times, every device up
        lab.scenario(BTS, "down")
        started = time.monotonic()
        while f"DOWN {BTS}" not in serve.log():
            assert time.monotonic() - started < 30, serve.log()  # a minute before
            time.sleep(0.5)
        lab.scenario(BTS, "down", on=False)
        while "DOWN" in serve.log().strip().splitlines()[-1]:  # and once it is back
            assert time.monotonic() - started < 45, serve.log()
            time.sleep(0.5)
    finally:
        lab.scenario(BTS, "down", on=False)
        serve.kill(signal.SIGTERM)
