"""Each device's network series as exposition text, written when its poll lands, so a scrape
is a copy of what is already written, whatever the number of devices.

The series are the table's written families (`families.WRITTEN_FAMILIES`; a test checks them
sample for sample against a reference built from prometheus_client families): the device's
state and poll figures, its interfaces, and the links it measures. A fragment is rewritten
when the device is polled and when the state of the device or of one of its links changes (a
poll of its BTS can make it UNREACHABLE); a fragment older than the device's last poll is
rewritten at the scrape.

Bytes that carry nothing are left out: a label with an empty value (the same as no label to
Prometheus, so a device's `sys_name=""` when it gives none), and `.0` on whole numbers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence

from noc.exporter.families import WRITTEN_FAMILIES
from noc.exporter.network import EXACT, _radio_name
from noc.exporter.render import _escape_value, _format_value
from noc.inventory import Inventory
from noc.inventory.profiles import ProfileError, load_profile
from noc.polling.availability import State, StateChange, Verdict
from noc.polling.events import Event, PollRecord, event_entity, is_link, link_key
from noc.polling.livestate import DeviceState, LiveState
from noc.snmp.vendors import identify

FAMILIES = WRITTEN_FAMILIES
INDEX = {f.name: i for i, f in enumerate(FAMILIES)}
HEADERS = [f.header() for f in FAMILIES]


def _num(value: float) -> str:
    """A sample value: whole numbers without `.0` (the same number to Prometheus)."""
    if value == value and abs(value) < 1e15 and value == int(value):
        return str(int(value))
    return _format_value(value)


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    return ",".join(f'{k}="{_escape_value(v)}"' for k, v in pairs if v != "")


def packets_by_device(inv: Inventory) -> dict[str, bool]:
    """Whether each device's polling profile asks for packet counters on /metrics."""
    wanted: dict[str, bool] = {}
    for name in {d.profile_name for d in inv.devices}:
        try:
            wanted[name] = load_profile(name).export_packets
        except ProfileError:
            wanted[name] = False
    return {d.name: wanted[d.profile_name] for d in inv.devices}


