"""Revision 0008 on a database in use (SQLite and PostgreSQL): every row kept, a report that no
transport delivered loses the send time a failed attempt gave it, old incidents get no flow
request, and a downgrade removes only what the revision added."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from jikoflow.database import current_revision, upgrade
from jikoflow.migrations import HEAD
from jikoflow.models.db import get_engine, transaction
from jikoflow.models.handoff.service import waiting_requests
from tests import acts
from tests.integration.conftest import migrate, table_rows
from tests.web_fixtures import load_sample_parties

NEW_TABLES = {"flowrequest", "channelpace"}
SENT = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at revision 0007 with an incident whose reports were tried: one delivered,
    one failed, two waiting after a failed attempt (which used to set their send time).

    The rows are written by today's services, then the schema is taken back to 0007."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("empty_postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url)
    load_sample_parties(url)
    with transaction(url) as session:
        acts.declare(session, org="gamma", summary="封筒1通の所在不明", suspected=True)
    migrate(url, "downgrade", "0007")
    with get_engine(url).begin() as conn:
        for recipient, status, delivered in [
            ("nerima", "delivered", SENT),
            ("acme", "failed", None),
            ("beta", "pending", None),
        ]:
            conn.execute(
                sa.text(
                    "UPDATE report SET status = :status, sent_at = :sent, delivered_at = :at "
                    "WHERE recipient_id = :to"
                ),
                {"status": status, "sent": SENT, "at": delivered, "to": recipient},
            )
    yield url
    if request.param == "sqlite":
        get_engine(url).dispose()
        get_engine.cache_clear()


def _reports(url: str) -> dict[str, tuple[str, object]]:
    with get_engine(url).connect() as conn:
        rows = conn.execute(sa.text("SELECT recipient_id, status, sent_at FROM report"))
        return {to: (status, sent is not None) for to, status, sent in rows}


def test_upgrading_keeps_every_row_and_clears_only_unsent_send_times(old_url: str) -> None:
    before = table_rows(old_url)
    assert NEW_TABLES.isdisjoint(before)

    migrate(old_url, "upgrade", "0008")  # the revision under test, not what came after
    assert current_revision(old_url) == "0008"

    after = table_rows(old_url)
    unchanged = set(before) - {"report", "notification"}
    assert {name: after[name] for name in unchanged} == {name: before[name] for name in unchanged}
    # Each outbox row is as it was, held by no outage.
    assert [row[:-1] for row in after["notification"]] == before["notification"]
    assert {row[-1] for row in after["notification"]} == {"False"}
    assert _reports(old_url) == {
        "nerima": ("delivered", True),
        "acme": ("failed", False),
        "beta": ("pending", False),
    }
    assert {name: after[name] for name in NEW_TABLES} == {name: [] for name in NEW_TABLES}
    assert waiting_requests(old_url) == 0  # the old incident's clocks stay with `sweep`
    assert upgrade(old_url) == ("0008", HEAD)  # today's models write what came after
    with transaction(old_url) as session:
        declared = acts.declare(session, org="beta", summary="誤送信")
    assert waiting_requests(old_url, [declared.incident.id]) == 1


def test_downgrading_removes_only_what_it_added(old_url: str) -> None:
    upgrade(old_url)
    migrate(old_url, "downgrade", "0007")
    assert current_revision(old_url) == "0007"
    inspector = sa.inspect(get_engine(old_url))
    assert NEW_TABLES.isdisjoint(inspector.get_table_names())
    assert "outage" not in {c["name"] for c in inspector.get_columns("notification")}
    assert "node" not in {c["name"] for c in inspector.get_columns("schedulerlease")}
    assert _reports(old_url)["nerima"] == ("delivered", True)
