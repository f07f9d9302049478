"""A reference rendering of each device's series (device, interface, link families) built as
prometheus_client families at scrape time, the slow and obvious way. The exporter writes these
series as text when each poll lands (`noc.exporter.fragments`); tests check the two sample for
sample. Names, helps and labels come from the families table, as the exporter's do."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import Metric
from prometheus_client.registry import Collector as PromCollector

from noc.exporter.families import family
from noc.exporter.fragments import packets_by_device
from noc.exporter.network import _exact, _radio_name
from noc.polling.availability import State, Verdict
from noc.polling.events import link_key
from noc.polling.livestate import DeviceState, LiveState
from noc.snmp.vendors import identify


class ReferenceDevices(PromCollector):
    def __init__(self, live: LiveState) -> None:
        self.live = live
        inv = live.inv
        self.device_labels = {
            d.name: [d.name, d.site, inv.site(d.site).kecamatan, d.tier.value, d.role.value]
            for d in inv.devices
        }

    def _owned(self) -> list[tuple[str, DeviceState]]:
        return [(n, d) for n, d in list(self.live.devices.items()) if self.live.owns(n)]

    def collect(self) -> Iterator[Metric]:
        yield from self._devices()
        yield from self._interfaces()
        yield from self._links()

    def _devices(self) -> Iterator[Metric]:
        c = self.live
        state = family("noc_device_state")
        uptime = family("noc_device_uptime_seconds")
        signal = family("noc_radio_signal_dbm")
        duration = family("noc_device_poll_duration_seconds")
        timeouts = family("noc_device_poll_timeouts")
        retries = family("noc_device_poll_retries")
        varbinds = family("noc_device_poll_varbinds")
        polls = family("noc_device_polls_total")
        failures = family("noc_device_poll_failures_total")
        success = family("noc_device_last_success_timestamp_seconds")
        since = family("noc_device_state_since_seconds")
        behind = family("noc_device_behind")
        facts = family("noc_device_info")
        # One copy of the verdicts for the whole scrape: the collector's loop runs on another
        # thread, and a BTS read before its recovery beside children read after it would
        # show the BTS down with nothing behind it.
        verdicts, changed = dict(c.verdicts), dict(c.book.last_change)
        for name, dev in self._owned():
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
                        signal.add_metric(
                            [*labels, radio.key, _radio_name(sample, radio)],
                            float(radio.signal_dbm),
                        )
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
                facts.add_metric(
                    [
                        name,
                        self.live.inv.device(name).site,
                        sample.sys_name or "",
                        sample.sys_object_id or "",
                        vendor or "",
                        model or "",
                        descr[0][:120] if descr else "",
                    ],
                    1.0,
                )
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
        counters = {
            key: family(f"noc_interface_{key}_total")
            for key in ("octets", "packets", "errors", "discards")
        }
        oper = family("noc_interface_oper_up")
        speed = family("noc_interface_speed_bytes_per_second")
        packets = packets_by_device(self.live.inv)
        for name, dev in self._owned():
            sample = dev.sample
            if sample is None:
                continue
            for index, iface in list(dev.interfaces.items()):
                labels = [name, iface.name]
                raw = sample.counters.get(index)
                if raw is not None:
                    for direction, value in (("in", raw.in_octets), ("out", raw.out_octets)):
                        if value is not None:
                            counters["octets"].add_metric([*labels, direction], _exact(value))
                    casts = (
                        ("in", "unicast", raw.in_ucast),
                        ("out", "unicast", raw.out_ucast),
                        ("in", "multicast", raw.in_multicast),
                        ("out", "multicast", raw.out_multicast),
                        ("in", "broadcast", raw.in_broadcast),
                        ("out", "broadcast", raw.out_broadcast),
                    )
                    for direction, cast, value in casts if packets[name] else ():
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
                if iface.speed_bps:
                    speed.add_metric(labels, iface.speed_bps / 8)
        yield from (*counters.values(), oper, speed)

    def _links(self) -> Iterator[Metric]:
        c = self.live
        inv = c.inv
        state = family("noc_link_state")
        contract = family("noc_link_contracted_bytes_per_second")
        bps = family("noc_link_throughput_bytes_per_second")
        util = family("noc_link_utilisation_ratio")
        for ln in inv.links:
            if not c.owns(link_key(ln)):
                continue  # another collector of the fleet exports it
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
            current = c.state_of(link_key(ln)).state
            for s in State:
                state.add_metric([*labels, s.value], 1.0 if s is current else 0.0)
            contract.add_metric(labels, ln.capacity_bps / 8)
            iface = c.devices[ln.a.device].interface_named(ln.a.interface)
            if iface is None:
                continue
            for direction, value in (("in", iface.in_bps), ("out", iface.out_bps)):
                if value is not None:
                    bps.add_metric([*labels, direction], value / 8)
            if iface.utilisation is not None:
                util.add_metric(labels, iface.utilisation)
        yield from (state, contract, bps, util)
