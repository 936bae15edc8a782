"""Revision 0009 on a database in use: a measure recorded before it keeps every value and has
no evidence; a downgrade gives back the database it was (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from jikoflow.models.db import get_engine
from tests.integration.conftest import migrate, table_rows
from tests.old_rows import INCIDENT, write_old_rows


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at revision 0008 holding an incident with an implemented measure."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("empty_postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url, "upgrade", "0008")
    write_old_rows(url)  # as an older schema holds them (today's models know more columns)
    with get_engine(url).begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO preventionmeasure (incident_id, number, text, created_at,"
                " implemented_at, implemented_by) VALUES (:i, 1, '二重確認', :t, :t, 'ito')"
            ),
            {"i": INCIDENT, "t": "2026-11-27 01:00:00+00:00"},
        )
    yield url
    if request.param == "sqlite":
        get_engine(url).dispose()
        get_engine.cache_clear()


def test_upgrading_keeps_every_measure_without_evidence_and_downgrading_restores(
    old_url: str,
) -> None:
    before = table_rows(old_url)
    migrate(old_url, "upgrade", "0009")
    with get_engine(old_url).connect() as conn:
        rows = conn.execute(
            sa.text("SELECT number, text, implemented_by, evidence FROM preventionmeasure")
        ).all()
    assert [tuple(r) for r in rows] == [(1, "二重確認", "ito", None)]
    migrate(old_url, "downgrade", "0008")
    assert table_rows(old_url) == before
