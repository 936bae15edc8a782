"""Times survive the database round trip on both backends, and PostgreSQL works by plain URL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from jikoflow.models.db import get_engine, reading
from jikoflow.models.incidents.tables import Incident, Step
from tests.conftest import CliResult, Env
from tests.pg_server import PostgresServer

Cli = Callable[..., CliResult]
Declare = Callable[..., dict[str, Any]]

# 10:00 in Tokyo on 1 May 2026 is 01:00 UTC.
DISCOVERED_UTC = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "written",
    [
        "2026-05-01T10:00",
        "2026-05-01T10:00:00+09:00",
        "2026-05-01T01:00Z",
        "2026-04-30T21:00-04:00",
    ],
    ids=["tokyo-implied", "tokyo-offset", "utc", "new-york"],
)
def test_a_discovery_time_survives_the_round_trip(
    loaded_env: Env, cli: Cli, declare: Declare, written: str
) -> None:
    incident = declare("--discovered-at", written)["id"]
    status = cli("status", incident, "--json").json()
    assert status["discovered_at"] == "2026-05-01T01:00:00+00:00"
    due = {s["name"]: s["due_at"] for s in status["steps"]}
    assert due["report"] == "2026-05-01T02:00:00+00:00"
    assert due["root_cause"] == "2026-05-15T01:00:00+00:00"
    with reading(loaded_env.url) as session:
        row = session.get(Incident, incident)
        assert row is not None
        assert row.discovered_at == DISCOVERED_UTC
        assert row.discovered_at.utcoffset() == timedelta(0)
        steps = session.exec(select(Step).where(Step.incident_id == incident)).all()
    assert all(s.due_at.tzinfo is not None for s in steps)
    # The terminal view shows Tokyo wall-clock time.
    assert "2026-05-01 10:00" in cli("status", incident).out


def test_times_compare_in_the_database_across_offsets(
    loaded_env: Env, cli: Cli, declare: Declare
) -> None:
    # Discovered at the same instant written two ways: both are overdue one second after the
    # report deadline and neither one second before it.
    for written in ("2026-05-01T10:00", "2026-05-01T01:00+00:00"):
        declare("--discovered-at", written)
    before = cli("list", "--overdue", "--now", "2026-05-01T10:59:59+09:00", "--json").json()
    after = cli("list", "--overdue", "--now", "2026-05-01T02:00:01+00:00", "--json").json()
    assert before == []
    assert len(after) == 2


@pytest.mark.postgres
def test_a_server_in_another_time_zone_changes_nothing(
    postgres_server: PostgresServer,
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    cli: Cli,
    parties_file: Path,
) -> None:
    database = postgres_url.rsplit("/", 1)[1]
    with postgres_server.admin() as conn:
        conn.execute(f"ALTER DATABASE \"{database}\" SET timezone TO 'America/Los_Angeles'")
    monkeypatch.setenv("JIKOFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("JIKOFLOW_DATABASE_URL", postgres_url)
    assert cli("parties", "load", parties_file).code == 0
    declared = cli(
        "declare",
        "--contract",
        "C-2026-001",
        "--org",
        "delta",
        "--kind",
        "leak",
        "--summary",
        "x",
        "--discovered-at",
        "2026-05-01T10:00",
        "--no-flow",
        "--json",
    ).json()
    assert declared["discovered_at"] == "2026-05-01T01:00:00+00:00"
    with get_engine(postgres_url).connect() as conn:
        assert conn.exec_driver_sql("SHOW timezone").scalar() == "America/Los_Angeles"


@pytest.mark.postgres
def test_the_console_script_takes_a_plain_postgresql_url(
    postgres_server: PostgresServer,
    empty_postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    cli_subprocess: Cli,
    parties_file: Path,
) -> None:
    plain = empty_postgres_url.replace("postgresql+psycopg://", "postgresql://")
    monkeypatch.setenv("JIKOFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("JIKOFLOW_DATABASE_URL", plain)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    init = cli_subprocess("init", "--json")
    assert init.code == 0, init.err
    assert init.json()["from"] is None
    assert cli_subprocess("parties", "load", parties_file).code == 0
    shown = cli_subprocess("parties", "show", "--json")
    assert shown.code == 0, shown.err
    assert shown.json()[0]["organizations"][0]["id"] == "nerima"
    again = cli_subprocess("init", "--json").json()
    assert again["from"] == again["to"]
    # Nothing was written to a SQLite file in the home directory.
    assert not (tmp_path / "home" / "jikoflow.db").exists()
