"""The services for /metrics: their judged state (from the collector that judges each), and what
this vantage point saw: each check's result and duration, every certificate's days, the echo
round trips, and its own uplink."""

from __future__ import annotations

import statistics
from collections.abc import Iterator

from prometheus_client.core import Metric
from prometheus_client.registry import Collector as PromCollector

from noc.exporter.families import family
from noc.polling.availability import State, Verdict
from noc.polling.events import service_key
from noc.polling.livestate import LiveState
from noc.services.watch import BUCKETS, Watcher

STATE_NAMES = [s.value for s in State]


class ServiceMetrics(PromCollector):
    def __init__(self, watcher: Watcher, live: LiveState) -> None:
        self.watcher, self.live = watcher, live

    def collect(self) -> Iterator[Metric]:
        live, seen = self.live, self.watcher.seen
        services = self.watcher.inv.services
        up, state, target = (
            family("noc_service_up"),
            family("noc_service_state"),
            family("noc_service_target_ratio"),
        )
        # Called inside the scrape's hold on the live state's lock: read it, never take it.
        verdicts = live.verdicts
        for svc in services:
            target.add_metric([svc.name], svc.target / 100)
            key = service_key(svc.name)
            if not live.owns(key):
                continue
            verdict = verdicts.get(key, Verdict(State.UNKNOWN))
            if verdict.state in (State.UP, State.DOWN, State.UNREACHABLE):
                up.add_metric([svc.name], 1.0 if verdict.state is State.UP else 0.0)
            for name in STATE_NAMES:
                state.add_metric([svc.name, name], 1.0 if verdict.state.value == name else 0.0)
        yield from (up, state, target)

        ok = family("noc_service_check_ok")
        certs = family("noc_service_certificate_expiry_days")
        rtt = family("noc_service_icmp_rtt_seconds")
        loss = family("noc_service_icmp_loss_ratio")
        now = self.watcher.clock()
        vantage = self.watcher.vantage.name
        echoes = {
            svc.name: c.icmp.count for svc in services for c in svc.checks if c.icmp is not None
        }
        for name, results in sorted(seen.results.items()):
            shown: set[tuple[str, str, str]] = set()
            for r in results:
                ok.add_metric([name, r.label, r.kind, vantage], 1.0 if r.ok else 0.0)
                for c in r.certs:
                    which = (c.host, str(c.position), c.subject)
                    if which not in shown:  # a chain served twice (two checks) is one series
                        shown.add(which)
                        certs.add_metric([name, *which], round(c.days_left(now), 3))
                if r.kind == "icmp":
                    sent = echoes.get(name, len(r.rtts_ms))
                    loss.add_metric([name], 1 - len(r.rtts_ms) / sent if sent else 1.0)
                    if r.rtts_ms:
                        for stat, ms in (
                            ("min", min(r.rtts_ms)),
                            ("median", statistics.median(r.rtts_ms)),
                            ("max", max(r.rtts_ms)),
                        ):
                            rtt.add_metric([name, stat], ms / 1000)
        yield from (ok, certs, rtt, loss)

        durations = family("noc_service_check_duration_seconds")
        for (name, kind), h in sorted(seen.durations.items()):
            buckets = [(str(b), float(c)) for b, c in zip(BUCKETS, h.counts, strict=True)]
            buckets.append(("+Inf", float(h.total)))
            durations.add_metric([name, kind], buckets, h.sum_s)
        yield durations
        if seen.uplink_up is not None:
            uplink = family("noc_service_vantage_uplink_up")
            uplink.add_metric([vantage], 1.0 if seen.uplink_up else 0.0)
            yield uplink
