"""Revisions 0010 and 0011 on a database in use: every row kept, the rows already there sealed
and each chain given its sealed head in the upgrade with the home's key, so the trail verifies
after it and an edit or a deletion made later shows (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from jikoflow.database import upgrade
from jikoflow.models.audit.service import GENESIS, _digest
from jikoflow.models.audit.verify import check_incident
from jikoflow.models.db import get_engine, reading
from tests.integration.conftest import migrate, table_rows
from tests.old_rows import INCIDENT, T0, write_old_rows


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at revision 0008 with old rows: an incident whose two events chain, and a
    cause revision the second event records."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("empty_postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url, "upgrade", "0008")
    write_old_rows(url)
    first = _digest(GENESIS, INCIDENT, 1, T0, "@operator", "declared", {"org": "delta"})
    at = T0 + timedelta(hours=1)
    second = _digest(first, INCIDENT, 2, at, "suzuki", "cause_recorded", {"revision": 1})
    with get_engine(url).begin() as conn:
        conn.execute(sa.text("UPDATE auditevent SET hash = :h"), {"h": first})
        conn.execute(
            sa.text(
                "INSERT INTO auditevent (chain, seq, at, actor, action, detail, prev_hash, hash) "
                "VALUES (:c, 2, :at, 'suzuki', 'cause_recorded', :d, :p, :h)"
            ),
            {"c": INCIDENT, "at": at, "d": '{"revision": 1}', "p": first, "h": second},
        )
        conn.execute(
            sa.text(
                "INSERT INTO causerevision (incident_id, revision, at, by, text) "
                "VALUES (:i, 1, :at, 'suzuki', '宛名の確認漏れ')"
            ),
            {"i": INCIDENT, "at": at},
        )
    yield url
    if request.param == "sqlite":
        get_engine(url).dispose()
        get_engine.cache_clear()


def test_upgrading_seals_the_rows_there_and_keeps_every_row(old_url: str) -> None:
    before = table_rows(old_url)
    upgrade(old_url)
    after = table_rows(old_url)
    for name, rows in before.items():
        # Every old row is there, with one more column (its seal) where sealed.
        assert [r[: len(rows[0])] for r in after[name]] == rows if rows else after[name] == []
    with get_engine(old_url).connect() as conn:
        unsealed = conn.execute(
            sa.text("SELECT count(*) FROM auditevent WHERE seal IS NULL")
        ).scalar_one()
    assert unsealed == 0
    with reading(old_url) as session:
        assert check_incident(session, INCIDENT).broken is None
    with get_engine(old_url).begin() as conn:
        conn.execute(sa.text("UPDATE causerevision SET text = '不明'"))
    with reading(old_url) as session:
        assert check_incident(session, INCIDENT).broken == "cause revision 1"


def test_upgrading_gives_each_chain_its_head(old_url: str) -> None:
    upgrade(old_url)
    with get_engine(old_url).connect() as conn:
        heads = conn.execute(sa.text("SELECT chain, seq FROM audithead ORDER BY chain")).all()
        chains = conn.execute(
            sa.text("SELECT chain, max(seq) FROM auditevent GROUP BY chain ORDER BY chain")
        ).all()
    assert heads == chains
    assert (INCIDENT, 2) in heads
    with get_engine(old_url).begin() as conn:
        conn.execute(sa.text("DELETE FROM auditevent WHERE seq = 2"))
    with reading(old_url) as session:
        broken = check_incident(session, INCIDENT).broken
    assert broken == "audit event 2: missing (the chain's head names it)"
