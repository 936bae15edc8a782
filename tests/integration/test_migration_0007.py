"""Revision 0007 on a database in use: every row kept, organisations get an empty `email`, what
the earlier code escalated once is counted and due to repeat, the e-mail tables work at once,
and a downgrade gives back exactly the database it was (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from jikoflow.database import current_revision
from jikoflow.models.db import get_engine, reading
from jikoflow.models.incidents.tables import Step
from jikoflow.sweep import queue_due
from tests.integration.conftest import migrate, table_rows
from tests.old_rows import T0, write_old_rows

NEW_TABLES = {"mail_message", "mail_thread"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at revision 0004 holding parties and an incident."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("empty_postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url, "upgrade", "0004")
    write_old_rows(url)
    yield url
    if request.param == "sqlite":
        get_engine(url).dispose()
        get_engine.cache_clear()


def _columns(url: str) -> dict[str, list[str]]:
    return {
        name: [c["name"] for c in sa.inspect(get_engine(url)).get_columns(name)]
        for name in sa.inspect(get_engine(url)).get_table_names()
    }


def _as_of(url: str, columns: dict[str, list[str]]) -> dict[str, list[tuple[str, ...]]]:
    """Every row, of the tables and columns given."""
    with get_engine(url).connect() as conn:
        return {
            name: sorted(
                tuple(str(v) for v in row)
                for row in conn.execute(
                    sa.select(*(sa.column(c) for c in cols)).select_from(sa.table(name))
                )
            )
            for name, cols in columns.items()
            if name != "alembic_version"
        }


def test_upgrading_keeps_every_row_and_counts_what_was_sent(old_url: str) -> None:
    old = _columns(old_url)
    before = _as_of(old_url, old)
    migrate(old_url, "upgrade", "0007")
    assert current_revision(old_url) == "0007"
    assert _as_of(old_url, old) == before
    after = table_rows(old_url)
    assert {name: after[name] for name in NEW_TABLES} == {name: [] for name in NEW_TABLES}
    migrate(old_url, "upgrade", "head")  # today's models read and write what came after
    with reading(old_url) as session:
        steps = {s.id: s for s in session.exec(sa.select(Step)).scalars()}
    state = {i: (s.escalations, s.next_alert_at) for i, s in steps.items()}
    assert state == {
        1: (0, None),  # done
        2: (1, T0 + timedelta(minutes=61 + 60)),  # escalated once: repeats an hour later
        3: (0, steps[3].due_at),  # reminded: next, its due time
        4: (0, None),  # not warned yet: the warn time
        5: (0, None),
    }
    # The clocks go on from there: nerima's report, delivered and not acknowledged, is
    # reminded; the report step itself is quiet (every report is out).
    queued = queue_due(old_url, now=T0 + timedelta(hours=3))
    assert queued["reminders"] == 1
    assert queued["escalations"] == 1  # nerima's overdue acknowledgement


def test_downgrading_gives_back_the_database_it_was(old_url: str) -> None:
    before = table_rows(old_url)
    migrate(old_url, "upgrade", "0007")
    migrate(old_url, "downgrade", "0004")
    assert current_revision(old_url) == "0004"
    assert table_rows(old_url) == before
