"""`noc status`: triage at a glance. Problems first (each root cause with what is behind it
right under it), the healthy majority as one count, times in the network's zone (WIB)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from noc import redact
from noc.cli.common import (
    InventoryOption,
    JsonOption,
    console,
    engine_or_exit,
    err_console,
    inventory_or_exit,
    missing_sqlite,
)
from noc.cli.common import print_json as emit_json
from noc.polling.availability import PROBLEM, State
from noc.settings import Settings
from noc.store import queries

STATE_STYLE = {
    State.UP: "green",
    State.DOWN: "bold red",
    State.UNREACHABLE: "yellow",
    State.UNKNOWN: "dim",
    State.MAINTENANCE: "blue",
    State.FLAPPING: "magenta",
}
PROBLEM_STATES = PROBLEM | {State.UNREACHABLE}
# Root causes first, then maintenance, not yet known, and up last.
RANK = {
    State.DOWN: 0,
    State.FLAPPING: 1,
    State.UNREACHABLE: 2,
    State.MAINTENANCE: 3,
    State.UNKNOWN: 4,
    State.UP: 5,
}


def triage(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows in the order a person on shift reads them: each root cause (most behind it first,
    then the oldest), immediately followed by what is unreachable behind it; then the other
    states, each by name. Rows behind a root cause get `behind_of`."""
    by_root: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["state"] == State.UNREACHABLE.value and row.get("root_cause"):
            by_root.setdefault(row["root_cause"], []).append(row)
    roots = [r for r in rows if r["state"] in (State.DOWN.value, State.FLAPPING.value)]
    roots.sort(
        key=lambda r: (-len(by_root.get(r["entity"], [])), r.get("since") or 0.0, r["entity"])
    )
    out: list[dict[str, Any]] = []
    placed: set[str] = set()
    for root in roots:
        out.append(root)
        placed.add(root["entity"])
        for child in sorted(by_root.get(root["entity"], []), key=lambda r: r["entity"]):
            out.append({**child, "behind_of": root["entity"]})
            placed.add(child["entity"])
    rest = [r for r in rows if r["entity"] not in placed]
    rest.sort(key=lambda r: (RANK.get(State(r["state"]), 9), r["entity"]))
    return out + rest


def wib(epoch: float | None, zone: ZoneInfo) -> str:
    if epoch is None:
        return "—"
    at = datetime.fromtimestamp(epoch, zone)
    return at.strftime("%Y-%m-%d %H:%M ") + (at.tzname() or "")


def _store_or_exit(settings: Settings) -> Any:
    """The store, read only: a missing SQLite file or a store without tables is a clear line,
    and nothing is created."""
    url = settings.db_url(create=False)
    path = missing_sqlite(url)
    if path is not None:
        err_console.print(
            f"no store at {path}: start the collector first (`noc serve`, or "
            "`make demo`), or set NOC_DATABASE_URL / NOC_VAR_DIR"
        )
        raise typer.Exit(1)
    engine = engine_or_exit(url)
    try:
        if not inspect(engine).has_table("state_changes"):
            err_console.print(
                f"the store {redact.scrub(url)} holds no state yet: start the "
                "collector first (`noc serve`)"
            )
            raise typer.Exit(1)
    except SQLAlchemyError as exc:
        err_console.print(f"cannot read the store: {redact.first_line(exc)}")
        raise typer.Exit(1) from None
    return engine


def status(
    problems: Annotated[
        bool, typer.Option("--problems", help="only what is down, flapping or unreachable")
    ] = False,
    state: Annotated[
        list[State] | None,
        typer.Option(
            "--state",
            metavar="STATE",
            help="only this state: up, down, unreachable, "
            "flapping, maintenance or unknown (repeat for several)",
        ),
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="list the devices and links that are up, too")
    ] = False,
    inventory: InventoryOption = None,
    as_json: JsonOption = False,
) -> None:
    """What the store knows, problems first: each root cause with what is unreachable behind
    it, then maintenance and what is not polled yet; what is up is one count unless --all or
    --state up. Times are in the network's zone (WIB)."""
    inv = inventory_or_exit(inventory)
    zone = ZoneInfo(inv.network.timezone)
    engine = _store_or_exit(Settings())
    try:
        polls = {p.device: p for p in queries.poll_stats(engine)}
        latest = queries.latest_states(engine)
        incidents = queries.incidents(engine, open_only=True)
    except SQLAlchemyError as exc:
        err_console.print(f"cannot read the store: {redact.first_line(exc)}")
        raise typer.Exit(1) from None
    rows: list[dict[str, Any]] = [
        {
            "entity": entity,
            "state": change.new,
            "since": change.at,
            "root_cause": change.root_cause,
            "reason": change.reason,
            "last_poll": polls[entity].at if entity in polls else None,
            "last_success": polls[entity].last_success if entity in polls else None,
        }
        for entity, change in latest.items()
    ]
    ordered = triage(rows)
    wanted = set(state or [])
    if problems:
        wanted |= PROBLEM_STATES
    if wanted:
        ordered = [r for r in ordered if State(r["state"]) in wanted]
    open_incidents: list[dict[str, Any]] = [
        {
            "id": i.id,
            "entity": i.entity,
            "state": i.state,
            "root_cause": i.root_cause,
            "started": i.started,
            "reason": i.reason,
            "affected": [a for a in i.affected.split(",") if a],
        }
        for i in incidents
    ]
    if as_json:
        emit_json({"entities": ordered, "open_incidents": open_incidents})
        return
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    ranked = sorted(State, key=lambda s: RANK[s])
    summary = ", ".join(
        f"[{STATE_STYLE[s]}]{counts[s.value]} {s.value}[/]" for s in ranked if counts.get(s.value)
    )
    console.print(f"{len(rows)} devices and links: {summary or 'nothing recorded yet'}")
    hidden_up = 0
    if not wanted and not show_all:
        hidden_up = sum(1 for r in ordered if r["state"] == State.UP.value)
        ordered = [r for r in ordered if r["state"] != State.UP.value]
    if ordered:
        table = Table(title=f"state (times in {wib(0, zone).split()[-1]})", title_justify="left")
        table.add_column("entity", overflow="fold")
        table.add_column("state", no_wrap=True)
        table.add_column("since", no_wrap=True)
        table.add_column("reason", overflow="fold")
        for row in ordered:
            s = State(row["state"])
            name = f"  └ {row['entity']}" if row.get("behind_of") else row["entity"]
            table.add_row(
                name,
                f"[{STATE_STYLE[s]}]{s.value}[/]",
                wib(row["since"], zone),
                row["reason"] or "",
            )
        console.print(table)
    if hidden_up:
        console.print(f"[green]{hidden_up} up[/] (list them with --all or --state up)")
    console.print(f"open incidents: {len(open_incidents)}")
    for inc in sorted(open_incidents, key=lambda i: -len(i["affected"])):
        console.print(
            f"  {inc['entity']} {inc['state']} since {wib(inc['started'], zone)}: "
            f"{inc['reason'] or ''} (affects {len(inc['affected'])})"
        )
