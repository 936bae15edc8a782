"""Revision 0006 on a database in use: every row kept, the list reads as before through the new
indexes, and a downgrade removes only the indexes (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from jikoflow.database import current_revision, upgrade
from jikoflow.models.access import person
from jikoflow.models.db import get_engine, transaction
from jikoflow.models.incidents.service import list_incidents
from tests.integration.conftest import migrate, table_rows
from tests.old_rows import INCIDENT, write_old_rows

NEW = {"ix_incident_listing", "ix_incident_linked_incident_id"}


def _migrate_to_listing(url: str) -> str | None:
    """Upgrade to the revision under test, not what came after it."""
    migrate(url, "upgrade", "0006")
    return current_revision(url)


def _indexes(url: str) -> set[str]:
    return {i["name"] for i in sa.inspect(get_engine(url)).get_indexes("incident")}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at revision 0005 holding parties and an incident (rows as the old schema
    holds them: today's models know columns it lacks)."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("empty_postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url, "upgrade", "0005")
    write_old_rows(url)
    yield url
    if request.param == "sqlite":
        get_engine(url).dispose()
        get_engine.cache_clear()


def test_upgrading_keeps_every_row_and_lists_as_before(old_url: str) -> None:
    before = table_rows(old_url)

    assert _migrate_to_listing(old_url) == "0006"

    assert _indexes(old_url) >= NEW
    assert table_rows(old_url) == before
    upgrade(old_url)
    with transaction(old_url) as session:
        listed = list_incidents(session, actor=person("tanaka"))
    assert [incident.id for incident in listed] == [INCIDENT]


def test_downgrading_removes_only_the_indexes(old_url: str) -> None:
    before = table_rows(old_url)
    _migrate_to_listing(old_url)

    migrate(old_url, "downgrade", "0005")

    assert current_revision(old_url) == "0005"
    assert NEW.isdisjoint(_indexes(old_url))
    assert table_rows(old_url) == before
