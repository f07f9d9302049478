"""Which devices and links are inside a maintenance window at a given moment. Pure."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from noc.inventory.model import Inventory, MaintenanceWindow

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


def in_maintenance(inv: Inventory, now: float) -> frozenset[str]:
    """Device names (and `link:NAME` for links whose measuring device is covered) in a window."""
    zone = ZoneInfo(inv.network.timezone)
    devices: set[str] = set()
    for window in inv.maintenance:
        if window_active(window, now, zone):
            devices.update(window.devices)
            devices.update(d.name for d in inv.devices if d.site in window.sites)
    links = {f"link:{ln.name}" for ln in inv.links if ln.a.device in devices}
    return frozenset(devices | links)
