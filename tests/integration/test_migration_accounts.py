"""Revision 0004 on a database in use: every row kept, the new tables work at once, and a
downgrade removes only what it added (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from jikoflow.database import current_revision
from jikoflow.models.accounts.passwords import hash_password
from jikoflow.models.accounts.tables import Credential
from jikoflow.models.db import get_engine, transaction
from jikoflow.models.policy.service import contract_policy
from tests.integration.conftest import migrate, table_rows
from tests.old_rows import write_old_rows

NEW_TABLES = {"credential", "websession", "apitoken", "policyentry"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at revision 0003 holding parties and an incident (written at head by today's
    code, then taken down to 0003: what a site running 0003 holds)."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("empty_postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url, "upgrade", "0003")
    write_old_rows(url)  # as the 0003 schema holds them (today's models know more columns)
    yield url
    if request.param == "sqlite":
        get_engine(url).dispose()
        get_engine.cache_clear()


def test_upgrading_keeps_every_row_and_the_new_tables_work(old_url: str) -> None:
    before = table_rows(old_url)
    assert NEW_TABLES.isdisjoint(before)

    migrate(old_url, "upgrade", "0004")  # the revision under test, not what came after
    assert current_revision(old_url) == "0004"

    after = table_rows(old_url)
    assert {name: rows for name, rows in after.items() if name in before} == before
    assert {name: after[name] for name in NEW_TABLES} == {key: [] for key in NEW_TABLES}
    with transaction(old_url) as session:
        credential = Credential(person_id="watanabe", password_hash=hash_password("a long pass"))
        session.add(credential)
        assert contract_policy(session, "C-1").clocks.root_cause.due is not None


def test_downgrading_removes_only_what_it_added(old_url: str) -> None:
    before = table_rows(old_url)
    migrate(old_url, "upgrade", "0004")

    migrate(old_url, "downgrade", "0003")

    assert current_revision(old_url) == "0003"
    tables = set(sa.inspect(get_engine(old_url)).get_table_names())
    assert NEW_TABLES.isdisjoint(tables)
    assert table_rows(old_url) == before
