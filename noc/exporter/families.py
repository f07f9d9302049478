"""Every series the toolkit exports, defined once: name, type, help, labels and where it comes
from. The per-device fragments take their headers from it, every metric source builds its
families from it, and `docs/metrics.md` is generated from it (`make docs`; a test fails when the
page drifts). A family yielded anywhere that is not in this table, or differs from it, fails the
exporter's tests.

`make docs` rewrites the page's table.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

Kind = Literal["gauge", "counter", "histogram"]
# Where a family comes from. `device`, `interface` and `link` are written per device as its
# poll lands (noc.exporter.fragments); the others are built at scrape time.
Source = Literal[
    "device",
    "interface",
    "link",
    "site",
    "network",
    "collector",
    "store",
    "fleet",
    "dr",
    "relay",
    "config",
    "events",
    "services",
    "topology",
    "flows",
]
WRITTEN: tuple[Source, ...] = ("device", "interface", "link")

DEVICE_LABELS = ("device", "site", "kecamatan", "tier", "role")
# Interface series are the bulk of a scrape: they carry only what finds them (device,
# interface). The site joins from noc_device_info (`* on (device) group_left (site)`), the
# link from the link's series (`noc_link_state` has device and interface), and kecamatan,
# tier and role from noc_device_state.
IFACE_LABELS = ("device", "interface")
LINK_LABELS = ("link", "medium", "tier", "device", "interface", "site", "kecamatan")
STATES = "up, down, unreachable, unknown, maintenance, flapping"


@dataclass(frozen=True)
class Family:
    name: str  # as exposed: counters end in `_total`
    kind: Kind
    help: str
    labels: tuple[str, ...]
    source: Source

    @property
    def base(self) -> str:
        """The name prometheus_client is given (it adds `_total` to a counter's samples)."""
        return self.name.removesuffix("_total") if self.kind == "counter" else self.name

    def header(self) -> bytes:
        help_text = self.help.replace("\\", r"\\").replace("\n", r"\n")
        return f"# HELP {self.name} {help_text}\n# TYPE {self.name} {self.kind}\n".encode()

    def make(self, value: float | None = None) -> Any:
        """An empty family of this definition (or, without labels, one holding `value`)."""
        labels = list(self.labels) if value is None else None
        if self.kind == "histogram":
            return HistogramMetricFamily(self.base, self.help, labels=labels)
        if self.kind == "counter":
            return CounterMetricFamily(self.base, self.help, value=value, labels=labels)
        return GaugeMetricFamily(self.base, self.help, value=value, labels=labels)


def _f(name: str, kind: Kind, help_text: str, labels: tuple[str, ...], source: Source) -> Family:
    return Family(name, kind, help_text, labels, source)


D, IF, L = DEVICE_LABELS, IFACE_LABELS, LINK_LABELS
FAMILIES: tuple[Family, ...] = (
    # --- written per device, in this order ------------------------------------------------
    _f(
        "noc_device_state", "gauge", "Device state: 1 for the current one.", (*D, "state"), "device"
    ),
    _f("noc_device_uptime_seconds", "gauge", "sysUpTime of the device.", D, "device"),
    _f(
        "noc_radio_signal_dbm",
        "gauge",
        "Radio signal of a wireless peer; `radio` identifies it, `radio_name` says it for people "
        "(the interface, and the peer's MAC where known).",
        (*D, "radio", "radio_name"),
        "device",
    ),
    _f("noc_device_poll_duration_seconds", "gauge", "Duration of the last poll.", D, "device"),
    _f("noc_device_poll_timeouts", "gauge", "Timeouts in the last poll.", D, "device"),
    _f("noc_device_poll_retries", "gauge", "Retries in the last poll.", D, "device"),
    _f("noc_device_poll_varbinds", "gauge", "Varbinds in the last poll.", D, "device"),
    _f("noc_device_polls_total", "counter", "Polls of the device.", D, "device"),
    _f("noc_device_poll_failures_total", "counter", "Polls that failed.", D, "device"),
    _f(
        "noc_device_last_success_timestamp_seconds",
        "gauge",
        "When the device last answered a whole poll.",
        D,
        "device",
    ),
    _f(
        "noc_device_info",
        "gauge",
        "What the device says it is (always 1): sysName, sysObjectID, and the vendor and model the "
        "sysObjectID names; sysDescr's first line. With its site, for the interface series to "
        "join (`* on (device) group_left (site) noc_device_info`).",
        ("device", "site", "sys_name", "sys_object_id", "vendor", "model", "sys_descr"),
        "device",
    ),
    _f(
        "noc_device_state_since_seconds",
        "gauge",
        "When the device's current state began (Unix time).",
        ("device",),
        "device",
    ),
    _f(
        "noc_device_behind",
        "gauge",
        "1 for a device UNREACHABLE behind a root cause that is down (which it names).",
        (*D, "root_cause"),
        "device",
    ),
    _f(
        "noc_interface_octets_total",
        "counter",
        "Octets through the interface (bytes).",
        (*IF, "direction"),
        "interface",
    ),
    _f(
        "noc_interface_packets_total",
        "counter",
        "Packets through the interface, by cast: only for devices whose polling profile sets "
        "`export_packets` (six series an interface).",
        (*IF, "direction", "cast"),
        "interface",
    ),
    _f(
        "noc_interface_errors_total",
        "counter",
        "Packets in error.",
        (*IF, "direction"),
        "interface",
    ),
    _f(
        "noc_interface_discards_total",
        "counter",
        "Packets discarded.",
        (*IF, "direction"),
        "interface",
    ),
    _f("noc_interface_oper_up", "gauge", "1 when ifOperStatus is up.", IF, "interface"),
    _f("noc_interface_speed_bytes_per_second", "gauge", "Port speed.", IF, "interface"),
    _f("noc_link_state", "gauge", "Link state: 1 for the current one.", (*L, "state"), "link"),
    _f(
        "noc_link_contracted_bytes_per_second",
        "gauge",
        "Contracted capacity of the link.",
        L,
        "link",
    ),
    _f(
        "noc_link_throughput_bytes_per_second",
        "gauge",
        "Rate measured at the link's a end.",
        (*L, "direction"),
        "link",
    ),
    _f(
        "noc_link_utilisation_ratio",
        "gauge",
        "Higher of in/out over the contracted capacity.",
        L,
        "link",
    ),
    # --- built at scrape time -------------------------------------------------------------
    _f(
        "noc_site_info",
        "gauge",
        "Sites of the inventory with their coordinates (always 1).",
        ("site", "kind", "kecamatan", "latitude", "longitude", "title"),
        "site",
    ),
    _f("noc_site_latitude_degrees", "gauge", "Latitude of the site.", ("site", "kind"), "site"),
    _f("noc_site_longitude_degrees", "gauge", "Longitude of the site.", ("site", "kind"), "site"),
    _f("noc_incidents_open", "gauge", "Open incidents by state.", ("state",), "network"),
    _f(
        "noc_rates_discarded_total",
        "counter",
        "Rates above the physical speed, discarded.",
        (),
        "network",
    ),
    _f(
        "noc_collector_info",
        "gauge",
        "This collector of the fleet, with its site (always 1). Its network series cover only the "
        "poll domains it holds now.",
        ("collector", "site"),
        "fleet",
    ),
    _f(
        "noc_fleet_domains_held",
        "gauge",
        "Poll domains (a BTS or fibre point with what is behind it, or a site) this collector "
        "holds a lease on.",
        (),
        "fleet",
    ),
    _f(
        "noc_fleet_store_up",
        "gauge",
        "1 when the last lease round reached the store (else nothing is taken).",
        (),
        "fleet",
    ),
    _f(
        "noc_fleet_starved",
        "gauge",
        "1 when this collector holds no poll domain while there is work: its lease rounds fail, "
        "or domains lie free (it polls nothing).",
        (),
        "fleet",
    ),
    _f(
        "noc_clock_offset_seconds",
        "gauge",
        "This host's clock minus the store's, measured every lease round. Beyond the bound "
        "(NOC_MAX_CLOCK_OFFSET_S) it writes nothing dated by it and polls nothing.",
        (),
        "fleet",
    ),
    _f("noc_collector_polls_total", "counter", "Polls started.", (), "collector"),
    _f("noc_collector_poll_failures_total", "counter", "Polls failed.", (), "collector"),
    _f(
        "noc_collector_late_polls_total",
        "counter",
        "Turns skipped because the previous poll of that device was still running.",
        (),
        "collector",
    ),
    _f(
        "noc_collector_poll_duration_max_seconds",
        "gauge",
        "Longest last-poll duration over all devices.",
        (),
        "collector",
    ),
    _f(
        "noc_collector_last_success_timestamp_seconds",
        "gauge",
        "When a poll last succeeded.",
        (),
        "collector",
    ),
    _f(
        "noc_store_up",
        "gauge",
        "1 when the store keeps up: the last write worked and no event has waited 30 s or more.",
        (),
        "store",
    ),
    _f(
        "noc_store_oldest_pending_seconds",
        "gauge",
        "Age of the oldest event not yet written to the store.",
        (),
        "store",
    ),
    _f(
        "noc_store_rejected_rows_total",
        "counter",
        "Rows the store refused for their content, set aside with the reason.",
        (),
        "store",
    ),
    _f("noc_store_pending_events", "gauge", "Events waiting to be written.", (), "store"),
    _f(
        "noc_store_dropped_events_total",
        "counter",
        "Events dropped because the buffer was full.",
        (),
        "store",
    ),
    _f(
        "noc_store_fenced_events_total",
        "counter",
        "Events not written because another collector of the fleet holds their poll domain now "
        "(kept beside the journal).",
        (),
        "store",
    ),
    _f(
        "noc_dr_state",
        "gauge",
        "DR readiness from the last check: 1 for the current state (with its reason).",
        ("state", "reason"),
        "dr",
    ),
    _f(
        "noc_dr_check_status",
        "gauge",
        "Each DR readiness check: 0 ok, 1 warn, 2 fail.",
        ("check", "subject"),
        "dr",
    ),
    _f(
        "noc_dr_last_check_timestamp_seconds",
        "gauge",
        "When the DR checks last ran.",
        (),
        "dr",
    ),
    _f(
        "noc_dr_vantage_sees_primary",
        "gauge",
        "Each vantage point of the failover quorum: 1 when it sees the primary site, 0 when it "
        "does not (absent when it did not report).",
        ("vantage",),
        "dr",
    ),
    _f(
        "noc_dr_failover_recommended",
        "gauge",
        "1 when the failover policy recommends failing over to the DR site (a quorum of vantage "
        "points sees the primary down past the hold time, the DR site READY).",
        (),
        "dr",
    ),
    _f(
        "noc_relay_waiting_messages",
        "gauge",
        "Messages for a gateway receiver not yet taken by it.",
        ("receiver",),
        "relay",
    ),
    _f(
        "noc_relay_oldest_waiting_seconds",
        "gauge",
        "How long the oldest waiting message has waited.",
        ("receiver",),
        "relay",
    ),
    _f(
        "noc_relay_sent_messages_total",
        "counter",
        "Messages the gateway took (a summary counts once).",
        ("receiver",),
        "relay",
    ),
    _f(
        "noc_relay_failed_messages_total",
        "counter",
        "Messages the gateway did not take (each is tried again).",
        ("receiver",),
        "relay",
    ),
    _f(
        "noc_config_backup_ok",
        "gauge",
        "1 when the device's last configuration backup was read whole, 0 when it failed (the "
        "reason is in `noc config backup` and var/config/status.json).",
        ("device",),
        "config",
    ),
    _f(
        "noc_config_last_backup_timestamp_seconds",
        "gauge",
        "When the device's configuration was last read whole (absent before the first).",
        ("device",),
        "config",
    ),
    _f(
        "noc_config_rule_ok",
        "gauge",
        "Each compliance rule of config-rules.yaml that applies to the device: 1 when its kept "
        "configuration complies, 0 when it does not (`noc config check` names the line).",
        ("device", "rule"),
        "config",
    ),
    _f(
        "noc_events_received_total",
        "counter",
        "Traps and informs (`trap`) and syslog messages (`syslog`) that reached the collector.",
        ("transport",),
        "events",
    ),
    _f(
        "noc_events_processed_total",
        "counter",
        "Messages decoded, matched (or kept as from an unknown source) and logged.",
        ("transport",),
        "events",
    ),
    _f(
        "noc_events_dropped_total",
        "counter",
        "Messages dropped, by reason: rate limit, queue full, malformed, unknown community, "
        "v3 wrong authentication, not syslog, ...",
        ("transport", "reason"),
        "events",
    ),
    _f(
        "noc_events_unknown_source_total",
        "counter",
        "Messages from no device of the inventory (kept: `noc events --unknown`).",
        (),
        "events",
    ),
    _f(
        "noc_service_up",
        "gauge",
        "A service as its vantage points' quorum judges it: 1 up, 0 down or unreachable behind "
        "the server it runs on (from the collector that judges it).",
        ("service",),
        "services",
    ),
    _f(
        "noc_service_state",
        "gauge",
        f"A service's state: 1 for the current one ({STATES}).",
        ("service", "state"),
        "services",
    ),
    _f(
        "noc_service_target_ratio",
        "gauge",
        "A service's availability target (0.99982 for the SPBE's 99.982%).",
        ("service",),
        "services",
    ),
    _f(
        "noc_service_check_ok",
        "gauge",
        "The last result of one check of a service from this vantage point: 1 passed, 0 failed.",
        ("service", "check", "kind", "vantage"),
        "services",
    ),
    _f(
        "noc_service_check_duration_seconds",
        "histogram",
        "How long the checks of a service take from this vantage point, by kind.",
        ("service", "kind"),
        "services",
    ),
    _f(
        "noc_service_certificate_expiry_days",
        "gauge",
        "Days until a certificate of a service expires, for every certificate of every hop's "
        "chain: `host` the hop, `position` 0 for the server's own, 1 and up for intermediates.",
        ("service", "host", "position", "subject"),
        "services",
    ),
    _f(
        "noc_service_icmp_rtt_seconds",
        "gauge",
        "Round-trip times of a service's last echo requests: `stat` min, median or max.",
        ("service", "stat"),
        "services",
    ),
    _f(
        "noc_service_icmp_loss_ratio",
        "gauge",
        "Share of a service's last echo requests that went unanswered.",
        ("service",),
        "services",
    ),
    _f(
        "noc_service_vantage_uplink_up",
        "gauge",
        "This vantage point's own uplink (its canary answers): 0 means its votes do not count.",
        ("vantage",),
        "services",
    ),
    _f(
        "noc_topology_drift",
        "gauge",
        "Findings of the last drift check, by kind: `device` (one answers that the inventory "
        "lacks), `link` (a link it lacks), `parent` (a parent no longer adjacent).",
        ("kind",),
        "topology",
    ),
    _f(
        "noc_topology_checked_timestamp_seconds",
        "gauge",
        "When the devices' neighbour tables were last compared with the inventory.",
        (),
        "topology",
    ),
    _f(
        "noc_flow_datagrams_total",
        "counter",
        "Flow export datagrams decoded, by version (`5`, `9`, `10` for IPFIX).",
        ("version",),
        "flows",
    ),
    _f(
        "noc_flow_records_total",
        "counter",
        "Flow records decoded (counted in the buckets when from the uplink's exporter).",
        (),
        "flows",
    ),
    _f(
        "noc_flow_dropped_total",
        "counter",
        "Flow datagrams or sets dropped, by reason: malformed, unknown exporter, template "
        "unknown (a set that waited for its template in vain), queue full, ...",
        ("reason",),
        "flows",
    ),
    _f(
        "noc_flow_templates",
        "gauge",
        "Templates and option templates held, over every exporter and observation domain.",
        (),
        "flows",
    ),
    _f(
        "noc_flow_site_bits_per_second",
        "gauge",
        "The top sites on the uplink over the last 5 full minutes, by direction (`in`: toward "
        "the city); `-` is traffic no site's subnet claims.",
        ("site", "direction"),
        "flows",
    ),
    _f(
        "noc_flow_snmp_ratio",
        "gauge",
        "The uplink's bytes counted by flows over those of its SNMP counters, in the last "
        "settled 5-minute window (1: they agree).",
        ("link",),
        "flows",
    ),
)
BY_NAME = {f.name: f for f in FAMILIES}
# The families written per device, in the order of the exposition.
WRITTEN_FAMILIES = tuple(f for f in FAMILIES if f.source in WRITTEN)


def family(name: str, value: float | None = None) -> Any:
    """The family `name` (as exposed: counters end in `_total`) as the table defines it."""
    return BY_NAME[name].make(value)


SOURCES: dict[Source, str] = {
    "device": "each device, written as its poll lands",
    "interface": "each interface of a polled device, written as its poll lands",
    "link": "each link, written with the device at its `a` end",
    "site": "the inventory's sites, at scrape time",
    "network": "the live state as a whole, at scrape time",
    "collector": "this collector's polls, at scrape time",
    "store": "this collector's store writer, at scrape time",
    "fleet": "this collector's place in a fleet (absent without `NOC_COLLECTOR_NAME`)",
    "dr": "the last DR check (absent before the first)",
    "relay": "the WhatsApp gateway relay (absent without a gateway receiver)",
    "config": "the scheduled configuration backups (devices with `ssh:` access)",
    "events": "traps and syslog received by this collector",
    "services": "the e-government services, from this vantage point and as judged by quorum",
    "topology": "the daily drift check: the devices' neighbour tables against the inventory",
    "flows": "the flow collector: the uplink exporter's NetFlow and IPFIX, and who fills it",
}
BEGIN = "<!-- families: generated by `make docs` from noc/exporter/families.py; do not edit -->"
END = "<!-- end of families -->"


def markdown() -> str:
    """The table of `docs/metrics.md`, one section per source, between its markers."""
    out = [BEGIN, ""]
    for source, says in SOURCES.items():
        out += [f"### {source}: {says}", "", "| series | type | labels | meaning |"]
        out.append("| --- | --- | --- | --- |")
        for f in FAMILIES:
            if f.source == source:
                labels = ", ".join(f.labels) or "–"
                text = f.help.replace("|", "\\|")
                out.append(f"| `{f.name}` | {f.kind} | {labels} | {text} |")
        out.append("")
    out.append(END)
    return "\n".join(out) + "\n"


def write_page(text: str) -> str:
    """`text` (docs/metrics.md) with its generated table replaced by the table's current one."""
    start, end = text.index(BEGIN), text.index(END) + len(END) + 1
    return text[:start] + markdown() + text[end:]


def main(argv: list[str] | None = None) -> None:
    """`make docs`: rewrite the table of docs/metrics.md (`--write`), or print it."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--write"]:
        page = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
        page.write_text(write_page(page.read_text()))
    else:
        sys.stdout.write(markdown())
