"""A PostgreSQL primary and its streaming replica on loopback ports, made with the machine's
own PostgreSQL binaries (initdb runs as the postgres user: it refuses root)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from tests.ports import free_port


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_postgres(*args: str) -> None:
    command = list(args)
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


class Pair(NamedTuple):
    primary: str  # connection URLs
    replica: str
    stop_primary: list[str]  # the command that stops the primary at once


@contextmanager
def primary_and_replica() -> Iterator[Pair]:
    """Yields the primary's and the replica's connection URLs (psycopg form). The clusters
    live in a fresh directory under /tmp that the postgres user can reach."""
    binaries = pg_bin()
    if binaries is None:
        raise RuntimeError("PostgreSQL server binaries are missing")
    work = Path(tempfile.mkdtemp(prefix="noc-pg-"))
    if os.geteuid() == 0:
        shutil.chown(work, "postgres", "postgres")
    try:
        with _clusters(binaries, work) as urls:
            yield urls
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def _clusters(binaries: Path, work: Path) -> Iterator[Pair]:
    primary, replica = work / "primary", work / "replica"
    # TCP ports free now (a UDP port's number may be some TCP client's on a busy machine).
    p1 = free_port(count=2)
    p2 = p1 + 1
    _as_postgres(str(binaries / "initdb"), "-D", str(primary), "-A", "trust", "-U", "postgres")
    with (primary / "postgresql.conf").open("a") as conf:
        conf.write(
            f"port = {p1}\nlisten_addresses = '127.0.0.1'\nwal_level = replica\n"
            f"max_wal_senders = 5\nunix_socket_directories = '{work}'\n"
        )
    pg_ctl = str(binaries / "pg_ctl")
    _as_postgres(pg_ctl, "-D", str(primary), "-l", str(work / "primary.log"), "-w", "start")
    try:
        _as_postgres(
            str(binaries / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(p1),
            "-U",
            "postgres",
            "-D",
            str(replica),
            "-R",
            "-X",
            "stream",
        )
        with (replica / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {p2}\nhot_standby = on\n")
        _as_postgres(pg_ctl, "-D", str(replica), "-l", str(work / "replica.log"), "-w", "start")
        try:
            stop = [pg_ctl, "-D", str(primary), "-m", "immediate", "stop"]
            if os.geteuid() == 0:
                stop = ["runuser", "-u", "postgres", "--", *stop]
            yield Pair(
                f"postgresql://postgres@127.0.0.1:{p1}/postgres",
                f"postgresql://postgres@127.0.0.1:{p2}/postgres",
                stop,
            )
        finally:
            stop = [
                "runuser",
                "-u",
                "postgres",
                "--",
                pg_ctl,
                "-D",
                str(replica),
                "-m",
                "immediate",
                "stop",
            ]
            subprocess.run(stop, capture_output=True, check=False)
    finally:
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                pg_ctl,
                "-D",
                str(primary),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            check=False,
        )
