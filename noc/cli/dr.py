"""`noc dr`: is the DR site ready to take over, and the DR site's own view."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from noc import redact
from noc.cli.common import (
    InventoryOption,
    JsonOption,
    console,
    err_console,
    inventory_or_exit,
    print_json,
    store_engine,
)
from noc.dr.readiness import Readiness, Status
from noc.settings import Settings

app = typer.Typer(
    help="Disaster recovery: readiness checks and the DR site's probe.", no_args_is_help=True
)
log = logging.getLogger(__name__)

STYLE = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "bold red"}
READY_STYLE = {
    Readiness.READY: "bold green",
    Readiness.DEGRADED: "bold yellow",
    Readiness.NOT_READY: "bold red",
}


@app.command()
def check(
    window: Annotated[float, typer.Option("--window", help="seconds between readings")] = 2.0,
    inventory: InventoryOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every readiness check, the verdict (READY / DEGRADED / NOT READY) and what the failover
    policy would decide; the result is kept in the store. Exit 0 READY, 1 DEGRADED, 2 NOT READY."""
    from noc.dr.history import record
    from noc.dr.runner import run_checks

    inv = inventory_or_exit(inventory)
    if inv.dr is None:
        err_console.print("the inventory has no `dr:` section")
        raise typer.Exit(2)

    async def go() -> Any:
        client = Settings().snmp_client()()
        try:
            return await run_checks(inv, client, window_s=window)
        finally:
            await client.close()

    report, decision = asyncio.run(go())
    try:
        record(store_engine(), report)
    except Exception as exc:  # the verdict stands without its history
        err_console.print(f"[dim]not stored: {type(exc).__name__}[/]")
    if as_json:
        print_json({**report.to_json(), "policy": decision})
    else:
        table = Table(title=f"DR readiness: {inv.dr.dr_site}")
        for col in ("check", "subject", "status", "reason"):
            table.add_column(col, overflow="fold")
        for r in report.results:
            table.add_row(r.check, r.subject, f"[{STYLE[r.status]}]{r.status.value}[/]", r.reason)
        console.print(table)
        word = report.readiness.value.replace("_", " ").upper()
        console.print(f"[{READY_STYLE[report.readiness]}]{word}[/]: {report.reason}")
        console.print(
            "failover: "
            + ("RECOMMENDED" if decision["failover"] else "no")
            + " — "
            + "; ".join(decision["explanation"])
        )
    raise typer.Exit(
        {Readiness.READY: 0, Readiness.DEGRADED: 1, Readiness.NOT_READY: 2}[report.readiness]
    )


@app.command()
def probe(
    listen: Annotated[str, typer.Option(help="HOST:PORT to serve /probe on")] = "127.0.2.10:18081",
    inventory: InventoryOption = None,
) -> None:
    """Run at the DR site: serve its own view of the primary site (does any of the primary
    site's devices answer SNMP from here?) as JSON on /probe, the second vantage point."""
    from noc.dr.probe import probe_server

    inv = inventory_or_exit(inventory)
    if inv.dr is None:
        err_console.print("the inventory has no `dr:` section")
        raise typer.Exit(2)
    host, _, port = listen.rpartition(":")
    if not port.isdigit() or not host:
        err_console.print(f"--listen wants HOST:PORT, not {listen!r}")
        raise typer.Exit(2)
    try:
        server = probe_server(inv, host, int(port))
    except OSError as exc:
        err_console.print(
            f"cannot serve the DR probe on {listen}: {exc.strerror or exc} (is "
            "another probe or the demo's stand-in there? use --listen)"
        )
        raise typer.Exit(1) from None
    console.print(f"DR probe on http://{listen}/probe (primary site: {inv.dr.primary_site})")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()


