"""`noc dr drill` glue: writes at the primary database, the DR services answering, and the rows
the DR side lost, for `failover.drill`; and the drill report."""

from __future__ import annotations

import contextlib
import html
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from noc.dr.checks import http_get
from noc.dr.failover import DrillResult, drill
from noc.inventory import Inventory
from noc.inventory.secrets import resolve_secret

TABLE = "noc_dr_drill"


async def run_drill(
    inv: Inventory, environ: Mapping[str, str] | None = None, deadline_s: float = 300
) -> DrillResult:
    """Drill on the first database of the DR pair: rows go into `noc_dr_drill` at the
    primary, the services must answer at their DR endpoints, and the promoted replica must
    take writes."""
    import psycopg

    assert inv.dr is not None and inv.dr.databases
    db = inv.dr.databases[0]
    primary_url = resolve_secret(db.primary, inv.devices, environ).get_secret_value()
    replica_url = resolve_secret(db.replica, inv.devices, environ).get_secret_value()
    with psycopg.connect(primary_url, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY,"
            " written timestamptz DEFAULT now())"
        )
    writer_conn: list[Any] = [await psycopg.AsyncConnection.connect(primary_url, autocommit=True)]

    async def write() -> int | None:
        try:
            cur = await writer_conn[0].execute(f"INSERT INTO {TABLE} DEFAULT VALUES RETURNING id")  # noqa: S608
            row = await cur.fetchone()
            return int(row[0]) if row else None
        except psycopg.Error:
            return None

    async def ready() -> bool:
        for service in inv.dr.services if inv.dr else []:
            status, _, _ = http_get(service.dr_url, timeout=2)
            if not 200 <= status < 400:
                return False
        try:
            async with await psycopg.AsyncConnection.connect(
                replica_url, autocommit=True, connect_timeout=2
            ) as conn:
                await conn.execute(f"INSERT INTO {TABLE} DEFAULT VALUES")
            return True
        except psycopg.Error:
            return False

    async def missing(acknowledged: list[int]) -> int:
        if not acknowledged:
            return 0
        async with await psycopg.AsyncConnection.connect(replica_url, autocommit=True) as conn:
            cur = await conn.execute(
                f"SELECT id FROM {TABLE} WHERE id = ANY(%s)",  # noqa: S608
                (acknowledged,),
            )
            present = {int(r[0]) for r in await cur.fetchall()}
        return len(set(acknowledged) - present)

    try:
        return await drill(inv, write, ready, missing, environ, deadline_s)
    finally:
        with contextlib.suppress(psycopg.Error):
            await writer_conn[0].close()


def drill_report(inv: Inventory, result: DrillResult) -> str:
    """A self-contained HTML page: the measured RTO and RPO against the targets, every step."""
    zone = ZoneInfo(inv.network.timezone)
    when = datetime.fromtimestamp(result.started, zone).strftime("%Y-%m-%d %H:%M:%S %Z")
    dr = inv.dr
    assert dr is not None
    rto_target = min((s.rto_s for s in dr.services), default=None)
    rows = "".join(
        f"<tr><td>{html.escape(o.phase)}</td><td>{html.escape(o.name)}</td>"
        f"<td>{'ok' if o.ok else 'FAILED'}</td><td>{o.seconds:.2f} s</td>"
        f"<td>{html.escape(o.detail)}</td></tr>"
        for o in result.outcomes
    )
    rto = "—" if result.rto_s is None else f"{result.rto_s:.1f} s"
    rpo = "—" if result.rpo_rows is None else f"{result.rpo_rows} of {result.rows_acknowledged}"
    verdict = (
        "passed"
        if result.ok and (rto_target is None or (result.rto_s or 0) <= rto_target)
        else "failed"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>DR drill</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{border:1px solid #ccc;"
        "padding:4px 8px}table{border-collapse:collapse}</style></head><body>"
        f"<h1>DR drill {html.escape(dr.primary_site)} → {html.escape(dr.dr_site)}</h1>"
        f"<p>Started {when}; generated {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}."
        f"</p><p><b>Drill {verdict}.</b> {html.escape(result.note)}</p>"
        f"<table><tr><th>RTO measured</th><td>{rto}</td><th>RTO target</th>"
        f"<td>{'—' if rto_target is None else f'{rto_target} s'}</td></tr>"
        f"<tr><th>RPO (acknowledged rows lost)</th><td>{rpo}</td><th></th><td></td></tr></table>"
        "<h2>Steps</h2><table><tr><th>phase</th><th>step</th><th>outcome</th><th>time</th>"
        f"<th>detail</th></tr>{rows}</table></body></html>"
    )
