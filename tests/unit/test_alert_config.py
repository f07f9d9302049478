"""Alertmanager's configuration as made from the inventory: committed and current, accepted by
amtool, routes and inhibitions derived from the topology, no secret in it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from noc.alerts.config import alertmanager_config, config_text, fill_secrets, template_text
from noc.inventory import load_inventory
from noc.inventory.topology import Topology
from tests.conftest import INVENTORY, ROOT

COMMITTED = ROOT / "exporters" / "alertmanager"


def test_committed_configuration_is_current() -> None:
    inv = load_inventory(INVENTORY)
    assert (COMMITTED / "alertmanager.yml").read_text() == config_text(inv), (
        "run: noc alerts config"
    )
    assert (COMMITTED / "noc.tmpl").read_text() == template_text(inv)


def test_amtool_accepts_it() -> None:
    amtool = shutil.which("amtool")
    if amtool is None:
        pytest.fail("amtool is missing: run `make system-packages`")
    result = subprocess.run(
        [amtool, "check-config", str(COMMITTED / "alertmanager.yml")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_grouping_routing_and_inhibition_follow_the_inventory() -> None:
    inv = load_inventory(INVENTORY)
    config = alertmanager_config(inv)
    assert config["route"]["group_by"] == ["group"]
    routes = {r["receiver"]: r for r in config["route"]["routes"]}
    assert routes["noc-history"]["continue"] is True
    managers = routes["managers-email"]
    assert managers["active_time_intervals"] == ["office-hours"]
    assert managers["matchers"] == ['tier=~"uplink|backbone|"']
    inhibit = {r["source_matchers"][1]: r for r in config["inhibit_rules"]}
    rule = inhibit['device="bts-05"']
    behind = set(Topology.of(inv).descendants("bts-05"))
    targets = rule["target_matchers"][1].split('"')[1].split("|")
    assert set(targets) == behind and "bts-05" not in targets


def test_no_secret_in_it_and_secrets_filled_only_at_run_time(tmp_path: Path) -> None:
    inv = load_inventory(INVENTORY)
    text = config_text(inv)
    assert "${NOC_TELEGRAM_BOT_TOKEN}" in text and "${NOC_ALERT_WEBHOOK_SECRET}" in text
    assert "lab-telegram-token" not in text and "lab-webhook-secret" not in text
    env = {"NOC_TELEGRAM_BOT_TOKEN": 'to"k:en\\x', "NOC_ALERT_WEBHOOK_SECRET": "s3cret-hook"}
    filled = fill_secrets(YAML(typ="safe").load(text), inv, env)
    telegram = next(r for r in filled["receivers"] if r["name"] == "noc-telegram")
    assert telegram["telegram_configs"][0]["bot_token"] == 'to"k:en\\x'
    hook = next(r for r in filled["receivers"] if r["name"] == "noc-history")
    assert (
        hook["webhook_configs"][0]["http_config"]["authorization"]["credentials"] == "s3cret-hook"
    )
