"""The exporter: each device's series written as its poll lands, the rest built at scrape time,
all of them as the families table defines them."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from noc.exporter import EXACT, NocMetrics
from tests.conftest import SMALL
from tests.fakes import simulated_poller
from tests.reference_exporter import ReferenceDevices


def registry_for(metrics: NocMetrics) -> CollectorRegistry:
    """prometheus_client's own rendering of every family, the devices' built the slow way: the
    reference for ours."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ReferenceDevices(metrics.live))
    registry.register(metrics)
    return registry


def scrape(metrics: NocMetrics) -> dict[str, list[tuple[dict[str, str], float]]]:
    text = metrics.exposition().decode()
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((sample.labels, sample.value))
    return out


def one(samples: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    found = [v for lab, v in samples[name] if all(lab.get(k) == x for k, x in labels.items())]
    assert len(found) == 1, (name, labels, found)
    return found[0]


def test_uplink_rate_utilisation_and_contract() -> None:
    poller, lab, clock = simulated_poller(SMALL)
    s = scrape(NocMetrics(poller.live))
    expected = lab["core"].interface("ether1").rx.rate_bps(clock[0] - 30)
    assert one(s, "noc_link_contracted_bytes_per_second", link="uplink-isp") == 5_000_000
    got = one(s, "noc_link_throughput_bytes_per_second", link="uplink-isp", direction="in")
    assert got * 8 == pytest.approx(expected, rel=0.01)
    assert one(s, "noc_link_utilisation_ratio", link="uplink-isp") == pytest.approx(
        expected / 40e6, rel=0.01
    )
    octets = one(s, "noc_interface_octets_total", device="core", interface="ether1", direction="in")
    raw = lab["core"].interface("ether1").rx.octets(clock[0])
    assert octets == raw % EXACT


def test_state_is_one_series_per_state_and_labels_come_from_the_inventory() -> None:
    poller, _lab, _clock = simulated_poller(SMALL)
    s = scrape(NocMetrics(poller.live))
    states = [(lab_, v) for lab_, v in s["noc_device_state"] if lab_["device"] == "kel-a"]
    assert len(states) == 6
    assert {lab_["state"] for lab_, v in states if v == 1} == {"up"}
    labels = states[0][0]
    assert labels["site"] == "office"
    assert labels["kecamatan"] == "Bogor Tengah"
    assert labels["tier"] == "access"
    assert labels["role"] == "kelurahan"


def test_unreachable_children_are_not_down() -> None:
    import asyncio

    poller, lab, clock = simulated_poller(SMALL)
    lab["bts-a"].down = True
    lab["kel-a"].down = True
    for _ in range(3):
        clock[0] += 60
        asyncio.run(poller.poll_all())
    s = scrape(NocMetrics(poller.live))
    assert one(s, "noc_device_state", device="bts-a", state="down") == 1
    assert one(s, "noc_device_state", device="kel-a", state="unreachable") == 1
    assert one(s, "noc_device_state", device="kel-a", state="down") == 0
    assert one(s, "noc_link_state", link="access-kel-a", state="unreachable") == 1
    assert one(s, "noc_incidents_open", state="down") == 1


def test_no_credential_anywhere_in_the_exposition() -> None:
    poller, _, _ = simulated_poller(SMALL)
    text = generate_latest(registry_for(NocMetrics(poller.live))).decode()
    for secret in ("public", "lab-auth-passphrase", "lab-priv-passphrase"):
        assert secret not in text


def test_fast_render_matches_prometheus_client_sample_for_sample() -> None:
    from noc.exporter import render

    poller, _, _ = simulated_poller(SMALL)
    metrics = NocMetrics(poller.live)
    ours = render([*ReferenceDevices(poller.live).collect(), *metrics.collect()]).decode()
    reference = generate_latest(registry_for(metrics)).decode()

    def samples(text: str) -> set[tuple[str, tuple[tuple[str, str], ...], float]]:
        return {
            (s.name, tuple(sorted(s.labels.items())), s.value)
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }

    assert samples(ours) == samples(reference)
    assert len(samples(ours)) > 100
    helps = [line for line in ours.splitlines() if line.startswith("# TYPE")]
    assert helps == [line for line in reference.splitlines() if line.startswith("# TYPE")]


def test_render_escapes_label_values() -> None:
    from prometheus_client.core import GaugeMetricFamily

    from noc.exporter import render

    family = GaugeMetricFamily("noc_x", "doc", labels=["a"])
    family.add_metric(['q"\\\n'], float("inf"))
    assert render([family]).decode().splitlines()[-1] == 'noc_x{a="q\\"\\\\\\n"} +Inf'


def test_dr_verdict_is_exported_one_series_per_state() -> None:
    from noc.dr.readiness import CheckResult, Status, verdict
    from noc.exporter import render

    poller, _, _ = simulated_poller(SMALL)
    report = verdict(
        [
            CheckResult(
                "replication_lag_bytes",
                "siak-pbb",
                Status.FAIL,
                "4096 bytes not replayed and replay is paused",
                4096.0,
            ),
            CheckResult("service", "website", Status.OK, "HTTP 200"),
        ],
        at=1_796_090_400.0,
    )
    text = render(NocMetrics(poller.live, dr=lambda: report).collect()).decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    states = {
        s.labels["state"]: (s.value, s.labels["reason"]) for s in families["noc_dr_state"].samples
    }
    assert states == {
        "ready": (0, ""),
        "degraded": (0, ""),
        "not_ready": (
            1,
            "replication_lag_bytes siak-pbb: 4096 bytes not replayed and replay is paused",
        ),
    }
    checks = {s.labels["subject"]: s.value for s in families["noc_dr_check_status"].samples}
    assert checks == {"siak-pbb": 2, "website": 0}
    assert "noc_dr_state" not in render(NocMetrics(poller.live).collect()).decode()


def _samples(text: str) -> set[tuple[str, tuple[tuple[str, str], ...], float]]:
    """Every sample, its labels as Prometheus sees them (an empty value is no label)."""
    return {
        (s.name, tuple(sorted((k, v) for k, v in s.labels.items() if v != "")), s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_written_fragments_serve_the_reference_sample_for_sample_in_fewer_bytes() -> None:
    import asyncio
    import shutil
    import subprocess

    from noc.exporter import DeviceFragments

    poller, lab, clock = simulated_poller(SMALL, polls=1)
    fragments = DeviceFragments(poller.live)
    poller.sink = fragments
    for step in range(4):  # rates, then bts-a down: kel-a (not polled since) UNREACHABLE
        if step == 2:
            lab["bts-a"].down = True
        clock[0] += 60
        asyncio.run(poller.poll_all([d for d in poller.devices if d != "kel-a"]))
    before = fragments.renders
    fast = NocMetrics(poller.live, fragments=fragments).exposition().decode()
    # Every fragment was written as the polls and state changes landed (kel-a's by bts-a's
    # poll): the scrape writes none.
    assert fragments.renders == before
    reference = generate_latest(registry_for(NocMetrics(poller.live))).decode()
    assert _samples(fast) == _samples(reference)
    assert (
        'noc_device_state{device="kel-a",site="office",kecamatan="Bogor Tengah",'
        'tier="access",role="kelurahan",state="unreachable"} 1'
    ) in fast
    assert len(fast) < len(reference)
    promtool = shutil.which("promtool")
    assert promtool is not None, "promtool is missing: run `make system-packages`"
    check = subprocess.run(
        [promtool, "check", "metrics"], input=fast.encode(), capture_output=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_scrape_beside_the_polls_shows_one_moment_of_the_live_state() -> None:
    """/metrics is rendered in a worker thread while polls land on the event loop. Every
    scrape shows the BTS and the office behind it as they stood together between two polls:
    never the office already UNREACHABLE behind an outage that its BTS does not show yet,
    which had Alertmanager send the office's alert before the BTS's, as a message of its own."""
    import asyncio
    import re
    import sys
    import threading

    from noc.exporter import DeviceFragments

    poller, lab, clock = simulated_poller(SMALL)
    fragments = DeviceFragments(poller.live)
    poller.sink = fragments
    metrics = NocMetrics(poller.live, fragments=fragments)
    pair = ("bts-a", "kel-a")
    state = re.compile(r'noc_device_state\{device="(bts-a|kel-a)",[^}]*state="(\w+)"\} 1\n')
    since = re.compile(r'noc_device_state_since_seconds\{device="(bts-a|kel-a)"\} (\S+)\n')
    behind = re.compile(r'noc_device_behind\{device="(bts-a|kel-a)",[^}]*root_cause="([^"]+)"')

    def moment(text: str) -> tuple[tuple[str | None, ...], ...]:
        found = [dict(p.findall(text)) for p in (state, since, behind)]
        return tuple(tuple(f.get(d) for f in found) for d in pair)

    between: set[tuple[tuple[str | None, ...], ...]] = {moment(metrics.exposition().decode())}
    seen: set[tuple[tuple[str | None, ...], ...]] = set()
    done = threading.Event()

    def scrape() -> None:
        while not done.is_set():
            seen.add(moment(metrics.exposition().decode()))

    async def outages(count: int) -> None:
        for _ in range(count):
            # Down: confirmed at its second failure, shown once the core above it is polled.
            # Up: confirmed at its second answer, then the office behind it is polled.
            for down, polls in (
                (True, ["bts-a", "bts-a", "core"]),
                (False, ["bts-a", "bts-a", "kel-a"]),
            ):
                lab["bts-a"].down = down
                for name in polls:
                    clock[0] += 400  # (outages far enough apart not to be FLAPPING)
                    await poller.poll(name)
                    between.add(moment(metrics.exposition().decode()))  # only this thread polls

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # the two threads take turns often, as on a busy machine
    scraper = threading.Thread(target=scrape)
    scraper.start()
    try:
        asyncio.run(outages(150))
    finally:
        done.set()
        scraper.join()
        sys.setswitchinterval(interval)
    assert any(m[0][0] == "down" and m[1][2] == "bts-a" for m in between)  # outages were seen
    assert len(seen) > 1
    assert seen <= between, sorted(seen - between, key=str)[:3]
