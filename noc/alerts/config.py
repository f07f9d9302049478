"""Alertmanager's configuration, made from the inventory. Pure: inventory in, a mapping out.

Choices, each for a reason a NOC would give:
- `group_by: [group]`: the alert rules set `group` to the root cause for device alerts, so a BTS
  down and everything behind it is one message, not one per kelurahan;
- `group_wait: 45s`: a BTS's offices turn UNREACHABLE within one 60 s poll of it going DOWN;
  waiting that long sends the whole picture at once instead of a BTS alone and a follow-up;
- `group_interval: 5m`: news about a group already reported at most every 5 minutes;
- `repeat_interval: 4h`: a standing outage is repeated twice a shift, not every hour (the
  complaint about repeated mails); acknowledged ones not at all (silences);
- office hours (Monday to Friday, 08:00-16:00 WIB) for receivers marked `office_hours_only`,
  such as managers' mailboxes; the NOC's Telegram group hears at any hour;
- inhibition from the topology: while a device's DOWN alert fires, the DOWN alerts of what sits
  behind it are muted (they are listed in the root cause's message instead);
- `send_resolved` only goes to receivers that were sent the firing alert (Alertmanager's own
  rule: a resolved notification follows a notified group), so no recovery for a silent alert.

Secrets never appear here: they are `${VARIABLE}` placeholders that `runtime_config` fills
from the environment into a file only Alertmanager reads (mode 0600, under var/).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from noc.inventory import Inventory
from noc.inventory.model import AlertReceiver, SecretRef
from noc.inventory.secrets import resolve_secret
from noc.inventory.topology import Topology

ROOT_ALERTS = "NocBtsDown|NocDeviceDown"
HISTORY = "noc-history"
WEBHOOK_PATH = "/api/v1/alerts/webhook"
RELAY_PATH = "/api/v1/alerts/relay"
TEMPLATE = "noc.tmpl"
_PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


def _placeholder(ref: SecretRef) -> str:
    return "${" + ref.env + "}"


def _literal(text: str) -> str:
    """`text` as a regular expression that matches only itself (Go's RE2 syntax)."""
    return re.sub(r"([.+*?()\[\]{}|^$\\])", r"\\\1", text)


def _any_of(values: list[str]) -> str:
    # A trailing empty alternative also matches alerts without the label (network-wide ones).
    return "|".join(_literal(v) for v in values) + "|"


def _route(receiver: AlertReceiver) -> dict[str, Any]:
    matchers = []
    if receiver.tiers:
        matchers.append(f'tier=~"{_any_of([t.value for t in receiver.tiers])}"')
    if receiver.kecamatan:
        matchers.append(f'kecamatan=~"{_any_of(receiver.kecamatan)}"')
    route: dict[str, Any] = {"receiver": receiver.name, "continue": True}
    if matchers:
        route["matchers"] = matchers
    if receiver.office_hours_only:
        route["active_time_intervals"] = ["office-hours"]
    return route


def _receiver(receiver: AlertReceiver, noc_url: str, secret: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": receiver.name}
    lang = receiver.language
    if receiver.telegram is not None:
        tg = receiver.telegram
        out["telegram_configs"] = [
            {
                "api_url": tg.api_url,
                "bot_token": _placeholder(tg.bot_token),
                "chat_id": tg.chat_id,
                "parse_mode": "HTML",
                "send_resolved": True,
                "message": '{{ template "noc.telegram.' + lang + '" . }}',
            }
        ]
    if receiver.email is not None:
        em = receiver.email
        config: dict[str, Any] = {
            "to": ", ".join(em.to),
            "from": em.sender,
            "smarthost": em.smarthost,
            "require_tls": em.require_tls,
            "send_resolved": True,
            "headers": {"Subject": '{{ template "noc.email.subject.' + lang + '" . }}'},
            "html": '{{ template "noc.email.html.' + lang + '" . }}',
        }
        if em.username:
            config["auth_username"] = em.username
        if em.password is not None:
            config["auth_password"] = _placeholder(em.password)
        out["email_configs"] = [config]
    if receiver.gateway is not None:
        out["webhook_configs"] = [
            {
                "url": f"{noc_url}{RELAY_PATH}/{receiver.name}",
                "send_resolved": True,
                "http_config": {"authorization": {"type": "Bearer", "credentials": secret}},
            }
        ]
    return out


def inhibit_rules(inv: Inventory) -> list[dict[str, Any]]:
    """One rule per device that has something behind it: its DOWN alert mutes theirs."""
    topo = Topology.of(inv)
    rules = []
    for device in sorted(d.name for d in inv.devices):
        behind = sorted(topo.descendants(device))
        if not behind:
            continue
        rules.append(
            {
                "source_matchers": [f'alertname=~"{ROOT_ALERTS}"', f'device="{device}"'],
                "target_matchers": [
                    f'alertname=~"{ROOT_ALERTS}"',
                    f'device=~"{"|".join(_literal(b) for b in behind)}"',
                ],
            }
        )
    return rules


def alertmanager_config(inv: Inventory) -> dict[str, Any]:
    alerting = inv.alerting
    if alerting is None:
        raise ValueError("the inventory has no `alerting:` section")
    start, end = alerting.office_hours.split("-")
    history = {
        "name": HISTORY,
        "webhook_configs": [
            {
                "url": alerting.noc_url.rstrip("/") + WEBHOOK_PATH,
                "send_resolved": True,
                "max_alerts": 0,
                "http_config": {
                    "authorization": {
                        "type": "Bearer",
                        "credentials": _placeholder(alerting.webhook_secret),
                    }
                },
            }
        ],
    }
    return {
        "global": {"resolve_timeout": "5m"},
        "templates": [TEMPLATE],
        "route": {
            "receiver": "noc-none",
            "group_by": ["group"],
            "group_wait": "45s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                {"receiver": HISTORY, "continue": True},
                *(_route(r) for r in alerting.receivers),
            ],
        },
        "receivers": [
            {"name": "noc-none"},
            history,
            *(
                _receiver(r, alerting.noc_url.rstrip("/"), _placeholder(alerting.webhook_secret))
                for r in alerting.receivers
            ),
        ],
        "inhibit_rules": inhibit_rules(inv),
        "time_intervals": [
            {
                "name": "office-hours",
                "time_intervals": [
                    {
                        "weekdays": ["monday:friday"],
                        "times": [{"start_time": start, "end_time": end}],
                        "location": inv.network.timezone,
                    }
                ],
            }
        ],
    }


def secret_refs(inv: Inventory) -> dict[str, SecretRef]:
    """Every secret the configuration names, by its variable."""
    alerting = inv.alerting
    if alerting is None:
        return {}
    refs = {alerting.webhook_secret.env: alerting.webhook_secret}
    for r in alerting.receivers:
        if r.telegram is not None:
            refs[r.telegram.bot_token.env] = r.telegram.bot_token
        if r.email is not None and r.email.password is not None:
            refs[r.email.password.env] = r.email.password
        if r.gateway is not None:
            refs[r.gateway.token.env] = r.gateway.token
    return refs


def fill_secrets(config: Any, inv: Inventory, environ: Mapping[str, str] | None = None) -> Any:
    """A copy of the configuration with every `${VARIABLE}` placeholder replaced by the
    secret's value (done on the data, so any character in a secret is safe)."""
    refs = secret_refs(inv)

    def value(match: re.Match[str]) -> str:
        ref = refs.get(match[1])
        if ref is None:
            return match[0]
        return resolve_secret(ref, inv.devices, environ).get_secret_value()

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, str):
            return _PLACEHOLDER.sub(value, node)
        return node

    return walk(config)


def template_text(inv: Inventory) -> str:
    from importlib import resources

    text = resources.files("noc.alerts").joinpath("noc.tmpl").read_text("utf-8")
    alerting = inv.alerting
    url = alerting.noc_url.rstrip("/") if alerting is not None else "http://127.0.0.1:9469"
    return text.replace("NOC_URL", url)


def config_text(inv: Inventory) -> str:
    """The committed configuration: YAML, with secrets as placeholders."""
    import io

    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    out = io.StringIO()
    out.write(
        "# Alertmanager for the Kota Bogor NOC, made by `noc alerts config` from the "
        "inventory;\n# do not edit. ${VARIABLES} are secrets `noc alerts run` fills in "
        "from the environment.\n"
    )
    yaml.dump(alertmanager_config(inv), out)
    return out.getvalue()
