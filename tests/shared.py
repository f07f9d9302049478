"""What the parallel workers of one run make once and share (a simulated month, its reports).

The run's controller (or the lone pytest process) makes a folder and hands it to the workers in
the environment. Each artefact has a lock there: the first worker to need it makes it while the
others wait, and each later one reads what it left: its data, or the error it failed with (one
failure, not one attempt per worker). At the end of the run the controller drops the PostgreSQL
databases the artefacts name and removes the folder."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

ENV = "NOC_TEST_SHARED"
PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}


def start_run() -> None:
    os.environ[ENV] = tempfile.mkdtemp(prefix="noc-test-shared-")


def end_run() -> None:
    root = os.environ.pop(ENV, None)
    if root is None:
        return
    for record in Path(root).glob("*.json"):
        with contextlib.suppress(ValueError, OSError):
            for name in json.loads(record.read_text()).get("databases", []):
                drop_database(name)
    shutil.rmtree(root, ignore_errors=True)


def drop_database(name: str) -> None:
    with psycopg.connect(**PG_ADMIN, autocommit=True) as admin:  # type: ignore[arg-type]
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def shared(name: str, make: Callable[[Path], dict[str, Any]]) -> dict[str, Any]:
    """The artefact `name`, made once per run by `make(folder)`. What `make` returns is kept as
    JSON; the databases it lists under "databases" are dropped at the end of the run (a `make`
    that fails drops its own)."""
    if ENV not in os.environ:  # a process outside a pytest run that prepared the folder
        start_run()
    root = Path(os.environ[ENV])
    record = root / f"{name}.json"
    with _locked(root / f"{name}.lock"):
        if record.exists():
            data: dict[str, Any] = json.loads(record.read_text())
            if "error" in data:
                pytest.fail(f"{name} could not be made in this run: {data['error']}")
            return data
        folder = root / name
        folder.mkdir()
        try:
            data = make(folder)
        except BaseException as exc:
            record.write_text(json.dumps({"error": str(exc)[:4000]}))
            raise
        record.write_text(json.dumps(data))
        return data
