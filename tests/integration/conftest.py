"""Integration fixtures: a database with the sample parties loaded, declaring through the CLI,
and snapshots of every table to prove a refusal changed nothing.

- `loaded_env`: `env` (SQLite, then PostgreSQL) with the sample parties loaded.
- `declare(org=…, kind=…, *extra, flow=False)`: `jikoflow declare … --json` in-process, returns
  the parsed JSON; without `flow=True` it passes `--no-flow` (no Prefect needed).
- `snapshot()`: every row of every table of the test's database, comparable with `==`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from jikoflow.migrations import SCRIPT_LOCATION
from jikoflow.models.db import get_engine
from tests.conftest import CliResult, Env

SAMPLE_CONTRACT = "C-2026-001"

Snapshot = dict[str, list[tuple[str, ...]]]


@pytest.fixture
def loaded_env(env: Env, cli: Callable[..., CliResult], parties_file: Path) -> Env:
    """`env` with jikoflow/sample/parties.yaml loaded."""
    result = cli("parties", "load", parties_file)
    assert result.code == 0, result.err
    return env


@pytest.fixture
def declare(cli: Callable[..., CliResult]) -> Callable[..., dict[str, Any]]:
    """Declare an incident under the sample contract; returns `declare --json`."""

    def run(
        *extra: str,
        org: str = "delta",
        kind: str = "leak",
        summary: str = "封筒1通の所在不明",
        contract: str = SAMPLE_CONTRACT,
        flow: bool = False,
    ) -> dict[str, Any]:
        argv = ["declare", "--contract", contract, "--org", org, "--kind", kind]
        argv += ["--summary", summary, "--json", *extra]
        if not flow:
            argv.append("--no-flow")
        result = cli(*argv)
        assert result.code == 0, result.err
        data: dict[str, Any] = result.json()
        return data

    return run


def table_rows(url: str, *, reflect: bool = True) -> Snapshot:
    """Every row of every table, sorted: reflected from the database (so tables added later
    are included), or, much faster for tables of many cases, the application's own tables."""
    from jikoflow.models.db import get_engine
    from jikoflow.models.metadata import metadata as application

    engine = get_engine(url)
    metadata = sa.MetaData()
    if reflect:
        metadata.reflect(engine)
    else:
        metadata = application
    with engine.connect() as conn:
        return {
            name: sorted(tuple(str(v) for v in row) for row in conn.execute(sa.select(table)))
            for name, table in sorted(metadata.tables.items())
            if name != "alembic_version"
        }


@pytest.fixture
def snapshot() -> Callable[[], Snapshot]:
    """A function returning the current contents of the test's database."""
    return lambda: table_rows(os.environ["JIKOFLOW_DATABASE_URL"])


def migrate(url: str, how: str, revision: str) -> None:
    """Alembic's `upgrade` or `downgrade` of the database to `revision`, in one transaction."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    with get_engine(url).begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, how)(config, revision)


def drills_on_any_day(cli: Callable[..., Any], directory: Path) -> None:
    """Load a policy that runs drills on their dates whatever the day (closed_days: keep), so a
    test does not depend on today being a business day in Tokyo."""
    keep = directory / "policy.yaml"
    keep.write_text("defaults:\n  drills:\n    closed_days: keep\n", encoding="utf-8")
    loaded = cli("policy", "load", keep)
    assert loaded.code == 0, loaded.err
