"""The demo's alert path: Prometheus evaluating the rules on the collector's /metrics,
Alertmanager with the inventory's configuration, and the inbox stand-ins its receivers point
at. Each part is skipped with a note when its program is not installed."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ruamel.yaml import YAML

from noc.alerts.runtime import alertmanager_command, runtime_files
from noc.inventory import Inventory
from noc.lab.inbox import start_inbox, stop_inbox

EXPORTERS = Path(__file__).resolve().parents[2] / "exporters"


def _die_with_parent() -> None:
    """In the child: SIGTERM when the demo goes, however it goes (Linux prctl)."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class AlertPath:
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    inbox: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def stop(self) -> None:
        for proc in self.processes:
            proc.terminate()
        for proc in self.processes:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        stop_inbox(self.inbox)


def start_alert_path(inv: Inventory, inventory: Path, var: Path, http_port: int) -> AlertPath:
    out = AlertPath()
    alerting = inv.alerting
    if alerting is None:
        return out
    telegram = next((r.telegram.api_url for r in alerting.receivers if r.telegram), None)
    gateway = next((r.gateway.gateway_url for r in alerting.receivers if r.gateway), None)
    smtp = next((r.email.smarthost for r in alerting.receivers if r.email), None)
    out.inbox = start_inbox(var / "alerts", telegram, gateway, smtp)
    folder = var / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    am = urlsplit(alerting.alertmanager_url)
    listen = f"{am.hostname}:{am.port or 9093}"
    if shutil.which("prometheus-alertmanager") or shutil.which("alertmanager"):
        config = runtime_files(inv, var)
        log = (folder / "alertmanager.log").open("wb")
        out.processes.append(
            subprocess.Popen(
                alertmanager_command(config, listen),
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        )
    else:
        out.notes.append("Alertmanager is not installed: apt-get install prometheus-alertmanager")
    prometheus = shutil.which("prometheus")
    if prometheus:
        yaml = YAML(typ="safe")
        config_doc = yaml.load((EXPORTERS / "prometheus.yml").read_text())
        config_doc["global"].update(scrape_interval="15s", evaluation_interval="15s")
        config_doc["scrape_configs"][0]["scrape_timeout"] = "10s"
        config_doc["scrape_configs"][0]["static_configs"] = [
            {"targets": [f"127.0.0.1:{http_port}"]}
        ]
        config_doc["rule_files"] = [str(p) for p in sorted((EXPORTERS / "rules").glob("*.yml"))]
        config_doc["alerting"]["alertmanagers"][0]["static_configs"] = [{"targets": [listen]}]
        path = folder / "prometheus.yml"
        with path.open("w") as fh:
            yaml.dump(config_doc, fh)
        log = (folder / "prometheus.log").open("wb")
        out.processes.append(
            subprocess.Popen(
                [
                    prometheus,
                    f"--config.file={path}",
                    f"--storage.tsdb.path={folder / 'tsdb'}",
                    "--web.listen-address=127.0.0.1:9090",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        )
    else:
        out.notes.append("Prometheus is not installed: apt-get install prometheus")
    time.sleep(1.5)  # a part that cannot start says so now, not by silence later
    for proc, name in zip(out.processes, ("alertmanager", "prometheus"), strict=False):
        if proc.poll() is not None:
            lines = (folder / f"{name}.log").read_text(errors="replace").strip().splitlines()
            out.notes.append(f"{name} stopped at start: {lines[-1][:200] if lines else '?'}")
    return out
