"""Migration 0005 upgrades a populated 0002 database: the data stays, organisations gain their
new columns, and an incident declared before the upgrade takes facts and renders its record."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from jikoflow.database import current_revision, upgrade
from jikoflow.migrations import HEAD, SCRIPT_LOCATION
from jikoflow.models.db import get_engine, transaction
from jikoflow.models.enums import Lang, Sector
from jikoflow.models.facts.rules import parse_facts
from jikoflow.models.facts.store import add_facts_revision, latest_facts
from jikoflow.models.parties.tables import Organization
from jikoflow.records.data import record_data
from jikoflow.records.render import RecordFormat, render_text

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def _config(conn: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["connection"] = conn
    return config


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at revision 0002 holding a contract and one open incident."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("empty_postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'old.db'}"
    with get_engine(url).begin() as conn:
        command.upgrade(_config(conn), "0002")
        _populate(conn)
    yield url
    get_engine(url).dispose()
    get_engine.cache_clear()


def _rows(conn: sa.Connection, table: str, *rows: dict[str, object]) -> None:
    columns = [sa.column(name) for name in rows[0]]
    conn.execute(sa.table(table, *columns).insert(), list(rows))


def _populate(conn: sa.Connection) -> None:
    _rows(
        conn,
        "organization",
        {"id": "nerima", "name": "練馬区", "kind": "client", "slack_channel": None},
        {"id": "acme", "name": "アクメ株式会社", "kind": "contractor", "slack_channel": "C0ACME"},
    )
    _rows(
        conn,
        "person",
        {"id": "tanaka", "org_id": "nerima", "name": "田中 一郎", "role": "manager"},
        {"id": "suzuki", "org_id": "acme", "name": "鈴木 花子", "role": "manager"},
    )
    _rows(
        conn,
        "contract",
        {"id": "C-1", "title": "保守業務", "client_id": "nerima", "contractor_id": "acme"},
    )
    naive = T0.replace(tzinfo=None) if conn.dialect.name == "sqlite" else T0
    _rows(
        conn,
        "incident",
        {
            "id": "INC-20261120-OLD001",
            "contract_id": "C-1",
            "org_id": "acme",
            "kind": "leak",
            "suspected": True,
            "improper_purpose": False,
            "summary": "USBメモリの紛失",
            "state": "open",
            "discovered_at": naive,
            "declared_at": naive,
            "declared_by": "suzuki",
            "is_drill": False,
        },
    )
    _rows(
        conn,
        "report",
        {
            "incident_id": "INC-20261120-OLD001",
            "recipient_id": "nerima",
            "status": "acknowledged",
            "sent_at": naive,
            "delivered_at": naive,
            "acknowledged_at": naive,
            "acknowledged_by": "tanaka",
        },
    )


def test_a_populated_database_is_upgraded_with_its_data(old_url: str) -> None:
    assert current_revision(old_url) == "0002"
    assert upgrade(old_url) == ("0002", HEAD)
    with transaction(old_url) as session:
        nerima = session.get(Organization, "nerima")
        assert nerima is not None
        assert (nerima.name, nerima.sector, nerima.addressee, nerima.representative) == (
            "練馬区",
            Sector.PUBLIC,
            None,
            None,
        )
        row = add_facts_revision(
            session,
            "INC-20261120-OLD001",
            parse_facts({"people": 12, "items": "氏名,住所"}),
            at=T0,
            by="suzuki",
        )
        assert row.revision == 1
    with transaction(old_url) as session:
        latest = latest_facts(session, "INC-20261120-OLD001")
        assert latest is not None
        assert latest.facts["people"] == 12
        data = record_data(session, "INC-20261120-OLD001", now=T0)
    text = render_text(data, lang=Lang.JA, fmt=RecordFormat.MD)
    assert "USBメモリの紛失" in text
    assert "練馬区 様" in text  # no addressee yet: the organisation's name
    assert "12人" in text


def test_downgrading_to_0002_keeps_the_old_data(old_url: str) -> None:
    upgrade(old_url)
    with get_engine(old_url).begin() as conn:
        command.downgrade(_config(conn), "0002")
    engine = get_engine(old_url)
    tables = set(sa.inspect(engine).get_table_names())
    assert "factsrevision" not in tables
    columns = {c["name"] for c in sa.inspect(engine).get_columns("organization")}
    assert "sector" not in columns
    with engine.connect() as conn:
        summary = conn.execute(sa.text("SELECT summary FROM incident")).scalar_one()
    assert summary == "USBメモリの紛失"
