"""10,000 targets x 24 interfaces every 60 s: `noc serve --name bench --workers N` (a fleet on
one machine) against net-snmp's snmpd, one worker beside two.

snmpd runs in a network namespace holding 24 interfaces and answers on every loopback address
there (as in cycle.py); the collectors run in the same namespace and reach PostgreSQL (the
machine's server, a database made for the run) through its Unix socket. The targets sit in 500
sites of 20 (500 poll domains). After a warm-up (the first poll of every target), five 60 s
cycles are measured from the store (each device's running poll totals): polls done against
polls due (the store is written every 2 s, so the two counts differ by the polls of a second or
two either way), turns skipped because the last poll was still running ("late", from each
worker's /metrics at the end), devices not polled for more than an interval and 10 s at the end
("overdue"), failures; and the CPU of the workers, of the PostgreSQL backends serving the
run's database, and of snmpd, from /proc. The target: one worker keeps up with 0 late turns,
and the workers and their backends take at most one core. Needs root.

    .venv/bin/python benchmarks/fleet.py [--targets 10000] [--cycles 5] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from poll import proc_cpu  # noqa: E402

NS = "nocfleet"
SOCKET_DIR = "/var/run/postgresql"
PORT = 19700
INTERVAL_S = 60


def fleet_inventory(targets: int) -> dict[str, object]:
    from scrape import synthetic_inventory

    doc = synthetic_inventory(targets)
    sites = [
        {
            "name": f"s{n:03d}",
            "kind": "office",
            "title": f"Office {n}",
            "kecamatan": "K",
            "lat": -6.6,
            "lon": 106.8,
        }
        for n in range((targets + 19) // 20)
    ]
    doc["sites"] = [*doc["sites"], *sites]  # type: ignore[misc]
    for n, device in enumerate(doc["devices"]):  # type: ignore[attr-defined]
        device["profile"] = "if_mib"
        device["site"] = f"s{n // 20:03d}"
    return doc


def totals(engine: Any) -> dict[str, float]:
    """Polls and failures so far, from the store (every poll's running totals per device, as
    the collectors write them): reading /metrics of 10,000 devices would load the workers."""
    from sqlalchemy import text

    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT count(*), coalesce(sum(polls_total), 0), coalesce(sum(failures_total), 0), "
                "count(*) FILTER (WHERE at < extract(epoch from clock_timestamp()) - :late) "
                "FROM poll_stats"
            ),
            {"late": INTERVAL_S + 10},
        ).one()
    return {
        "devices": float(row[0]),
        "polls": float(row[1]),
        "failures": float(row[2]),
        "overdue": float(row[3]),
    }


def backends(engine: Any, db: str) -> list[int]:
    """The PostgreSQL backends serving the run's database (the collectors' connections)."""
    from sqlalchemy import text

    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": db},
        ).all()
    return [int(r[0]) for r in rows]


def cpu_of(pids: list[int]) -> dict[int, float]:
    """CPU seconds so far of each process still there."""
    out = {}
    for pid in pids:
        try:
            out[pid] = proc_cpu(pid)
        except OSError:  # ended
            continue
    return out


def late_turns(ports: list[int]) -> float:
    """Turns the scheduler skipped (the last poll still running), from each worker's /metrics,
    read once at the end."""
    total = 0.0
    for port in ports:
        url = f"http://127.0.0.1:{port}/metrics"
        with urllib.request.urlopen(url, timeout=120) as r:
            body = r.read().decode()
        match = re.search(r"^noc_collector_late_polls_total (\S+)$", body, re.M)
        total += float(match.group(1)) if match else 0.0
    return total


def inner(targets: int, cycles: int, workers: int, snmpd_pid: int) -> None:
    """Inside the namespace: a database, the workers, the measurement."""
    import psycopg
    from ruamel.yaml import YAML
    from sqlalchemy.exc import SQLAlchemyError

    from noc.store.db import make_engine

    db = f"noc_fleet_bench_{os.getpid()}"
    with psycopg.connect(
        host=SOCKET_DIR, user="postgres", dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(f'CREATE DATABASE "{db}"')
    work = Path(tempfile.mkdtemp(prefix="noc-fleet-"))
    inventory = work / "inventory.yaml"
    with inventory.open("w") as out:
        YAML(typ="safe").dump(fleet_inventory(targets), out)
    env = {
        **os.environ,
        "NOC_INVENTORY": str(inventory),
        "NOC_VAR_DIR": str(work / "var"),
        "NOC_DATABASE_URL": f"postgresql+psycopg://postgres@/{db}?host={SOCKET_DIR}",
        "NOC_HTTP_PORT": str(PORT),
        "NOC_BENCH_COMMUNITY": "public",
    }
    log = work / "supervisor.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "noc", "serve", "--name", "bench", "--workers", str(workers)],
        env=env,
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    engine = make_engine(env["NOC_DATABASE_URL"])
    try:
        deadline = time.monotonic() + 300
        while True:  # the warm-up: every target polled once (and the load shared out)
            time.sleep(5)
            try:
                now = totals(engine)
            except SQLAlchemyError:  # the schema is not there yet
                now = {"devices": 0.0}
            if now["devices"] >= targets:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"warm-up not done in 300 s: {now}")
        time.sleep(INTERVAL_S)  # one more cycle: every worker at its share
        # The workers (one worker is `noc serve` itself, with no supervisor above it).
        pids = [int(p) for p in re.findall(r"pid (\d+)", log.read_text())] or [proc.pid]
        cpu0 = {p: proc_cpu(p) for p in pids}
        snmpd0 = proc_cpu(snmpd_pid)
        pg0 = cpu_of(backends(engine, db))
        start, t0 = totals(engine), time.monotonic()
        time.sleep(cycles * INTERVAL_S)
        end, elapsed = totals(engine), time.monotonic() - t0
        # A backend that began during the run counts from 0; one that ended is lost (the
        # collectors keep their connections, so none should).
        pg1 = cpu_of(backends(engine, db))
        out = {
            "workers": workers,
            "elapsed_s": elapsed,
            "polls": end["polls"] - start["polls"],
            "due": targets * elapsed / INTERVAL_S,
            "failures": end["failures"] - start["failures"],
            # devices whose last poll is older than an interval and 10 s, at the end
            "overdue": end["overdue"],
            "late": late_turns([PORT + i for i in range(workers)]),
            "collector_cpu_s": {str(p): proc_cpu(p) - cpu0[p] for p in pids},
            "snmpd_cpu_s": proc_cpu(snmpd_pid) - snmpd0,
            "postgres_cpu_s": sum(v - pg0.get(p, 0.0) for p, v in pg1.items()),
            "backends": len(pg1),
        }
        print(json.dumps(out))
    finally:
        engine.dispose()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
        with psycopg.connect(
            host=SOCKET_DIR, user="postgres", dbname="postgres", autocommit=True
        ) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--snmpd-pid", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(args.targets, args.cycles, args.workers[0], args.snmpd_pid)
        return
    if os.geteuid() != 0:
        raise SystemExit("needs root: a network namespace with 24 interfaces for snmpd")
    subprocess.run(["ip", "netns", "del", NS], capture_output=True, check=False)
    sh("ip", "netns", "add", NS)
    results = []
    try:
        sh("ip", "-n", NS, "link", "set", "lo", "up")
        sh("ip", "link", "add", "nocfleet0", "type", "veth", "peer", "name", "eth0", "netns", NS)
        for i in range(11):  # lo + eth0 + 11 veth pairs = 24 interfaces
            sh("ip", "-n", NS, "link", "add", f"va{i}", "type", "veth", "peer", "name", f"vb{i}")
        with tempfile.TemporaryDirectory() as tmp:
            conf = Path(tmp) / "snmpd.conf"
            conf.write_text("agentAddress udp:161\nrocommunity public 127.0.0.0/8\n")
            argv = [
                "ip",
                "netns",
                "exec",
                NS,
                "snmpd",
                "-f",
                "-C",
                "-c",
                str(conf),
                "-Lf",
                "/dev/null",
                "-p",
                f"{tmp}/pid",
            ]
            agent = subprocess.Popen(argv)
            time.sleep(1.5)
            snmpd_pid = int(Path(f"{tmp}/pid").read_text())
            for workers in args.workers:
                run = subprocess.run(
                    [
                        "ip",
                        "netns",
                        "exec",
                        NS,
                        sys.executable,
                        __file__,
                        "--inner",
                        "--targets",
                        str(args.targets),
                        "--cycles",
                        str(args.cycles),
                        "--workers",
                        str(workers),
                        "--snmpd-pid",
                        str(snmpd_pid),
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if run.returncode != 0:
                    raise SystemExit(run.stderr[-3000:] or run.stdout[-3000:])
                results.append(json.loads(run.stdout.strip().splitlines()[-1]))
            agent.terminate()
            agent.wait()
    finally:
        subprocess.run(["ip", "netns", "del", NS], capture_output=True, check=False)
        subprocess.run(["ip", "link", "del", "nocfleet0"], capture_output=True, check=False)
    print(
        f"{args.targets} targets x 24 interfaces every {INTERVAL_S} s, {args.cycles} cycles "
        "measured (snmpd in a network namespace)"
    )
    print(
        f"{'workers':>8}{'polls':>10}{'due':>10}{'late':>6}{'overdue':>9}{'failed':>8}"
        f"{'collector CPU s':>17}{'PostgreSQL CPU s':>18}{'cores':>7}{'snmpd CPU s':>13}"
    )
    for r in results:
        cpu = sum(r["collector_cpu_s"].values())
        pg = r["postgres_cpu_s"]
        cores = (cpu + pg) / r["elapsed_s"]  # collectors + their backends, per second
        print(
            f"{r['workers']:>8}{r['polls']:>10.0f}{r['due']:>10.0f}{r['late']:>6.0f}"
            f"{r['overdue']:>9.0f}{r['failures']:>8.0f}{cpu:>17.1f}{pg:>18.1f}{cores:>7.2f}"
            f"{r['snmpd_cpu_s']:>13.1f}"
        )
    print("cores: (collector + PostgreSQL backends CPU) / elapsed; the target is 1.00 or less")
    if len(results) == 2:
        a, b = results
        print(
            f"polls done, {b['workers']} workers / {a['workers']}: "
            f"{b['polls'] / max(a['polls'], 1):.2f}"
        )


if __name__ == "__main__":
    main()
