"""Maintenance windows, one type for both kinds: the inventory's standing windows (one-off or
weekly) and those added at run time and kept in the store. Pure."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from noc.inventory.model import Inventory, MaintenanceWindow, WeeklySchedule
from noc.polling.events import link_key

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Window:
    """A window over devices and sites: once (`start`..`end`, epoch seconds) or `weekly` in
    the network's time zone. `id` is set for windows kept in the store."""

    name: str
    devices: frozenset[str]
    sites: frozenset[str]
    start: float | None = None
    end: float | None = None
    weekly: WeeklySchedule | None = None
    id: str | None = None

    @classmethod
    def of(cls, window: MaintenanceWindow) -> Window:
        return cls(
            window.name,
            frozenset(window.devices),
            frozenset(window.sites),
            window.start.timestamp() if window.start is not None else None,
            window.end.timestamp() if window.end is not None else None,
            window.weekly,
        )

    def covers(self, device: str, site: str) -> bool:
        return device in self.devices or site in self.sites

    def spans(self, start: float, end: float, zone: ZoneInfo) -> Iterator[tuple[float, float]]:
        """Every occurrence of the window overlapping [start, end), as epoch pairs."""
        if self.start is not None and self.end is not None:
            if self.end > start and self.start < end:
                yield self.start, self.end
            return
        weekly = self.weekly
        if weekly is None:
            return
        # An occurrence may start the day before and run past midnight.
        day = datetime.fromtimestamp(start, zone).date() - timedelta(days=1)
        last = datetime.fromtimestamp(end, zone).date()
        while day <= last:
            if DAYS[day.weekday()] in weekly.days:
                begin = datetime.combine(day, weekly.start, zone)
                a = begin.timestamp()
                b = (begin + timedelta(minutes=weekly.duration_min)).timestamp()
                if b > start and a < end:
                    yield a, b
            day += timedelta(days=1)

    def when(self, zone: ZoneInfo) -> tuple[str, str]:
        """Start and end as a person reads them in the network's zone (a weekly window's
        schedule in the first, nothing in the second)."""
        if self.weekly is not None:
            w = self.weekly
            days = ",".join(str(d) for d in w.days)
            return f"weekly {days} {w.start:%H:%M} for {w.duration_min} min", ""
        return tuple(  # type: ignore[return-value]
            _moment(t, zone) if t is not None else "" for t in (self.start, self.end)
        )

    def active_at(self, now: float, zone: ZoneInfo) -> bool:
        return any(True for _ in self.spans(now, now + 1e-6, zone))


def windows_of(inv: Inventory, stored: Sequence[Window] = ()) -> list[Window]:
    """The inventory's standing windows and those added at run time."""
    return [*(Window.of(w) for w in inv.maintenance), *stored]


class Coverage:
    """What each window covers, worked out once for an inventory: a device, its site's
    devices, and `link:NAME` for links whose measuring device is covered."""

    def __init__(self, inv: Inventory) -> None:
        self.inv = inv
        self.zone = ZoneInfo(inv.network.timezone)
        self._standing = [(w, self._covered(w)) for w in windows_of(inv)]
        self._stored: dict[Window, frozenset[str]] = {}
        self._last: tuple[float, tuple[Window, ...], frozenset[str]] | None = None

    def _covered(self, window: Window) -> frozenset[str]:
        devices = {d.name for d in self.inv.devices if window.covers(d.name, d.site)}
        links = {link_key(ln) for ln in self.inv.links if ln.a.device in devices}
        return frozenset(devices | links)

    def at(self, now: float, stored: Sequence[Window] = ()) -> frozenset[str]:
        """Every entity inside a window at `now`."""
        key = tuple(stored)
        if self._last is not None and self._last[0] == now and self._last[1] == key:
            return self._last[2]
        for w in stored:
            if w not in self._stored:
                self._stored[w] = self._covered(w)
        found: set[str] = set()
        for w, covered in [*self._standing, *((w, self._stored[w]) for w in stored)]:
            if w.active_at(now, self.zone):
                found |= covered
        self._last = (now, key, frozenset(found))
        return self._last[2]


def windows_between(
    inv: Inventory, device: str, start: float, end: float, stored: Sequence[Window] = ()
) -> list[tuple[float, float]]:
    """Every maintenance window covering `device` that overlaps [start, end), as epoch pairs."""
    zone = ZoneInfo(inv.network.timezone)
    site = inv.device(device).site
    return [
        span
        for w in windows_of(inv, stored)
        if w.covers(device, site)
        for span in w.spans(start, end, zone)
    ]


def _moment(at: float, zone: ZoneInfo) -> str:
    """A time as a person reads it; one no calendar holds (a window stored before dates were
    bounded) as its raw epoch seconds, never an error for every reader."""
    try:
        return f"{datetime.fromtimestamp(at, zone):%Y-%m-%d %H:%M}"
    except (ValueError, OverflowError, OSError):
        return f"@{at:.0f}"
