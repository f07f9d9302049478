"""Flow records into 1-minute buckets per site, application and direction; raw flows are never
kept. Pure, `now` passed in.

A record covering several minutes (MikroTik's active timeout is 30 minutes by default) is
spread over them by time, so a long download is a plateau, not a late spike. A record dated
far from the export's own clock (an exporter with its clock wrong) is dated when it arrived.
Late records for a minute already handed on are handed on again and added to it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from noc.flows.attribute import Attribution
from noc.flows.decode import FlowRecord

MINUTE = 60
MAX_SPREAD_S = 3600  # a record longer than this is taken as its last hour
MAX_SKEW_S = 3600  # a record dated further than this from its arrival is dated on arrival
TOP_WINDOW_S = 300


@dataclass(frozen=True)
class Row:
    """One bucket's increase: what the store adds to its row."""

    minute: int  # Unix seconds, a multiple of 60
    site: str
    app: str
    direction: str
    octets: int
    packets: int
    flows: int


@dataclass
class Aggregator:
    attribution: Attribution
    cells: dict[tuple[int, str, str, str], list[int]] = field(default_factory=dict)
    # Every byte on the uplink by minute and direction (the SNMP cross-check's side).
    uplink: Counter[tuple[int, str]] = field(default_factory=Counter)
    not_uplink: int = 0  # records of the exporter's other interfaces, left out

    def add(self, records: list[FlowRecord], now: float) -> None:
        cells, attribution = self.cells, self.attribution
        for r in records:
            if not attribution.crosses_uplink(r):
                self.not_uplink += 1
                continue
            place = attribution.place(r)
            end = r.end_ms / 1000
            if abs(end - now) > MAX_SKEW_S:
                start = end = now
            else:
                start = max(min(r.start_ms / 1000, end), end - MAX_SPREAD_S)
            last = int(end) // MINUTE * MINUTE
            first = int(start) // MINUTE * MINUTE
            span = end - start
            minute = first
            while minute <= last:
                if first == last or span <= 0:
                    share = 1.0
                else:
                    share = (min(end, minute + MINUTE) - max(start, minute)) / span
                key = (minute, place.site, place.app, place.direction)
                cell = cells.get(key)
                if cell is None:
                    cell = cells[key] = [0, 0, 0]
                octets = round(r.octets * share)
                cell[0] += octets
                cell[1] += round(r.packets * share)
                if minute == last:
                    cell[2] += 1
                self.uplink[(minute, place.direction)] += octets
                minute += MINUTE

    def take(self) -> list[Row]:
        """What every bucket gained since the last take: the store adds it to the bucket's row
        (so the current minute is in the store within a flush, and completed by the next)."""
        rows = [Row(*k, *v) for k, v in self.cells.items()]
        self.cells = {}
        return rows

    def take_uplink(self) -> dict[tuple[int, str], int]:
        out = dict(self.uplink)
        self.uplink.clear()
        return out
