"""One definition of every exported series: what every source yields is what the families table
says (name, type, help, labels), the table holds nothing no source yields, and docs/metrics.md
is the table's own rendering."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from noc.alerts.gateway import GatewayRelay, RelayMetrics
from noc.config.schedule import ConfigState
from noc.discovery.drift import DriftState, Finding
from noc.dr.readiness import CheckResult, Status, verdict
from noc.events.receiver import Counters
from noc.exporter import NocMetrics
from noc.exporter.configs import ConfigMetrics
from noc.exporter.events import EventMetrics
from noc.exporter.families import BY_NAME, FAMILIES, markdown, write_page
from noc.exporter.flows import FlowMetrics
from noc.exporter.fragments import DeviceFragments
from noc.exporter.services import ServiceMetrics
from noc.exporter.topology import TopologyMetrics
from noc.flows.aggregate import Row
from noc.flows.crosscheck import CrossCheck
from noc.flows.process import Batch, Counts, FlowCollector
from noc.inventory import load_inventory
from noc.inventory.profiles import profiles_dir
from noc.polling.livestate import LiveState
from noc.polling.queries import plan_for
from noc.services.checks import Cert
from noc.services.checks import CheckResult as ServiceCheck
from noc.services.watch import Histogram, Vantage, Watcher
from tests.conftest import INVENTORY, ROOT, SMALL
from tests.fakes import simulated_poller


@dataclass
class Member:
    name: str = "dc-1"
    site: str = "dc"
    held: dict[str, int] = field(default_factory=lambda: {"bts-01": 3})
    store_up: bool = True
    starved: str | None = None
    clock_offset_s: float | None = 0.02


@dataclass
class Stats:
    polls: int = 4
    failures: int = 1
    late: int = 0
    durations: dict[str, float] = field(default_factory=lambda: {"core": 0.2})
    last_poll_at: float | None = 1.0
    last_success_at: float | None = 1.0


@dataclass
class WriteStats:
    rejected: int = 0
    dropped: int = 0
    fenced: int = 0


class Writer:
    stats = WriteStats()
    pending = 3

    def healthy(self) -> bool:
        return True

    def oldest_pending_s(self) -> float:
        return 0.5


@pytest.fixture
def packet_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The shipped profiles, every one exporting packets (opt-in, and none of them does)."""
    copy = tmp_path / "profiles"
    shutil.copytree(profiles_dir(), copy)
    base = copy / "if_mib.yaml"
    base.write_text(base.read_text() + "export_packets: true\n")
    monkeypatch.setenv("NOC_PROFILES_DIR", str(copy))
    plan_for.cache_clear()
    yield
    plan_for.cache_clear()  # (before the variable is restored: the next plans are the shipped)


def full_exposition() -> str:
    """One scrape with every source present: a polled network with a radio and an outage, the
    collector's health, a DR report with a failover verdict, a fleet member, a gateway relay,
    the configuration backups. Packet counters are exported when the profiles say so."""
    poller, lab, clock = simulated_poller(SMALL)
    lab["bts-a"].down = True
    for _ in range(3):
        clock[0] += 60
        asyncio.run(poller.poll_all())
    report = verdict([CheckResult("service", "website", Status.OK, "HTTP 200")], at=clock[0])
    report.failover, report.vantages = False, {"dc-1": True}
    relay = GatewayRelay(load_inventory(INVENTORY))
    configs = ConfigState(
        last={"core-1": {"status": "unchanged", "at": 1.7e9, "last_ok_at": 1.7e9}},
        rules={"core-1": {"routeros-no-telnet": True}},
    )
    counters = Counters()
    counters.received["trap"] += 2
    counters.dropped[("trap", "malformed")] += 1
    seeded = load_inventory(INVENTORY)  # its services
    services_live = LiveState(seeded)
    services_live.fold_service("lpse", clock[0], False, "down from dc-1 and dr-1")
    watcher = Watcher(seeded, Vantage("dc-1", canary="127.0.0.1:1"))
    cert = Cert("lpse.kotabogor.go.id", 1, "Lab Intermediate CA", clock[0] + 864_000)
    watcher.seen.results["lpse"] = [
        ServiceCheck("http", "https://lpse.kotabogor.go.id/", True, None, 0.2, (cert,)),
        ServiceCheck("icmp", "icmp 127.0.9.11", True, None, 0.8, rtts_ms=(0.1, 0.2, 0.3)),
    ]
    watcher.seen.durations[("lpse", "http")] = Histogram()
    watcher.seen.durations[("lpse", "http")].observe(0.2)
    watcher.seen.uplink_up = True
    flows = FlowCollector(port=2055)
    flows.take(
        Batch(
            [Row(int(time.time()) // 60 * 60 - 120, "skpd-kominfo", "web", "in", 6 << 20, 50, 3)],
            Counts(Counter({10: 4}), 120, Counter({"malformed": 1}), 3),
            {},
        )
    )
    cross = CrossCheck(flow_octets=97, snmp_octets=100)
    fragments = DeviceFragments(poller.live)
    assert all(fragments.packets.values())  # (the profiles say so: packet_profiles)
    metrics = NocMetrics(
        poller.live,
        Stats(),
        Writer(),
        lambda: report,
        Member(),
        fragments=fragments,
        extra=[
            RelayMetrics(relay),
            ConfigMetrics(configs),
            EventMetrics(counters, lambda: {"trap": 0}),
            ServiceMetrics(watcher, services_live),
            TopologyMetrics(
                DriftState(
                    [Finding("parent", "bts-08: its parent bts-06 is no longer adjacent")], 1.7e9
                )
            ),
            FlowMetrics(flows, cross, "uplink-isp"),
        ],
    )
    return metrics.exposition().decode()


@pytest.mark.usefixtures("packet_profiles")
def test_every_exported_family_is_the_tables_and_the_table_has_no_dead_entry() -> None:
    text = full_exposition()
    helps = dict(line.split(" ", 3)[2:] for line in text.splitlines() if line.startswith("# HELP "))
    types = dict(line.split(" ", 3)[2:] for line in text.splitlines() if line.startswith("# TYPE "))
    assert set(helps) == set(BY_NAME), set(helps) ^ set(BY_NAME)
    for name, f in BY_NAME.items():
        assert types[name] == f.kind, name
        assert helps[name] == f.help.replace("\\", r"\\"), name
    seen: dict[str, set[str]] = {}
    for parsed in text_string_to_metric_families(text):
        for sample in parsed.samples:
            name = sample.name if sample.name in BY_NAME else f"{sample.name}_total"
            name = name if name in BY_NAME else parsed.name
            seen.setdefault(name, set()).update(set(sample.labels) - {"le"})  # a bucket's bound
    # Fragments leave out a label whose value is empty (no `link` outside a link): a subset.
    for name, labels in seen.items():
        assert labels <= set(BY_NAME[name].labels), (name, labels)
    assert all(seen.get(f.name) is not None for f in FAMILIES), "a family yields no sample"


def test_the_metrics_page_is_the_tables_rendering() -> None:
    page = (ROOT / "docs" / "metrics.md").read_text()
    assert markdown() in page, "docs/metrics.md drifted: run `make docs`"
    assert write_page(page) == page


def test_a_changed_help_shows_as_drift() -> None:
    page = (ROOT / "docs" / "metrics.md").read_text()
    changed = page.replace("Polls of the device.", "Polls of the thing.")
    assert changed != page
    assert markdown() not in changed
