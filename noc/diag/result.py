"""What every diagnostic returns: a verdict, findings a technician can act on, and data."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from noc.errors import NocError
from noc.inventory import Inventory
from noc.inventory.model import SecretRef


class Level(StrEnum):
    OK = "ok"
    INFO = "info"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Finding:
    level: Level
    text: str


@dataclass
class DiagResult:
    action: str
    device: str
    ok: bool
    summary: str
    findings: list[Finding] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["findings"] = [{"level": f.level.value, "text": f.text} for f in self.findings]
        return out


class DiagError(NocError):
    """A diagnostic that could not run, with a reason for the technician."""


class DiagUnrecorded(DiagError):
    """It ran, but the audit log refused its entry: its result is not given, since every
    diagnostic a technician runs must leave a trace."""


class DiagRefused(DiagError):
    """Refused before anything was sent: unknown device, command not allowed, bad argument."""


def secret_values(inv: Inventory, environ: Mapping[str, str] | None = None) -> set[str]:
    """Every secret the inventory can resolve (SNMP communities and keys, SSH passwords and
    key paths), so output can be scrubbed of them."""
    env = os.environ if environ is None else environ
    refs: list[SecretRef] = []
    for cred in inv.credentials.values():
        refs += [v for v in vars(cred).values() if isinstance(v, SecretRef)]
    for ssh in inv.ssh_credentials.values():
        refs += [r for r in (ssh.password, ssh.key_file) if r is not None]
    if inv.dr is not None:
        refs += [r for db in inv.dr.databases for r in (db.primary, db.replica)]
    if inv.alerting is not None:
        refs.append(inv.alerting.webhook_secret)
        for receiver in inv.alerting.receivers:
            if receiver.telegram is not None:
                refs.append(receiver.telegram.bot_token)
            if receiver.email is not None and receiver.email.password is not None:
                refs.append(receiver.email.password)
            if receiver.gateway is not None:
                refs.append(receiver.gateway.token)
    values = {env.get(r.env) or r.lab_default or "" for r in refs}
    return {v for v in values if len(v) >= 4}


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "********")
    return text
