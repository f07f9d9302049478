"""The Prometheus exporter: metric families built from the collector's live state at scrape time.

Nothing registers itself on import and no gauge lives between scrapes: `NocMetrics.collect()`
reads the latest state and yields fresh families. Labels come from the inventory; no credential
is ever a label or part of a help text.

Rates and capacities are exported in bytes per second (Prometheus base units); dashboards
multiply by 8 to show the bits per second the NOC speaks in.

Counter values: Prometheus samples are float64, exact only up to 2^53. Like snmp_exporter we
export 64-bit counters modulo 2^53, so every sample is exact; a counter passing 2^53 (9 PB) looks
like a reset to rate(), which loses one scrape interval of increase, once in years.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector as PromCollector

from noc.collector.availability import State, Verdict
from noc.collector.engine import Collector
from noc.collector.samples import DeviceSample, RadioSample
from noc.collector.scheduler import CycleStats
from noc.dr.checks import DrReport, Readiness
from noc.snmp.vendors import identify
from noc.store.writer import StoreWriter

EXACT = 1 << 53
DEVICE_LABELS = ["device", "site", "kecamatan", "tier", "role"]
# Interface series are the bulk of a scrape (18 per interface): they carry only what finds
# them (device, site, interface, link); kecamatan, tier and role join from noc_device_state.
IFACE_LABELS = ["device", "site", "interface", "link"]
LINK_LABELS = ["link", "medium", "tier", "device", "interface", "site", "kecamatan"]

# The DR readiness family arrives with the DR checks; the alert rules are written against it.
DR_STATE_METRIC = "noc_dr_state"


def _radio_name(sample: DeviceSample, radio: RadioSample) -> str:
    """`wlan1 4c:5e:0c:10:20:01`: the interface by name and the peer, else the table key."""
    label = sample.labels.get(radio.if_index) if radio.if_index is not None else None
    parts = [p for p in (label.name if label else None, radio.peer) if p]
    return " ".join(parts) or radio.key


def _exact(value: int) -> float:
    return float(value % EXACT)


class NocMetrics(PromCollector):
    def __init__(
        self,
        collector: Collector,
        stats: CycleStats | None = None,
        writer: StoreWriter | None = None,
        dr: Callable[[], DrReport | None] | None = None,
    ) -> None:
        self.collector = collector
        self.dr = dr
        self.stats = stats
        self.writer = writer
        inv = collector.inv
        self.device_labels = {
            d.name: [d.name, d.site, inv.site(d.site).kecamatan, d.tier.value, d.role.value]
            for d in inv.devices
        }
        self.link_of = {(ln.a.device, ln.a.interface): ln.name for ln in inv.links}

    def collect(self) -> Iterator[Metric]:
        yield from self._sites()
        yield from self._devices()
        yield from self._interfaces()
        yield from self._links()
        yield from self._self_metrics()
        yield from self._dr()

    def _dr(self) -> Iterator[Metric]:
        report = self.dr() if self.dr is not None else None
        if report is None:
            return
        state = GaugeMetricFamily(
            DR_STATE_METRIC,
            "DR readiness from the last check: 1 for the current state (with its reason).",
            labels=["state", "reason"],
        )
        for readiness in Readiness:
            current = readiness is report.readiness
            state.add_metric([readiness.value, report.reason if current else ""], int(current))
        yield state
        checks = GaugeMetricFamily(
            "noc_dr_check_status",
            "Each DR readiness check: 0 ok, 1 warn, 2 fail.",
            labels=["check", "subject"],
        )
        for r in report.results:
            checks.add_metric([r.check, r.subject], {"ok": 0, "warn": 1, "fail": 2}[r.status])
        yield checks
        yield GaugeMetricFamily("noc_dr_last_check_timestamp_seconds",
                                "When the DR checks last ran.", value=report.at)  # fmt: skip

    def _sites(self) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "noc_site_info",
            "Sites of the inventory with their coordinates (always 1).",
            labels=["site", "kind", "kecamatan", "latitude", "longitude", "title"],
        )
        # The coordinates as numbers too: a map reads values, not label text.
        lat = GaugeMetricFamily("noc_site_latitude_degrees", "Latitude of the site.",
                                labels=["site", "kind"])  # fmt: skip
        lon = GaugeMetricFamily("noc_site_longitude_degrees", "Longitude of the site.",
                                labels=["site", "kind"])  # fmt: skip
        for site in self.collector.inv.sites:
            info.add_metric([site.name, site.kind.value, site.kecamatan, str(site.lat),
                             str(site.lon), site.title], 1.0)  # fmt: skip
            lat.add_metric([site.name, site.kind.value], site.lat)
            lon.add_metric([site.name, site.kind.value], site.lon)
        yield from (info, lat, lon)

    def _state_family(self, name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, doc, labels=[*labels, "state"])

    def _devices(self) -> Iterator[Metric]:
        c = self.collector
        state = self._state_family(
            "noc_device_state", "Device state: 1 for the current one.", DEVICE_LABELS
        )
        uptime = GaugeMetricFamily(
            "noc_device_uptime_seconds", "sysUpTime of the device.", labels=DEVICE_LABELS
        )
        signal = GaugeMetricFamily(
            "noc_radio_signal_dbm",
            "Radio signal of a wireless peer; `radio` identifies it, `radio_name` says it for "
            "people (the interface, and the peer's MAC where known).",
            labels=[*DEVICE_LABELS, "radio", "radio_name"],
        )
        duration = GaugeMetricFamily(
            "noc_device_poll_duration_seconds", "Duration of the last poll.", labels=DEVICE_LABELS
        )
        timeouts = GaugeMetricFamily(
            "noc_device_poll_timeouts", "Timeouts in the last poll.", labels=DEVICE_LABELS
        )
        retries = GaugeMetricFamily(
            "noc_device_poll_retries", "Retries in the last poll.", labels=DEVICE_LABELS
        )
        varbinds = GaugeMetricFamily(
            "noc_device_poll_varbinds", "Varbinds in the last poll.", labels=DEVICE_LABELS
        )
        polls = CounterMetricFamily(
            "noc_device_polls", "Polls of the device.", labels=DEVICE_LABELS
        )
        failures = CounterMetricFamily(
            "noc_device_poll_failures", "Polls that failed.", labels=DEVICE_LABELS
        )
        success = GaugeMetricFamily(
            "noc_device_last_success_timestamp_seconds",
            "When the device last answered a whole poll.",
            labels=DEVICE_LABELS,
        )
        since = GaugeMetricFamily(
            "noc_device_state_since_seconds",
            "When the device's current state began (Unix time).",
            labels=["device"],
        )
        behind = GaugeMetricFamily(
            "noc_device_behind",
            "1 for a device UNREACHABLE behind a root cause that is down (which it names).",
            labels=[*DEVICE_LABELS, "root_cause"],
        )
        facts = GaugeMetricFamily(
            "noc_device_info",
            "What the device says it is (always 1): sysName, sysObjectID, and the vendor and "
            "model the sysObjectID names; sysDescr's first line.",
            labels=["device", "sys_name", "sys_object_id", "vendor", "model", "sys_descr"],
        )
        # One copy of the verdicts for the whole scrape: the collector's loop runs on another
        # thread, and a BTS read before its recovery beside children read after it would
        # show the BTS down with nothing behind it.
        verdicts, changed = dict(c.verdicts), dict(c.book.last_change)
        for name, dev in list(c.devices.items()):
            labels = self.device_labels[name]
            verdict = verdicts.get(name, Verdict(State.UNKNOWN))
            current = verdict.state
            for s in State:
                state.add_metric([*labels, s.value], 1.0 if s is current else 0.0)
            began = changed.get(name, verdict.since)
            if began is not None:
                since.add_metric([name], began)
            if current is State.UNREACHABLE and verdict.root_cause:
                behind.add_metric([*labels, verdict.root_cause], 1.0)
            sample = dev.sample
            if sample is not None and sample.uptime_ticks is not None:
                uptime.add_metric(labels, sample.uptime_ticks / 100)
            if sample is not None:
                for radio in sample.radios:
                    if radio.signal_dbm is not None:
                        signal.add_metric([*labels, radio.key, _radio_name(sample, radio)],
                                          float(radio.signal_dbm))  # fmt: skip
            if dev.last_duration_s is not None:
                duration.add_metric(labels, dev.last_duration_s)
                timeouts.add_metric(labels, float(dev.last_stats.timeouts))
                retries.add_metric(labels, float(dev.last_stats.retries))
                varbinds.add_metric(labels, float(dev.last_stats.varbinds))
            polls.add_metric(labels, float(dev.polls))
            failures.add_metric(labels, float(dev.failures))
            if dev.last_success is not None:
                success.add_metric(labels, dev.last_success)
            if sample is not None:
                vendor, model = identify(sample.sys_object_id)
                descr = (sample.sys_descr or "").strip().splitlines()
                facts.add_metric([name, sample.sys_name or "", sample.sys_object_id or "",
                                  vendor or "", model or "", descr[0][:120] if descr else ""],
                                 1.0)  # fmt: skip
        yield from (
            state,
            uptime,
            signal,
            duration,
            timeouts,
            retries,
            varbinds,
            polls,
            failures,
            success,
            facts,
            since,
            behind,
        )

    def _interfaces(self) -> Iterator[Metric]:
        c = self.collector
        counters = {
            key: CounterMetricFamily(f"noc_interface_{key}", doc, labels=[*IFACE_LABELS, *extra])
            for key, doc, extra in (
                ("octets", "Octets through the interface (bytes).", ["direction"]),
                ("packets", "Packets through the interface.", ["direction", "cast"]),
                ("errors", "Packets in error.", ["direction"]),
                ("discards", "Packets discarded.", ["direction"]),
            )
        }
        oper = GaugeMetricFamily(
            "noc_interface_oper_up", "1 when ifOperStatus is up.", labels=IFACE_LABELS
        )
        admin = GaugeMetricFamily(
            "noc_interface_admin_up", "1 when ifAdminStatus is up.", labels=IFACE_LABELS
        )
        bps = GaugeMetricFamily(
            "noc_interface_throughput_bytes_per_second",
            "Rate over the last poll interval.",
            labels=[*IFACE_LABELS, "direction"],
        )
        util = GaugeMetricFamily(
            "noc_interface_utilisation_ratio",
            "Higher of in/out over the contract (else the port speed).",
            labels=IFACE_LABELS,
        )
        speed = GaugeMetricFamily(
            "noc_interface_speed_bytes_per_second", "Port speed.", labels=IFACE_LABELS
        )
        for name, dev in list(c.devices.items()):
            sample = dev.sample
            if sample is None:
                continue
            base = self.device_labels[name][:2]
            for index, iface in list(dev.interfaces.items()):
                labels = [*base, iface.name, self.link_of.get((name, iface.name), "")]
                raw = sample.counters.get(index)
                if raw is not None:
                    for direction, value in (("in", raw.in_octets), ("out", raw.out_octets)):
                        if value is not None:
                            counters["octets"].add_metric([*labels, direction], _exact(value))
                    for direction, cast, value in (
                        ("in", "unicast", raw.in_ucast),
                        ("out", "unicast", raw.out_ucast),
                        ("in", "multicast", raw.in_multicast),
                        ("out", "multicast", raw.out_multicast),
                        ("in", "broadcast", raw.in_broadcast),
                        ("out", "broadcast", raw.out_broadcast),
                    ):
                        if value is not None:
                            counters["packets"].add_metric(
                                [*labels, direction, cast], _exact(value)
                            )
                    for key, pair in (
                        ("errors", (raw.in_errors, raw.out_errors)),
                        ("discards", (raw.in_discards, raw.out_discards)),
                    ):
                        for direction, value in zip(("in", "out"), pair, strict=True):
                            if value is not None:
                                counters[key].add_metric([*labels, direction], _exact(value))
                if iface.oper_status is not None:
                    oper.add_metric(labels, 1.0 if iface.oper_status == 1 else 0.0)
                if iface.admin_status is not None:
                    admin.add_metric(labels, 1.0 if iface.admin_status == 1 else 0.0)
                for direction, rate in (("in", iface.in_bps), ("out", iface.out_bps)):
                    if rate is not None:
                        bps.add_metric([*labels, direction], rate / 8)
                if iface.utilisation is not None:
                    util.add_metric(labels, iface.utilisation)
                if iface.speed_bps:
                    speed.add_metric(labels, iface.speed_bps / 8)
        yield from (*counters.values(), oper, admin, bps, util, speed)

    def _links(self) -> Iterator[Metric]:
        c = self.collector
        inv = c.inv
        state = self._state_family(
            "noc_link_state", "Link state: 1 for the current one.", LINK_LABELS
        )
        contract = GaugeMetricFamily(
            "noc_link_contracted_bytes_per_second",
            "Contracted capacity of the link.",
            labels=LINK_LABELS,
        )
        bps = GaugeMetricFamily(
            "noc_link_throughput_bytes_per_second",
            "Rate measured at the link's a end.",
            labels=[*LINK_LABELS, "direction"],
        )
        util = GaugeMetricFamily(
            "noc_link_utilisation_ratio",
            "Higher of in/out over the contracted capacity.",
            labels=LINK_LABELS,
        )
        for ln in inv.links:
            device = inv.device(ln.a.device)
            site = inv.site(device.site)
            labels = [
                ln.name,
                ln.medium.value,
                ln.tier.value,
                ln.a.device,
                ln.a.interface,
                site.name,
                site.kecamatan,
            ]
            current = c.state_of(f"link:{ln.name}").state
            for s in State:
                state.add_metric([*labels, s.value], 1.0 if s is current else 0.0)
            contract.add_metric(labels, ln.capacity_bps / 8)
            iface = c.devices[ln.a.device].interface_named(ln.a.interface)
            if iface is None:
                continue
            for direction, value in (("in", iface.in_bps), ("out", iface.out_bps)):
                if value is not None:
                    bps.add_metric([*labels, direction], value / 8)
            if iface.in_bps is not None or iface.out_bps is not None:
                peak = max(iface.in_bps or 0.0, iface.out_bps or 0.0)
                util.add_metric(labels, peak / ln.capacity_bps)
        yield from (state, contract, bps, util)

    def _self_metrics(self) -> Iterator[Metric]:
        c = self.collector
        incidents = GaugeMetricFamily(
            "noc_incidents_open", "Open incidents by state.", labels=["state"]
        )
        counts: dict[str, int] = {State.DOWN.value: 0, State.FLAPPING.value: 0}
        for incident in list(c.book.open.values()):
            counts[incident.state.value] = counts.get(incident.state.value, 0) + 1
        for key, count in counts.items():
            incidents.add_metric([key], float(count))
        yield incidents
        discarded = CounterMetricFamily(
            "noc_rates_discarded", "Rates above the physical speed, discarded."
        )
        discarded.add_metric([], float(sum(d.discarded_rates for d in c.devices.values())))
        yield discarded
        if self.stats is not None:
            s = self.stats
            yield CounterMetricFamily("noc_collector_polls", "Polls started.", value=s.polls)
            yield CounterMetricFamily(
                "noc_collector_poll_failures", "Polls failed.", value=s.failures
            )
            yield CounterMetricFamily(
                "noc_collector_late_polls",
                "Turns skipped because the previous poll of that device was still running.",
                value=s.late,
            )
            durations = list(s.durations.values())
            yield GaugeMetricFamily(
                "noc_collector_poll_duration_max_seconds",
                "Longest last-poll duration over all devices.",
                value=max(durations, default=0.0),
            )
            if s.last_success_at is not None:
                yield GaugeMetricFamily(
                    "noc_collector_last_success_timestamp_seconds",
                    "When a poll last succeeded.",
                    value=s.last_success_at,
                )
        if self.writer is not None:
            w = self.writer
            yield GaugeMetricFamily(
                "noc_store_up",
                "1 when the store keeps up: the last write worked and no event has waited "
                "30 s or more.",
                value=1.0 if w.healthy() else 0.0,
            )
            yield GaugeMetricFamily(
                "noc_store_oldest_pending_seconds",
                "Age of the oldest event not yet written to the store.",
                value=w.oldest_pending_s(),
            )
            yield CounterMetricFamily(
                "noc_store_rejected_rows",
                "Rows the store refused for their content, set aside with the reason.",
                value=float(w.stats.rejected),
            )
            yield GaugeMetricFamily(
                "noc_store_pending_events", "Events waiting to be written.", value=float(w.pending)
            )
            yield CounterMetricFamily(
                "noc_store_dropped_events",
                "Events dropped because the buffer was full.",
                value=w.stats.dropped,
            )


def registry_for(metrics: NocMetrics) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(metrics)
    return registry


def _escape_value(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _format_value(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def render(families: Iterable[Metric]) -> bytes:
    """The text exposition format (0.0.4) of `families`, as generate_latest writes it but several
    times faster: label values repeat (device, site, interface names), so each is escaped once
    per scrape, and nothing is sorted."""
    escaped: dict[str, str] = {}
    out: list[str] = []
    for family in families:
        name = f"{family.name}_total" if family.type == "counter" else family.name
        doc = family.documentation.replace("\\", r"\\").replace("\n", r"\n")
        out.append(f"# HELP {name} {doc}\n# TYPE {name} {family.type}\n")
        for sample in family.samples:
            if sample.labels:
                parts = []
                for key, value in sample.labels.items():
                    text = escaped.get(value)
                    if text is None:
                        text = escaped[value] = _escape_value(value)
                    parts.append(f'{key}="{text}"')
                out.append(f"{sample.name}{{{','.join(parts)}}} {_format_value(sample.value)}\n")
            else:
                out.append(f"{sample.name} {_format_value(sample.value)}\n")
    return "".join(out).encode()
