"""All readiness checks of the DR site in one run, with the failover policy's view of it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from noc.dr.checks import check_database, check_file_store, check_probe, check_service
from noc.dr.policy import Vantage, decide
from noc.dr.readiness import CheckResult, DrReport, Status, verdict
from noc.inventory import Inventory
from noc.polling.availability import State
from noc.polling.events import link_key
from noc.polling.poller import Poller
from noc.snmp.client import SnmpClient

UP_STATES = {State.UP}


async def run_checks(
    inv: Inventory,
    client: SnmpClient,
    poller: Poller | None = None,
    window_s: float = 2.0,
    environ: Mapping[str, str] | None = None,
    vantages: list[Vantage] | None = None,
) -> tuple[DrReport, dict[str, Any]]:
    """The report, and the failover policy's decision on the same observations. Without a
    running collector the DR and primary devices are polled now (two readings `window_s`
    apart, for link rates). The vantage points are the collector and the DR probe, unless
    given (a fleet: each collector's view)."""
    dr = inv.dr
    if dr is None:
        raise ValueError("the inventory has no `dr:` section")
    dr_devices = [d.name for d in inv.devices if d.site == dr.dr_site]
    primary_devices = [d.name for d in inv.devices if d.site == dr.primary_site]
    if poller is None:
        poller = Poller(inv, client)
        names = sorted(
            {
                *dr_devices,
                *primary_devices,
                *(inv.device(_link(inv, n).a.device).name for n in dr.links),
            }
        )
        await poller.poll_all(names)
        await asyncio.sleep(window_s)
        await poller.poll_all(names)
        await poller.poll_all(names)  # hysteresis: two readings in a row confirm DOWN
    results: list[CheckResult] = []
    for name in dr_devices:
        v = poller.state_of(name)
        status = (
            Status.OK
            if v.state in UP_STATES
            else (Status.WARN if v.state in (State.UNKNOWN, State.MAINTENANCE) else Status.FAIL)
        )
        results.append(
            CheckResult(
                "reachable",
                name,
                status,
                v.state.value + (f" ({v.reason})" if v.reason else ""),
                code="reachable",
                params={"state": v.state.value},
            )
        )
        sample = poller.devices[name].sample
        if sample is not None and sample.cpu_load_pct is not None:
            load = sample.cpu_load_pct / 100
            results.append(
                CheckResult(
                    "cpu",
                    name,
                    Status.WARN if load > dr.cpu_max else Status.OK,
                    f"{load:.0%} busy",
                    load,
                    code="cpu",
                    params={"share": load},
                )
            )
        if sample is not None and sample.storage_used_ratio is not None:
            used = sample.storage_used_ratio
            results.append(
                CheckResult(
                    "storage",
                    name,
                    Status.WARN if used > dr.storage_max else Status.OK,
                    f"{used:.0%} used",
                    used,
                    code="storage",
                    params={"share": used},
                )
            )
    for name in dr.links:
        link = _link(inv, name)
        v = poller.state_of(link_key(link))
        iface = poller.devices[link.a.device].interface_named(link.a.interface)
        util = iface.utilisation if iface is not None else None
        if v.state is not State.UP:
            results.append(
                CheckResult(
                    "link",
                    name,
                    Status.FAIL,
                    v.state.value,
                    code="link_state",
                    params={"state": v.state.value},
                )
            )
        elif util is not None and util >= 0.8:
            status = Status.FAIL if util >= 0.95 else Status.WARN
            results.append(
                CheckResult(
                    "link",
                    name,
                    status,
                    f"up, {util:.0%} of contract",
                    util,
                    code="link_busy",
                    params={"share": util},
                )
            )
        else:
            results.append(CheckResult("link", name, Status.OK, "up", util, code="link_up"))
    services = await asyncio.gather(*(asyncio.to_thread(check_service, s) for s in dr.services))
    results += services
    for db in dr.databases:
        results += await asyncio.to_thread(check_database, db, inv, environ)
    results += [check_file_store(f) for f in dr.file_stores]
    probe_result, view = await asyncio.to_thread(check_probe, dr.probe_url)
    results.append(probe_result)
    report = verdict(results)

    # The policy on the same observations: does each vantage point see the primary site?
    primary_states = [poller.state_of(n) for n in primary_devices]
    collector_sees = any(v.state in UP_STATES for v in primary_states)
    probe_sees = view.get("primary_reachable") if isinstance(view, dict) else None
    down_since = min(
        (v.since for v in primary_states if v.since is not None and v.state is State.DOWN),
        default=None,
    )
    if vantages is None:
        probe = probe_sees if isinstance(probe_sees, bool) else None
        vantages = [Vantage("collector", collector_sees), Vantage("dr-probe", probe)]
    decision = decide(
        vantages,
        down_since,
        report.at,
        dr.failover.hold_s,
        dr.failover.quorum,
        report.readiness,
    )
    report.failover, report.failover_why = decision.failover, decision.explanation
    report.vantages = {v.name: v.sees_primary for v in vantages}
    return report, {"failover": decision.failover, "explanation": decision.explanation}


def _link(inv: Inventory, name: str) -> Any:
    return next(ln for ln in inv.links if ln.name == name)
