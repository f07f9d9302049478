"""The DR site's readiness probes: replication lag (psycopg), file-store freshness and
service answers (HTTP). Each gives a `CheckResult`; the verdict over them is pure, in
`dr/readiness.py`."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from noc import redact
from noc.dr.readiness import CheckResult, Status
from noc.inventory import Inventory
from noc.inventory.model import DrDatabase, DrFileStore, DrService
from noc.inventory.secrets import SecretError, resolve_secret


def check_database(
    db: DrDatabase, inv: Inventory, environ: Mapping[str, str] | None = None
) -> list[CheckResult]:
    """Replication lag in seconds and bytes against the RPO. Lag in seconds is counted as
    zero when the replica has replayed all it received (an idle primary is not lag); replay
    that is paused while WAL waits is not keeping up, whatever the clock says."""
    import psycopg

    try:
        replica_url = resolve_secret(db.replica, inv.devices, environ).get_secret_value()
        primary_url = resolve_secret(db.primary, inv.devices, environ).get_secret_value()
    except SecretError as exc:
        var = next(
            (ref.env for ref in (db.replica, db.primary) if ref.env and ref.env in str(exc)), "?"
        )
        return [
            CheckResult(
                "replication",
                db.name,
                Status.WARN,
                f"not configured: {exc}",
                code="not_configured",
                params={"var": var},
            )
        ]
    try:
        with psycopg.connect(replica_url, connect_timeout=3, autocommit=True) as conn:
            row = conn.execute(
                "SELECT pg_is_in_recovery(), pg_last_wal_receive_lsn()::text,"
                " pg_last_wal_replay_lsn()::text,"
                " extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8,"
                " CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END"
            ).fetchone()
    except psycopg.Error as exc:
        return [
            CheckResult(
                "replication",
                db.name,
                Status.FAIL,
                f"replica does not answer: {_first_line(exc)}",
                code="replica_down",
            )
        ]
    assert row is not None
    in_recovery, received, replayed, since_replay, paused = row
    if not in_recovery:
        return [
            CheckResult(
                "replication",
                db.name,
                Status.FAIL,
                "the replica is not in recovery (promoted?)",
                code="not_in_recovery",
            )
        ]
    lag_s = 0.0 if received == replayed or since_replay is None else float(since_replay)
    lag_bytes: float | None = None
    primary_note = ""
    try:
        with psycopg.connect(primary_url, connect_timeout=3, autocommit=True) as conn:
            diff = conn.execute(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s::pg_lsn)::float8",
                (replayed,),
            ).fetchone()
            lag_bytes = float(diff[0]) if diff and diff[0] is not None else None
    except psycopg.Error as exc:
        primary_note = f"; primary does not answer ({_first_line(exc)})"
    results = [
        CheckResult(
            "replication_lag_seconds",
            db.name,
            _against(lag_s, db.rpo_s),
            f"{lag_s:.1f} s behind (RPO {db.rpo_s} s){primary_note}",
            lag_s,
            code="lag_s",
            params={"lag": lag_s, "rpo": db.rpo_s},
        ),
    ]
    if lag_bytes is not None:
        status = Status.OK
        if paused and lag_bytes > 0:
            status = Status.FAIL
        results.append(
            CheckResult(
                "replication_lag_bytes",
                db.name,
                status,
                f"{lag_bytes:.0f} bytes not replayed" + (" and replay is paused" if paused else ""),
                lag_bytes,
                code="replay_paused" if paused and lag_bytes > 0 else "lag_bytes",
                params={"bytes": lag_bytes},
            )
        )
    elif paused:
        results.append(
            CheckResult(
                "replication_lag_bytes",
                db.name,
                Status.FAIL,
                "replay is paused",
                code="replay_paused",
            )
        )
    return results


def _against(value: float, limit: float) -> Status:
    if value > limit:
        return Status.FAIL
    return Status.WARN if value > limit / 2 else Status.OK


def _first_line(exc: BaseException) -> str:
    return redact.first_line(exc)


def check_file_store(store: DrFileStore, now: float | None = None) -> CheckResult:
    now = time.time() if now is None else now
    path = Path(store.marker)
    try:
        age = now - path.stat().st_mtime
    except OSError:
        return CheckResult(
            "sync_age", store.name, Status.FAIL, f"no sync marker at {path}", code="no_marker"
        )
    return CheckResult(
        "sync_age",
        store.name,
        _against(age, store.rpo_s),
        f"last sync {age:.0f} s ago (RPO {store.rpo_s} s)",
        age,
        code="sync_age",
        params={"age": age, "rpo": store.rpo_s},
    )


def http_get(url: str, timeout: float = 5.0) -> tuple[int, float, bytes]:
    """(status, seconds, body); status 0 when nothing answered."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (inventory URL)
            body = response.read(65536)
            return response.status, time.monotonic() - started, body
    except urllib.error.HTTPError as exc:
        return exc.code, time.monotonic() - started, b""
    except (urllib.error.URLError, OSError, TimeoutError):
        return 0, time.monotonic() - started, b""


def check_service(service: DrService, timeout: float = 5.0) -> CheckResult:
    status, seconds, _ = http_get(service.dr_url, timeout)
    if status == 0:
        return CheckResult(
            "service",
            service.name,
            Status.FAIL,
            f"DR endpoint {service.dr_url} does not answer",
            code="endpoint_down",
        )
    if not 200 <= status < 400:
        return CheckResult(
            "service",
            service.name,
            Status.FAIL,
            f"DR endpoint answers HTTP {status}",
            seconds,
            code="endpoint_http",
            params={"http": status},
        )
    slow = seconds > timeout / 2
    return CheckResult(
        "service",
        service.name,
        Status.WARN if slow else Status.OK,
        f"HTTP {status} in {seconds * 1000:.0f} ms",
        seconds,
        code="endpoint_ok",
    )


def check_probe(url: str | None) -> tuple[CheckResult, dict[str, Any] | None]:
    """The DR site's own view (`noc dr probe`): a second vantage point."""
    if url is None:
        return CheckResult(
            "vantage",
            "dr-probe",
            Status.WARN,
            "no DR probe configured: one vantage point only",
            code="no_probe",
        ), None
    status, _, body = http_get(url)
    if status != 200:
        return CheckResult(
            "vantage",
            "dr-probe",
            Status.WARN,
            f"the DR probe at {url} does not answer",
            code="probe_down",
        ), None
    try:
        view = json.loads(body)
    except ValueError:
        return CheckResult(
            "vantage", "dr-probe", Status.WARN, "the DR probe answers garbage", code="probe_garbage"
        ), None
    return CheckResult(
        "vantage", "dr-probe", Status.OK, "the DR probe answers", code="probe_ok"
    ), view


def secrets_present(inv: Inventory, environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    dr = inv.dr
    return dr is not None and all(env.get(d.replica.env) for d in dr.databases)
