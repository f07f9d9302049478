"""Running the DR runbook: fencing first, then the steps, each logged with its outcome; a dry
run (the default) only says what would run. And drills: induce a failure in the lab, fail over,
and measure the RTO and RPO that were actually achieved."""

from __future__ import annotations

import asyncio
import subprocess
import time
import urllib.request
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from noc.inventory import Inventory
from noc.inventory.runbook import HttpStep, NetmikoStep, PgPromoteStep, ShellStep, Step
from noc.inventory.secrets import resolve_secret
from noc.ssh import connection_params, netmiko_connect


@dataclass(frozen=True)
class StepOutcome:
    phase: str  # induce, fence, step
    name: str
    kind: str
    ok: bool
    detail: str
    seconds: float


Log = Callable[[StepOutcome], None]


def describe(step: Step) -> str:
    """What a step does, without secrets."""
    if isinstance(step, ShellStep):
        return "run " + " ".join(step.argv)
    if isinstance(step, HttpStep):
        return f"{step.method} {step.url}"
    if isinstance(step, PgPromoteStep):
        return f"promote the replica of {step.database}"
    return f"{len(step.commands)} configuration command(s) on {step.device}"


def _run_step(inv: Inventory, step: Step, environ: Mapping[str, str] | None) -> str:
    """Run one step; raises with a reason when it fails."""
    if isinstance(step, ShellStep):
        done = subprocess.run(
            step.argv, capture_output=True, text=True, timeout=step.timeout_s, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"exit {done.returncode}: {(done.stderr or done.stdout).strip()[:300]}"
            )
        return (done.stdout.strip().splitlines() or ["done"])[-1][:300]
    if isinstance(step, HttpStep):
        body = None if step.method == "GET" else b""
        request = urllib.request.Request(step.url, method=step.method, data=body)  # noqa: S310
        with urllib.request.urlopen(request, timeout=step.timeout_s) as response:  # noqa: S310
            return f"HTTP {response.status}"
    if isinstance(step, PgPromoteStep):
        import psycopg

        assert inv.dr is not None
        db = next(d for d in inv.dr.databases if d.name == step.database)
        url = resolve_secret(db.replica, inv.devices, environ).get_secret_value()
        with psycopg.connect(url, connect_timeout=5, autocommit=True) as conn:
            row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
            if row and row[0]:
                conn.execute("SELECT pg_promote(true, %s)", (int(step.timeout_s),))
            after = conn.execute("SELECT pg_is_in_recovery()").fetchone()
        if after is None or after[0]:
            raise RuntimeError("the replica is still in recovery")
        return "the replica is primary now"
    return _netmiko(inv, step, environ)


def _netmiko(inv: Inventory, step: NetmikoStep, environ: Mapping[str, str] | None) -> str:
    params = connection_params(inv, inv.device(step.device), environ)
    conn = netmiko_connect(**params)
    try:
        output = str(conn.send_config_set(step.commands, read_timeout=step.timeout_s))
    finally:
        conn.disconnect()
    return output.strip().splitlines()[-1][:300] if output.strip() else "done"


async def run_phase(
    inv: Inventory,
    phase: str,
    steps: list[Step],
    execute: bool,
    log: Log,
    environ: Mapping[str, str] | None = None,
) -> bool:
    """Run the steps in order, stopping at the first that fails; True when all succeeded."""
    for step in steps:
        started = time.monotonic()
        if not execute:
            log(StepOutcome(phase, step.name, step.kind, True, "would " + describe(step), 0.0))
            continue
        try:
            detail = await asyncio.to_thread(_run_step, inv, step, environ)
            ok = True
        except Exception as exc:  # every failure is an outcome in the log, not a crash
            detail, ok = f"{type(exc).__name__}: {str(exc).strip()[:300]}", False
        log(StepOutcome(phase, step.name, step.kind, ok, detail, time.monotonic() - started))
        if not ok:
            return False
    return True


async def failover(
    inv: Inventory, execute: bool, log: Log, environ: Mapping[str, str] | None = None
) -> bool:
    """Fence the old primary, then the steps. A fencing failure stops everything: an old
    primary that may still take writes must not get a twin."""
    assert inv.dr is not None and inv.dr.runbook is not None
    book = inv.dr.runbook
    if not await run_phase(inv, "fence", list(book.fence), execute, log, environ):
        return False
    return await run_phase(inv, "step", list(book.steps), execute, log, environ)


@dataclass
class DrillResult:
    started: float
    ok: bool
    rto_s: float | None
    rpo_rows: int | None
    rows_acknowledged: int
    outcomes: list[StepOutcome] = field(default_factory=list)
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["outcomes"] = [asdict(o) for o in self.outcomes]
        return out


async def drill(
    inv: Inventory,
    writer: Callable[[], Awaitable[int | None]],
    service_ready: Callable[[], Awaitable[bool]],
    missing: Callable[[list[int]], Awaitable[int]],
    environ: Mapping[str, str] | None = None,
    deadline_s: float = 300,
) -> DrillResult:
    """A drill: keep writing at the primary (`writer` returns the acknowledged row id, None
    once the primary is gone), induce the failure, fail over, wait until `service_ready`, and
    count acknowledged rows that the DR side does not have (`missing`). RTO runs from the
    induced failure to the service answering at DR; RPO is counted in rows."""
    assert inv.dr is not None and inv.dr.runbook is not None
    book = inv.dr.runbook
    outcomes: list[StepOutcome] = []
    acknowledged: list[int] = []
    stop = asyncio.Event()

    async def keep_writing() -> None:
        while not stop.is_set():
            row = await writer()
            if row is not None:
                acknowledged.append(row)
            await asyncio.sleep(0.02)

    started = time.time()
    writing = asyncio.create_task(keep_writing())
    await asyncio.sleep(1.0)  # a second of normal traffic before the failure
    failed_at = time.monotonic()
    induced = await run_phase(inv, "induce", list(book.induce), True, outcomes.append, environ)
    await asyncio.sleep(0.5)
    stop.set()
    await writing
    if not induced:
        return DrillResult(
            started,
            False,
            None,
            None,
            len(acknowledged),
            outcomes,
            "the failure could not be induced",
        )
    if not await failover(inv, True, outcomes.append, environ):
        return DrillResult(
            started,
            False,
            None,
            None,
            len(acknowledged),
            outcomes,
            "the failover stopped at a failed step",
        )
    while not await service_ready():
        if time.monotonic() - failed_at > deadline_s:
            note = f"the service did not answer at DR within {deadline_s:g} s"
            return DrillResult(started, False, None, None, len(acknowledged), outcomes, note)
        await asyncio.sleep(0.1)
    rto = time.monotonic() - failed_at
    lost = await missing(acknowledged)
    return DrillResult(started, True, rto, lost, len(acknowledged), outcomes)
