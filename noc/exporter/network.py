"""The network's scrape-time families: the inventory's sites, and the live state as a whole
(open incidents, discarded rates). Each device's own series are written as its poll lands
(`fragments`). Labels come from the inventory; no credential is ever a label or a help text."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import Metric
from prometheus_client.registry import Collector as PromCollector

from noc.exporter.families import family
from noc.polling.availability import State
from noc.polling.livestate import LiveState
from noc.polling.samples import DeviceSample, RadioSample

EXACT = 1 << 53


def _radio_name(sample: DeviceSample, radio: RadioSample) -> str:
    """`wlan1 4c:5e:0c:10:20:01`: the interface by name and the peer, else the table key."""
    found = sample.details.get(radio.if_index) if radio.if_index is not None else None
    parts = [p for p in (found.name if found else None, radio.peer) if p]
    return " ".join(parts) or radio.key


def _exact(value: int) -> float:
    return float(value % EXACT)


class SiteMetrics(PromCollector):
    """The sites of the inventory and the live state as a whole, built at scrape time."""

    def __init__(self, live: LiveState) -> None:
        self.live = live

    def collect(self) -> Iterator[Metric]:
        info = family("noc_site_info")
        # The coordinates as numbers too: a map reads values, not label text.
        lat = family("noc_site_latitude_degrees")
        lon = family("noc_site_longitude_degrees")
        for site in self.live.inv.sites:
            kind = site.kind.value
            coordinates = [str(site.lat), str(site.lon)]
            info.add_metric([site.name, kind, site.kecamatan, *coordinates, site.title], 1.0)
            lat.add_metric([site.name, kind], site.lat)
            lon.add_metric([site.name, kind], site.lon)
        yield from (info, lat, lon)
        incidents = family("noc_incidents_open")
        counts: dict[str, int] = {State.DOWN.value: 0, State.FLAPPING.value: 0}
        for incident in list(self.live.book.open.values()):
            counts[incident.state.value] = counts.get(incident.state.value, 0) + 1
        for key, count in counts.items():
            incidents.add_metric([key], float(count))
        yield incidents
        discarded = sum(d.discarded_rates for d in self.live.devices.values())
        yield family("noc_rates_discarded_total", float(discarded))
