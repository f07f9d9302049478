"""One entry point for every diagnostic, used by the CLI and the API alike: validates the
request, runs it, and records it in the audit log with its outcome."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from noc.diag import check as checks
from noc.diag import icmp, snmp, ssh
from noc.diag.result import (
    DiagError,
    DiagRefused,
    DiagResult,
    DiagUnrecorded,
    Finding,
    Level,
    redact,
)
from noc.inventory import Inventory
from noc.inventory.names import UnknownName, resolve
from noc.polling.targets import build_targets
from noc.snmp.client import SnmpClient, SnmpError
from noc.store.audit import AuditLog, AuditRefused

log = logging.getLogger(__name__)

ACTIONS = ("ping", "trace", "snmp-get", "snmp-walk", "ifaces", "ssh", "check")


@dataclass
class DiagRequest:
    action: str
    device: str
    objects: tuple[str, ...] = ()
    command: str | None = None
    window_s: float = 5.0

    def arguments(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.objects:
            out["objects"] = list(self.objects)
        if self.command is not None:
            out["command"] = self.command
        if self.action in ("ifaces", "check"):
            out["window_s"] = self.window_s
        return out


def validate(inv: Inventory, req: DiagRequest) -> None:
    """Everything checked before anything is sent."""
    if req.action not in ACTIONS:
        raise DiagRefused(f"unknown diagnostic {req.action!r}; one of {', '.join(ACTIONS)}")
    if req.device not in inv.devices_by_name:
        try:  # BTS-12, bts-7: the inventory's spelling, as the CLI finds it
            req.device = resolve(req.device, inv.devices_by_name)
        except UnknownName as exc:
            raise DiagRefused(str(exc)) from None
    if req.action in ("snmp-get", "snmp-walk"):
        if not req.objects:
            raise DiagRefused("name at least one object (a numeric OID or e.g. ifOperStatus)")
        for obj in req.objects:
            snmp.resolve(obj)
    if req.action == "ssh":
        ssh.plan(inv, req.device, req.command or "")
    if not 0.5 <= req.window_s <= 300:
        raise DiagRefused("the rate window must be between 0.5 and 300 seconds")


async def _execute(
    inv: Inventory,
    req: DiagRequest,
    client: SnmpClient,
    environ: Mapping[str, str] | None,
    progress: Callable[[str], None] | None = None,
) -> DiagResult:
    device = inv.device(req.device)
    address = str(device.address)
    if req.action == "check":
        return await checks.check(inv, client, req.device, req.window_s, progress=progress)
    if req.action == "ping":
        echo = await icmp.ping(address)
        ok = bool(echo["received"])
        text = (
            f"{echo['received']}/{echo['sent']} replies, avg {echo['avg_ms']:.2f} ms"
            if ok
            else f"no reply from {address}"
        )
        return DiagResult("ping", req.device, ok, text, [], echo)
    if req.action == "trace":
        hops = await icmp.trace(address)
        path = [*reversed(checks.ancestors(inv, req.device)), req.device]
        text = f"{len(hops)} hop(s) to {address}; inventory path {' > '.join(path)}"
        reached = bool(hops) and hops[-1]["address"] == address
        return DiagResult("trace", req.device, reached, text, [], {"hops": hops, "path": path})
    if req.action in ("snmp-get", "snmp-walk"):
        target = build_targets(inv, environ)[req.device]
        fn = snmp.snmp_get if req.action == "snmp-get" else snmp.snmp_walk
        try:
            rows = await fn(client, target, list(req.objects))
        except SnmpError as exc:
            raise DiagError(f"{req.device}: {exc}") from None
        return DiagResult(
            req.action, req.device, True, f"{len(rows)} value(s)", [], {"varbinds": rows}
        )
    if req.action == "ifaces":
        _, rows = await checks.interfaces(inv, client, req.device, req.window_s)
        down = [r["name"] for r in rows if r["admin"] == "up" and r["oper"] != "up"]
        findings = [Finding(Level.FAIL, f"interface {n} is down") for n in down]
        text = f"{len(rows)} interfaces, {len(down)} down"
        return DiagResult("ifaces", req.device, not down, text, findings, {"interfaces": rows})
    out = await ssh.run(inv, req.device, req.command or "", environ)
    return DiagResult(
        "ssh",
        req.device,
        True,
        f"{out['vendor_command']}: {'parsed' if out['parsed'] is not None else 'raw'}",
        [],
        out,
    )


async def run_diagnostic(
    inv: Inventory,
    req: DiagRequest,
    client: SnmpClient,
    audit: AuditLog | None,
    actor: str,
    secrets: set[str],
    environ: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> DiagResult:
    """Run and audit (`progress` hears each step of a check as it starts); raises DiagRefused
    or DiagError (already audited), with secrets
    scrubbed from the message."""
    outcome, detail = "error", ""
    try:
        validate(inv, req)
        result = await _execute(inv, req, client, environ, progress)
        outcome, detail = ("ok" if result.ok else "problem"), result.summary
        return scrub(result, secrets)
    except DiagRefused as exc:
        outcome, detail = "refused", redact(str(exc), secrets)
        raise DiagRefused(detail) from None
    except DiagError as exc:
        detail = redact(str(exc), secrets)
        raise DiagError(detail) from None
    except Exception as exc:
        log.exception("diagnostic %s on %s failed", req.action, req.device)
        detail = redact(f"internal error: {type(exc).__name__}: {exc}", secrets)
        raise DiagError(detail) from None
    finally:
        if audit is not None:
            try:
                audit.record(
                    actor, req.action, req.device, req.arguments(), outcome, redact(detail, secrets)
                )
            except AuditRefused as exc:
                raise DiagUnrecorded(
                    f"the audit log refused this run's entry ({exc}); its result is withheld"
                ) from None


def scrub(result: DiagResult, secrets: set[str]) -> DiagResult:
    """The same result with every secret value replaced (device output can echo them)."""
    text = json.dumps(result.to_json(), default=str)
    if not any(s in text for s in secrets):
        return result
    clean = json.loads(redact(text, secrets))
    return DiagResult(
        clean["action"],
        clean["device"],
        clean["ok"],
        clean["summary"],
        [Finding(Level(f["level"]), f["text"]) for f in clean["findings"]],
        clean["data"],
    )
