"""The simulated month written into PostgreSQL, reported: the same figures as from SQLite. A
module of its own so the simulation runs beside the SQLite one on another worker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.integration.test_sla_month import assert_october, noc

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def october_postgres() -> Iterator[str]:
    name = f"noc_sla_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres",
                         autocommit=True) as admin:  # fmt: skip
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    result = noc("sla", "simulate", "--month", "2026-10", "--database", url)
    assert result.returncode == 0, result.stderr
    yield url
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres",
                         autocommit=True) as admin:  # fmt: skip
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_simulated_october_on_postgresql_reports_what_was_planned(
    october_postgres: str, tmp_path: Path
) -> None:
    assert_october(october_postgres, tmp_path)
