"""The scheduled configuration backups for /metrics: each device's last backup and each
compliance rule that applies to it. Nothing of a configuration's text is exported."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import Metric
from prometheus_client.registry import Collector as PromCollector

from noc.config.schedule import ConfigState
from noc.exporter.families import family


class ConfigMetrics(PromCollector):
    def __init__(self, state: ConfigState) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        last, rules = self.state.last, self.state.rules
        if not last and not rules:
            return
        ok = family("noc_config_backup_ok")
        when = family("noc_config_last_backup_timestamp_seconds")
        for device in sorted(last):
            outcome = last[device]
            ok.add_metric([device], 0.0 if outcome.get("status") == "failed" else 1.0)
            if outcome.get("last_ok_at") is not None:
                when.add_metric([device], float(outcome["last_ok_at"]))
        holds = family("noc_config_rule_ok")
        for device in sorted(rules):
            for rule, good in sorted(rules[device].items()):
                holds.add_metric([device, rule], 1.0 if good else 0.0)
        yield from (ok, when, holds)
