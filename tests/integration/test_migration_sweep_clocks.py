"""Revision 0011 on a database in use (SQLite and PostgreSQL): every row kept, the report
delivered to 甲 is looked at by the next sweep (its APPI time is its delivery time), the clock
indexes replace the single-column ones, and a downgrade removes only what the revision added."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from jikoflow.database import current_revision, upgrade
from jikoflow.models.db import get_engine
from jikoflow.sweep import queue_due
from tests.integration.conftest import migrate, table_rows
from tests.old_rows import INCIDENT, T0, write_old_rows

NEW = {"step": {"ix_step_clock"}, "report": {"ix_report_clock", "ix_report_appi_next_at"}}
OLD = {"step": {"ix_step_next_alert_at"}, "report": {"ix_report_next_alert_at"}}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at revision 0010 holding parties and an incident with delivered reports."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("empty_postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url, "upgrade", "0010")
    write_old_rows(url)
    yield url
    if request.param == "sqlite":
        get_engine(url).dispose()
        get_engine.cache_clear()


def _indexes(url: str, table: str) -> set[str]:
    return {str(i["name"]) for i in sa.inspect(get_engine(url)).get_indexes(table)}


def _appi_times(url: str) -> dict[str, object]:
    with get_engine(url).connect() as conn:
        rows = conn.execute(sa.text("SELECT recipient_id, appi_next_at FROM report")).all()
    return {str(recipient): at for recipient, at in rows}


def test_upgrading_keeps_every_row_and_has_the_sweep_look_at_the_clients_report(
    old_url: str,
) -> None:
    before = table_rows(old_url)

    migrate(old_url, "upgrade", "0011")

    assert current_revision(old_url) == "0011"
    after = table_rows(old_url)
    assert {k: v for k, v in after.items() if k != "report"} == {
        k: v for k, v in before.items() if k != "report"
    }
    # Each report keeps its values; the new column comes last.
    assert [row[:-1] for row in after["report"]] == before["report"]
    times = _appi_times(old_url)
    assert times["acme"] is None  # not 甲's
    assert times["nerima"] is not None  # delivered to 甲: looked at by the next sweep
    for table, names in NEW.items():
        assert _indexes(old_url, table) >= names
        assert _indexes(old_url, table).isdisjoint(OLD[table])
    assert "ix_instruction_clock" in _indexes(old_url, "instruction")
    upgrade(old_url)
    # The old incident's facts are unknown: nothing is reportable and nothing is to come.
    queue_due(old_url, now=T0 + timedelta(minutes=70), incident_id=INCIDENT)
    assert _appi_times(old_url) == {"nerima": None, "acme": None}


def test_downgrading_removes_only_what_the_revision_added(old_url: str) -> None:
    before = table_rows(old_url)
    migrate(old_url, "upgrade", "0011")

    migrate(old_url, "downgrade", "0010")

    assert current_revision(old_url) == "0010"
    assert table_rows(old_url) == before
    for table, names in OLD.items():
        assert _indexes(old_url, table) >= names
        assert _indexes(old_url, table).isdisjoint(NEW[table])
    assert "ix_instruction_clock" not in _indexes(old_url, "instruction")