class DeviceFragments:
    """A sink of the live state's events that keeps each device's series written."""

    def __init__(self, live: LiveState) -> None:
        self.live = live
        inv = live.inv
        self.device_labels: dict[str, str] = {}
        self.base: dict[str, str] = {}
        for d in inv.devices:
            site = inv.site(d.site)
            self.device_labels[d.name] = _labels(
                [
                    ("device", d.name),
                    ("site", d.site),
                    ("kecamatan", site.kecamatan),
                    ("tier", d.tier.value),
                    ("role", d.role.value),
                ]
            )
            self.base[d.name] = _labels([("device", d.name)])
        self.link_labels: dict[str, str] = {}
        for ln in inv.links:
            site = inv.site(inv.device(ln.a.device).site)
            self.link_labels[ln.name] = _labels(
                [
                    ("link", ln.name),
                    ("medium", ln.medium.value),
                    ("tier", ln.tier.value),
                    ("device", ln.a.device),
                    ("interface", ln.a.interface),
                    ("site", site.name),
                    ("kecamatan", site.kecamatan),
                ]
            )
        self.device_of_link = {link_key(ln): ln.a.device for ln in inv.links}
        self.packets = packets_by_device(inv)
        self.parts: dict[str, tuple[tuple[int, int, Verdict | None], list[bytes]]] = {}
        self.renders = 0
        self._lock = threading.Lock()

    # --- the sink: written as polls land -------------------------------------------------

    def emit(self, events: Sequence[Event]) -> None:
        touched: set[str] = set()
        for event in events:
            if isinstance(event, PollRecord | StateChange):
                entity = event_entity(event)
                touched.add(self.device_of_link.get(entity, "") if is_link(entity) else entity)
        for name in touched:
            if name in self.device_labels:
                self.refresh(name)

    def refresh(self, name: str) -> None:
        dev = self.live.devices[name]
        key = (dev.polls, dev.failures, self.live.verdicts.get(name))
        text = self._render(name, dev)
        with self._lock:
            self.parts[name] = (key, text)
            self.renders += 1

    # --- the scrape: a copy -------------------------------------------------------------

    def chunks(self) -> Iterator[bytes]:
        """The network's device, interface and link series of the devices this collector
        holds, family by family."""
        live = self.live
        names = [n for n in live.devices if live.owns(n)]
        for name in names:  # never polled, or changed without an event: written now
            dev = live.devices[name]
            found = self.parts.get(name)
            if found is None or found[0] != (dev.polls, dev.failures, live.verdicts.get(name)):
                self.refresh(name)
        with self._lock:
            texts = [self.parts[n][1] for n in names if n in self.parts]
        for i, header in enumerate(HEADERS):
            yield header
            yield b"".join(t[i] for t in texts)

    # --- one device's text --------------------------------------------------------------

    def _render(self, name: str, dev: DeviceState) -> list[bytes]:
        out: list[list[str]] = [[] for _ in FAMILIES]
        live = self.live
        lab = self.device_labels[name]
        verdict = live.verdicts.get(name, Verdict(State.UNKNOWN))
        fam = out[INDEX["noc_device_state"]]
        for s in State:
            fam.append(f'noc_device_state{{{lab},state="{s.value}"}} {int(s is verdict.state)}\n')
        began = live.book.last_change.get(name, verdict.since)
        if began is not None:
            out[INDEX["noc_device_state_since_seconds"]].append(
                f'noc_device_state_since_seconds{{device="{_escape_value(name)}"}} {_num(began)}\n'
            )
        if verdict.state is State.UNREACHABLE and verdict.root_cause:
            out[INDEX["noc_device_behind"]].append(
                f'noc_device_behind{{{lab},root_cause="{_escape_value(verdict.root_cause)}"}} 1\n'
            )
        sample = dev.sample
        if sample is not None and sample.uptime_ticks is not None:
            out[INDEX["noc_device_uptime_seconds"]].append(
                f"noc_device_uptime_seconds{{{lab}}} {_num(sample.uptime_ticks / 100)}\n"
            )
        if sample is not None:
            for radio in sample.radios:
                if radio.signal_dbm is not None:
                    extra = _labels(
                        [("radio", radio.key), ("radio_name", _radio_name(sample, radio))]
                    )
                    out[INDEX["noc_radio_signal_dbm"]].append(
                        f"noc_radio_signal_dbm{{{lab},{extra}}} {_num(radio.signal_dbm)}\n"
                    )
        if dev.last_duration_s is not None:
            for key, value in (
                ("noc_device_poll_duration_seconds", dev.last_duration_s),
                ("noc_device_poll_timeouts", dev.last_stats.timeouts),
                ("noc_device_poll_retries", dev.last_stats.retries),
                ("noc_device_poll_varbinds", dev.last_stats.varbinds),
            ):
                out[INDEX[key]].append(f"{key}{{{lab}}} {_num(value)}\n")
        out[INDEX["noc_device_polls_total"]].append(
            f"noc_device_polls_total{{{lab}}} {dev.polls}\n"
        )
        out[INDEX["noc_device_poll_failures_total"]].append(
            f"noc_device_poll_failures_total{{{lab}}} {dev.failures}\n"
        )
        if dev.last_success is not None:
            out[INDEX["noc_device_last_success_timestamp_seconds"]].append(
                f"noc_device_last_success_timestamp_seconds{{{lab}}} {_num(dev.last_success)}\n"
            )
        if sample is not None:
            vendor, model = identify(sample.sys_object_id)
            descr = (sample.sys_descr or "").strip().splitlines()
            facts = _labels(
                [
                    ("device", name),
                    ("site", self.live.inv.device(name).site),
                    ("sys_name", sample.sys_name or ""),
                    ("sys_object_id", sample.sys_object_id or ""),
                    ("vendor", vendor or ""),
                    ("model", model or ""),
                    ("sys_descr", descr[0][:120] if descr else ""),
                ]
            )
            out[INDEX["noc_device_info"]].append(f"noc_device_info{{{facts}}} 1\n")
            self._interfaces(name, dev, out)
        self._links(name, out)
        return ["".join(lines).encode() for lines in out]

    def _interfaces(self, name: str, dev: DeviceState, out: list[list[str]]) -> None:
        sample = dev.sample
        assert sample is not None
        base = self.base[name]
        for index, iface in list(dev.interfaces.items()):
            lab = f'{base},interface="{_escape_value(iface.name)}"'
            raw = sample.counters.get(index)
            if raw is not None:
                octets = out[INDEX["noc_interface_octets_total"]]
                for direction, value in (("in", raw.in_octets), ("out", raw.out_octets)):
                    if value is not None:
                        octets.append(
                            f'noc_interface_octets_total{{{lab},direction="{direction}"}}'
                            f" {value % EXACT}\n"
                        )
                packets = out[INDEX["noc_interface_packets_total"]]
                casts = (
                    ("in", "unicast", raw.in_ucast),
                    ("out", "unicast", raw.out_ucast),
                    ("in", "multicast", raw.in_multicast),
                    ("out", "multicast", raw.out_multicast),
                    ("in", "broadcast", raw.in_broadcast),
                    ("out", "broadcast", raw.out_broadcast),
                )
                for direction, cast, value in casts if self.packets.get(name) else ():
                    if value is not None:
                        packets.append(
                            f'noc_interface_packets_total{{{lab},direction="{direction}"'
                            f',cast="{cast}"}} {value % EXACT}\n'
                        )
                for key, pair in (
                    ("errors", (raw.in_errors, raw.out_errors)),
                    ("discards", (raw.in_discards, raw.out_discards)),
                ):
                    family = out[INDEX[f"noc_interface_{key}_total"]]
                    for direction, value in zip(("in", "out"), pair, strict=True):
                        if value is not None:
                            family.append(
                                f"noc_interface_{key}_total{{{lab},direction="
                                f'"{direction}"}} {value % EXACT}\n'
                            )
            if iface.oper_status is not None:
                out[INDEX["noc_interface_oper_up"]].append(
                    f"noc_interface_oper_up{{{lab}}} {int(iface.oper_status == 1)}\n"
                )
            if iface.speed_bps:
                out[INDEX["noc_interface_speed_bytes_per_second"]].append(
                    f"noc_interface_speed_bytes_per_second{{{lab}}} {_num(iface.speed_bps / 8)}\n"
                )

    def _links(self, name: str, out: list[list[str]]) -> None:
        live = self.live
        dev = live.devices[name]
        for ln in live.links_by_device.get(name, []):
            if not live.owns(link_key(ln)):
                continue
            lab = self.link_labels[ln.name]
            current = live.state_of(link_key(ln)).state
            for s in State:
                out[INDEX["noc_link_state"]].append(
                    f'noc_link_state{{{lab},state="{s.value}"}} {int(s is current)}\n'
                )
            out[INDEX["noc_link_contracted_bytes_per_second"]].append(
                f"noc_link_contracted_bytes_per_second{{{lab}}} {_num(ln.capacity_bps / 8)}\n"
            )
            iface = dev.interface_named(ln.a.interface)
            if iface is None:
                continue
            for direction, value in (("in", iface.in_bps), ("out", iface.out_bps)):
                if value is not None:
                    out[INDEX["noc_link_throughput_bytes_per_second"]].append(
                        f'noc_link_throughput_bytes_per_second{{{lab},direction="{direction}"}}'
                        f" {_num(value / 8)}\n"
                    )
            if iface.utilisation is not None:
                out[INDEX["noc_link_utilisation_ratio"]].append(
                    f"noc_link_utilisation_ratio{{{lab}}} {_num(iface.utilisation)}\n"
                )
