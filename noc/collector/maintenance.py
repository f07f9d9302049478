"""Which devices and links are inside a maintenance window at a given moment. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from noc.inventory.model import Inventory, MaintenanceWindow
from noc.store.maintenance import StoredWindow

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def window_active(window: MaintenanceWindow, now: float, zone: ZoneInfo) -> bool:
    if window.start is not None and window.end is not None:
        return window.start.timestamp() <= now < window.end.timestamp()
    weekly = window.weekly
    if weekly is None:
        return False
    local = datetime.fromtimestamp(now, zone)
    # A window may start yesterday and run past midnight: check today's and yesterday's start.
    for back in (0, 1):
        day = (local - timedelta(days=back)).date()
        if DAYS[day.weekday()] not in weekly.days:
            continue
        start = datetime.combine(day, weekly.start, zone)
        if start <= local < start + timedelta(minutes=weekly.duration_min):
            return True
    return False


def in_maintenance(
    inv: Inventory, now: float, stored: Sequence[StoredWindow] = ()
) -> frozenset[str]:
    """Device names (and `link:NAME` for links whose measuring device is covered) in a window,
    from the inventory or added at run time (`stored`)."""
    zone = ZoneInfo(inv.network.timezone)
    devices: set[str] = set()
    for window in inv.maintenance:
        if window_active(window, now, zone):
            devices.update(window.devices)
            devices.update(d.name for d in inv.devices if d.site in window.sites)
    for extra in stored:
        if extra.start <= now < extra.end:
            devices.update(d.name for d in inv.devices if extra.covers(d.name, d.site))
    links = {f"link:{ln.name}" for ln in inv.links if ln.a.device in devices}
    return frozenset(devices | links)


def windows_between(
    inv: Inventory, device: str, start: float, end: float
) -> list[tuple[float, float]]:
    """Every maintenance window covering `device` that overlaps [start, end), as epoch pairs."""
    zone = ZoneInfo(inv.network.timezone)
    site = inv.device(device).site
    out: list[tuple[float, float]] = []
    for window in inv.maintenance:
        if device not in window.devices and site not in window.sites:
            continue
        if window.start is not None and window.end is not None:
            out.append((window.start.timestamp(), window.end.timestamp()))
            continue
        weekly = window.weekly
        if weekly is None:
            continue
        day = datetime.fromtimestamp(start, zone).date() - timedelta(days=1)
        last = datetime.fromtimestamp(end, zone).date()
        while day <= last:
            if DAYS[day.weekday()] in weekly.days:
                begin = datetime.combine(day, weekly.start, zone)
                out.append(
                    (
                        begin.timestamp(),
                        (begin + timedelta(minutes=weekly.duration_min)).timestamp(),
                    )
                )
            day += timedelta(days=1)
    return [(a, b) for a, b in out if b > start and a < end]
