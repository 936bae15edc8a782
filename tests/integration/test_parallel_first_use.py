"""Commands started together on a fresh database all succeed: the schema is created once,
under a lock (a file lock for SQLite, an advisory lock on PostgreSQL), and parties loads
started together take turns — one changes the database, the others find it up to date."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from jikoflow.migrations import HEAD
from jikoflow.models.db import get_engine
from tests.conftest import CONSOLE_SCRIPT, SAMPLE_PARTIES, subprocess_environ

PARALLEL = 6


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database nothing has touched yet."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("empty_postgres_url")
        return url
    return f"sqlite:///{tmp_path / 'fresh' / 'jikoflow.db'}"


def _together(url: str, home: Path, *argv: str) -> list[tuple[int, str]]:
    environ = subprocess_environ() | {"JIKOFLOW_DATABASE_URL": url, "JIKOFLOW_HOME": str(home)}
    started = [
        subprocess.Popen(
            [str(CONSOLE_SCRIPT), *argv],
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PARALLEL)
    ]
    results = []
    for process in started:
        _out, err = process.communicate(timeout=300)
        results.append((process.returncode, err))
    return results


def test_commands_started_together_on_a_fresh_database_all_succeed(
    fresh_url: str, tmp_path: Path
) -> None:
    results = _together(fresh_url, tmp_path / "home", "list")
    assert results == [(0, "")] * PARALLEL
    with get_engine(fresh_url).connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    assert version == HEAD


def test_parties_loads_started_together_all_succeed_and_load_once(
    fresh_url: str, tmp_path: Path
) -> None:
    results = _together(fresh_url, tmp_path / "home", "parties", "load", str(SAMPLE_PARTIES))
    assert [code for code, _ in results] == [0] * PARALLEL, results
    with get_engine(fresh_url).connect() as conn:
        loads = conn.execute(
            sa.text("SELECT count(*) FROM auditevent WHERE action = 'parties_loaded'")
        ).scalar_one()
    assert loads == 1
