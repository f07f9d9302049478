"""`noc diag ifaces` and `noc diag check`: a live interface table, and a verdict a technician
can act on (reachable? SNMP answering? parent up? interfaces down? errors rising? near
capacity?)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from noc.diag.icmp import ping
from noc.diag.result import DiagError, DiagRefused, DiagResult, Finding, Level
from noc.inventory import Inventory
from noc.polling.poller import Poller
from noc.polling.samples import oper_name
from noc.snmp.client import SnmpClient

NEAR_CAPACITY = 0.8
ADMIN = {1: "up", 2: "down", 3: "testing"}

Pinger = Callable[[str], Awaitable[dict[str, Any]]]


def ancestors(inv: Inventory, name: str) -> list[str]:
    """The devices `name` depends on, nearest first."""
    chain: list[str] = []
    parent = inv.device(name).parent
    while parent is not None and parent not in chain:
        chain.append(parent)
        parent = inv.device(parent).parent
    return chain


def _known(inv: Inventory, name: str) -> None:
    if name not in inv.devices_by_name:
        raise DiagRefused(f"unknown device {name!r}")


def interface_rows(poller: Poller, name: str) -> list[dict[str, Any]]:
    rows = []
    described = {i.name: i.description for i in poller.inv.device(name).interfaces}
    for iface in sorted(poller.devices[name].interfaces.values(), key=lambda i: i.index):
        rows.append(
            {
                "index": iface.index,
                "name": iface.name,
                "description": described.get(iface.name, ""),
                "admin": ADMIN.get(iface.admin_status or 0, str(iface.admin_status)),
                "oper": oper_name(iface.oper_status),
                "speed_bps": iface.speed_bps,
                "contracted_bps": iface.contracted_bps,
                "in_bps": iface.in_bps,
                "out_bps": iface.out_bps,
                "utilisation": iface.utilisation,
                "errors_per_s": iface.errors_per_s,
                "discards_per_s": iface.discards_per_s,
                "no_rate": iface.no_rate,
            }
        )
    return rows


async def interfaces(
    inv: Inventory, client: SnmpClient, name: str, window_s: float
) -> tuple[Poller, list[dict[str, Any]]]:
    """Two readings `window_s` apart (a rate needs two); raises DiagError if SNMP fails."""
    _known(inv, name)
    poller = Poller(inv, client)
    for reading in range(2):
        record = await poller.poll(name)
        if not record.ok:
            raise DiagError(f"{name} does not answer SNMP: {record.reason}")
        if reading == 0:
            await asyncio.sleep(window_s)
    return poller, interface_rows(poller, name)


async def check(
    inv: Inventory,
    client: SnmpClient,
    name: str,
    window_s: float = 5.0,
    pinger: Pinger = ping,
    progress: Callable[[str], None] | None = None,
) -> DiagResult:
    """A live probe from this machine (ping, then SNMP of the device and of its parents, then
    a second reading for rates), each step announced to `progress` as it starts."""
    _known(inv, name)
    device = inv.device(name)
    say = progress or (lambda _: None)
    findings: list[Finding] = []
    data: dict[str, Any] = {"address": str(device.address)}

    # Reachable?
    say(f"ping {device.address} …")
    try:
        echo = await pinger(str(device.address))
        data["ping"] = echo
        if echo["received"]:
            findings.append(
                Finding(
                    Level.OK, f"answers ping ({echo['loss']:.0%} loss, avg {echo['avg_ms']:.1f} ms)"
                )
            )
        else:
            findings.append(Finding(Level.FAIL, f"no reply to ping at {device.address}"))
    except DiagError as exc:
        findings.append(Finding(Level.INFO, f"ping not run: {exc}"))

    # Parent devices up? Polled together with the device itself.
    chain = ancestors(inv, name)
    say(f"SNMP poll of {name}" + (f" and its parents {', '.join(chain)}" if chain else "") + " …")
    poller = Poller(inv, client)
    records = {r.device: r for r in await poller.poll_all([name, *chain])}
    data["parents"] = [
        {"device": p, "answering": records[p].ok, "reason": records[p].reason} for p in chain
    ]
    failing = [p for p in chain if not records[p].ok]
    if failing:
        root = failing[-1]  # the one nearest the core: everything below it depends on it
        # The parent is the root cause: said first, whatever the device does from here.
        text = (
            f"parent device {root} is DOWN ({records[root].reason}) and {name} is behind "
            f"it: fix {root} first"
        )
        if records[name].ok:  # it answers from here although its parent does not
            text += f" ({name} itself still answers from here, by another path)"
        findings.append(Finding(Level.FAIL, text))
    elif chain:
        findings.append(Finding(Level.OK, f"parent devices answer: {', '.join(chain)}"))

    # SNMP answering? Then a second reading for rates.
    first = records[name]
    data["snmp"] = {"answering": first.ok, "reason": first.reason, "poll_s": first.duration_s}
    if not first.ok:
        findings.append(Finding(Level.FAIL, f"SNMP does not answer: {first.reason}"))
    else:
        say(f"second reading in {window_s:g} s, for rates …")
        await asyncio.sleep(window_s)
        second = await poller.poll(name)
        if not second.ok:
            findings.append(Finding(Level.FAIL, f"SNMP stopped answering: {second.reason}"))
        else:
            findings.append(Finding(Level.OK, f"SNMP answers ({second.duration_s * 1000:.0f} ms)"))
            rows = interface_rows(poller, name)
            data["interfaces"] = rows
            findings += _interface_findings(rows)

    fails = [f for f in findings if f.level == Level.FAIL]
    warns = [f for f in findings if f.level == Level.WARN]
    if fails:
        summary = "; ".join(f.text for f in fails)
    elif warns:
        summary = "working, but: " + "; ".join(f.text for f in warns)
    else:
        summary = "healthy"
    return DiagResult("check", name, not fails, summary, findings, data)


def _interface_findings(rows: list[dict[str, Any]]) -> list[Finding]:
    out: list[Finding] = []
    down = [r for r in rows if r["admin"] == "up" and r["oper"] != "up"]
    for r in down:
        out.append(Finding(Level.FAIL, f"interface {r['name']} is {r['oper']} (admin up)"))
    for r in rows:
        if r["admin"] == "down":
            out.append(Finding(Level.INFO, f"interface {r['name']} is administratively down"))
        if r["errors_per_s"]:
            out.append(
                Finding(
                    Level.WARN, f"interface {r['name']}: errors rising, {r['errors_per_s']:.2f}/s"
                )
            )
        if r["discards_per_s"]:
            out.append(
                Finding(
                    Level.WARN,
                    f"interface {r['name']}: discards rising, {r['discards_per_s']:.2f}/s",
                )
            )
        util = r["utilisation"]
        if util is not None and util >= NEAR_CAPACITY:
            out.append(Finding(Level.WARN, f"interface {r['name']} at {util:.0%} of capacity"))
    if not down:
        out.append(Finding(Level.OK, f"all {len(rows)} interfaces that are enabled are up"))
    return out
