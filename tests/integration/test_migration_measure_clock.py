"""Revision 0013 on a database in use (SQLite and PostgreSQL): every row kept, a measure sealed
before the clock's columns existed still matches its seal after them, the next sweep chases a
measure already overdue and arms its next escalation, and a downgrade removes only what the
revision added."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from jikoflow.database import current_revision, upgrade
from jikoflow.models.audit.seal import seal_matches, seal_of
from jikoflow.models.db import get_engine, reading
from jikoflow.models.response.tables import PreventionMeasure
from jikoflow.models.settings import audit_key
from jikoflow.sweep import queue_due
from tests.integration.conftest import migrate, table_rows
from tests.old_rows import INCIDENT, T0, write_old_rows

INDEX = "ix_preventionmeasure_clock"
COLUMNS = {"reminded_at", "escalated_at", "escalations", "next_alert_at"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at revision 0012 with old rows and a prevention measure due 10 November,
    sealed as it was then (over the columns of that revision)."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("empty_postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url, "upgrade", "0012")
    write_old_rows(url)
    table = sa.Table("preventionmeasure", sa.MetaData(), autoload_with=get_engine(url))
    with get_engine(url).begin() as conn:
        conn.execute(
            table.insert().values(
                incident_id=INCIDENT,
                number=1,
                text="宛名の二重確認",
                owner_id="watanabe",
                due_date=date(2026, 11, 10),
                created_at=T0,
                created_by="watanabe",
            )
        )
        row = conn.execute(sa.select(table)).mappings().one()
        seal = seal_of("preventionmeasure", dict(row))
        conn.execute(table.update().values(seal=seal))
    yield url
    if request.param == "sqlite":
        get_engine(url).dispose()
        get_engine.cache_clear()


def _measure(url: str) -> PreventionMeasure:
    with reading(url) as session:
        return session.exec(select(PreventionMeasure)).one()


def _schema(url: str) -> tuple[set[str], set[str]]:
    inspector = sa.inspect(get_engine(url))
    columns = {str(c["name"]) for c in inspector.get_columns("preventionmeasure")}
    indexes = {str(i["name"]) for i in inspector.get_indexes("preventionmeasure")}
    return columns, indexes


def test_upgrading_keeps_every_row_and_seal_and_the_next_sweep_chases_the_measure(
    old_url: str,
) -> None:
    before = table_rows(old_url)

    migrate(old_url, "upgrade", "0013")

    assert current_revision(old_url) == "0013"
    after = table_rows(old_url)
    assert {k: v for k, v in after.items() if k != "preventionmeasure"} == {
        k: v for k, v in before.items() if k != "preventionmeasure"
    }
    # The measure keeps its values; the new columns come last, empty (no escalation yet).
    assert [row[:-4] for row in after["preventionmeasure"]] == before["preventionmeasure"]
    assert [row[-4:] for row in after["preventionmeasure"]] == [("None", "None", "0", "None")]
    columns, indexes = _schema(old_url)
    assert columns >= COLUMNS
    assert INDEX in indexes
    assert seal_matches(_measure(old_url), audit_key())
    upgrade(old_url)
    later = T0 + timedelta(days=30)
    assert queue_due(old_url, now=later, incident_id=INCIDENT)["measures"] > 0
    chased = _measure(old_url)
    assert chased.escalated_at == later
    assert chased.escalations >= 1  # a sweep that ran late sends the newest repeat only
    assert chased.next_alert_at is not None
    assert chased.next_alert_at > later
    assert seal_matches(chased, audit_key())


def test_downgrading_removes_only_what_the_revision_added(old_url: str) -> None:
    before = table_rows(old_url)
    migrate(old_url, "upgrade", "0013")

    migrate(old_url, "downgrade", "0012")

    assert current_revision(old_url) == "0012"
    assert table_rows(old_url) == before
    columns, indexes = _schema(old_url)
    assert columns.isdisjoint(COLUMNS)
    assert INDEX not in indexes