@app.command()
def failover(
    execute: Annotated[
        bool, typer.Option("--execute", help="run the steps (default: dry run)")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
    inventory: InventoryOption = None,
    as_json: JsonOption = False,
) -> None:
    """The DR runbook: fencing of the old primary first, then the steps, each logged with its
    outcome (also in the audit log). Without --execute it only says what it would do."""
    import getpass

    from noc.dr.failover import StepOutcome
    from noc.dr.failover import failover as run_failover
    from noc.store.audit import AuditLog

    inv = inventory_or_exit(inventory)
    if inv.dr is None or inv.dr.runbook is None:
        err_console.print("the inventory has no `dr.runbook`")
        raise typer.Exit(2)
    if execute and not yes:
        if not typer.get_text_stream("stdin").isatty():
            err_console.print("--execute needs --yes when there is no terminal to confirm on")
            raise typer.Exit(2)
        answer = typer.prompt(f"Fail over to {inv.dr.dr_site}? Type the DR site's name")
        if answer != inv.dr.dr_site:
            err_console.print("not confirmed; nothing done")
            raise typer.Exit(2)
    outcomes: list[StepOutcome] = []
    audit = None
    if execute:
        try:
            audit = AuditLog(store_engine(), Settings().var_dir / "audit-pending.jsonl")
        except Exception as exc:  # the log goes to the local file until the store answers
            err_console.print(f"[dim]store not available ({type(exc).__name__})[/]")

    def log(outcome: StepOutcome) -> None:
        outcomes.append(outcome)
        if audit is not None:
            audit.record(
                f"cli:{getpass.getuser()}",
                f"dr-failover:{outcome.phase}",
                None,
                {"step": outcome.name, "kind": outcome.kind},
                "ok" if outcome.ok else "error",
                outcome.detail,
            )
        if not as_json:
            mark = "[green]ok[/]" if outcome.ok else "[bold red]FAILED[/]"
            if not execute and outcome.ok:
                mark = "[dim]plan[/]"
            console.print(f"{outcome.phase:>6}  {outcome.name}: {mark} {outcome.detail}")

    verdict = _policy_verdict(inv)
    if not as_json:
        console.print(verdict)
        if not execute:
            console.print(
                "[bold yellow]DRY RUN[/]: nothing is changed; each line says what "
                "`--execute --yes` would do, fencing first"
            )
    done = asyncio.run(run_failover(inv, execute, log))
    if as_json:
        from dataclasses import asdict

        print_json({"executed": execute, "completed": done, "steps": [asdict(o) for o in outcomes]})
    raise typer.Exit(0 if done else 1)


def _policy_verdict(inv: Any) -> str:
    """What the failover policy says right now, from a fresh readiness check."""
    from noc.dr.runner import run_checks

    async def go() -> Any:
        client = Settings().snmp_client()()
        try:
            return await run_checks(inv, client, window_s=1.0)
        finally:
            await client.close()

    try:
        report, decision = asyncio.run(go())
    except Exception as exc:  # the runbook can still be shown
        return f"policy: no verdict ({redact.first_line(exc)})"
    word = report.readiness.value.replace("_", " ").upper()
    advice = "RECOMMENDED" if decision["failover"] else "NOT recommended"
    return (
        f"policy: failover {advice} ({'; '.join(decision['explanation'])}); "
        f"DR site {word}: {report.reason}"
    )


@app.command()
def drill(
    out: Annotated[Path | None, typer.Option(help="write the drill report (HTML) here")] = None,
    inventory: InventoryOption = None,
    as_json: JsonOption = False,
) -> None:
    """A drill, for the lab or a planned exercise: keep writing at the primary database, induce
    the failure (the runbook's `induce` steps), fail over, and measure the RTO (failure to the
    services answering at DR, with the promoted database taking writes) and the RPO (rows
    acknowledged at the primary that DR does not have). The result is stored."""
    from noc.dr.drill import drill_report, run_drill
    from noc.dr.history import record_drill

    inv = inventory_or_exit(inventory)
    if inv.dr is None or inv.dr.runbook is None or not inv.dr.databases:
        err_console.print("a drill needs `dr.runbook` and at least one of `dr.databases`")
        raise typer.Exit(2)
    result = asyncio.run(run_drill(inv))
    try:
        record_drill(store_engine(), result)
    except Exception as exc:  # the measurement stands; say it was not kept
        err_console.print(f"[dim]drill not stored ({type(exc).__name__})[/]")
    if out is not None:
        out.write_text(drill_report(inv, result), encoding="utf-8")
    if as_json:
        print_json(result.to_json())
    else:
        for o in result.outcomes:
            console.print(f"{o.phase:>6}  {o.name}: {'ok' if o.ok else 'FAILED'} {o.detail}")
        rto = "—" if result.rto_s is None else f"{result.rto_s:.1f} s"
        verdict = "passed" if result.ok else result.note
        console.print(
            f"RTO {rto}; RPO {result.rpo_rows} of {result.rows_acknowledged} "
            f"acknowledged rows lost; {verdict}"
        )
    raise typer.Exit(0 if result.ok else 1)


@app.command()
def drills(as_json: JsonOption = False) -> None:
    """Past drills, newest first."""
    from noc.dr.history import drills as stored

    rows = stored(store_engine(read_only=True))
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("no drills recorded yet: `noc dr drill` runs one")
        return
    for r in rows:
        rto = "—" if r["rto_s"] is None else f"{r['rto_s']:.1f} s"
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r["started"]))
        state = "ok" if r["ok"] else "failed"
        console.print(f"{when}  {state}  RTO {rto}  RPO {r['rpo_rows']} rows")
