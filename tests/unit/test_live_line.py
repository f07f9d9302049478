"""`noc serve`'s live line counts the polls of the last minute, printed a minute apart."""

from __future__ import annotations

import re
from dataclasses import dataclass

from noc.cli.collect import LiveLine
from tests.conftest import SMALL
from tests.fakes import simulated_poller


@dataclass
class Stats:
    polls: int = 0
    failures: int = 0


class Writer:
    def healthy(self) -> bool:
        return True


def test_polls_of_the_last_minute_when_printed_a_little_over_a_minute_apart() -> None:
    poller, _, clock = simulated_poller(SMALL)
    line = LiveLine(poller.inv)
    stats = Stats()
    line.render(poller, Stats(polls=10), Writer(), clock[0])
    stats = Stats(polls=16)
    text = line.render(poller, stats, Writer(), clock[0] + 60.02)
    assert re.search(r"\b6 polls in the last minute", text), text
    text = line.render(poller, Stats(polls=20), Writer(), clock[0] + 120.05)
    assert re.search(r"\b4 polls in the last minute", text), text
