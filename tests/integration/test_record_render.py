"""The written record from a real SQLite database: data, versions, Markdown and PDF."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime, timedelta

import pypdf
import pytest
from sqlmodel import Session, select

from jikoflow.models.access import person
from jikoflow.models.audit.service import record_event
from jikoflow.models.db import transaction
from jikoflow.models.enums import IncidentKind, IncidentState, Lang, ReportStatus
from jikoflow.models.errors import NotFound
from jikoflow.models.incidents.tables import Incident, Report
from jikoflow.models.parties.file import read_parties
from jikoflow.models.parties.service import load_parties
from jikoflow.models.response.service import implement_measure
from jikoflow.records.data import Actor, MeasureState, record_data
from jikoflow.records.render import RecordFormat, render_record, render_text
from tests import acts
from tests.conftest import SAMPLE_PARTIES

T0 = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # 18:30 in Tokyo


def _declare(session: Session) -> str:
    load_parties(session, read_parties(SAMPLE_PARTIES))
    declared = acts.declare(
        session,
        org="gamma",
        kind=IncidentKind.LEAK,
        summary="バックアップテープ1本の所在不明",
        suspected=True,
        discovered_at=T0 - timedelta(minutes=45),
        by="ito",
        now=T0,
    )
    return declared.incident.id


def _respond(session: Session, incident_id: str) -> None:
    """Deliver and acknowledge the reports, contain, analyse twice and plan two measures."""
    for report in session.exec(select(Report).where(Report.incident_id == incident_id)):
        report.status = ReportStatus.DELIVERED
        report.sent_at = report.delivered_at = T0 + timedelta(minutes=1)
        session.add(report)
    acts.ack(session, incident_id, "nerima", by="tanaka", now=T0 + timedelta(minutes=9))
    at = T0 + timedelta(minutes=20)
    acts.contain(session, incident_id, "保管庫を施錠", by="ito", now=at)
    at += timedelta(hours=2)
    acts.contain(session, incident_id, "テープを回収", done=True, by="ito", now=at)
    at += timedelta(days=1)
    acts.cause(session, incident_id, "搬出手順の不備", by="ito", now=at)
    at += timedelta(days=1)
    acts.cause(session, incident_id, "搬出記録の確認漏れ", by="suzuki", now=at)
    acts.measure(session, incident_id, "二重確認", owner="suzuki", due=date(2026, 12, 1), now=at)
    acts.measure(session, incident_id, "再教育", due=date(2026, 12, 10), by="ito", now=at)
    implement_measure(
        session,
        actor=person("suzuki"),
        incident_id=incident_id,
        number=1,
        now=at + timedelta(hours=1),
    )
    record_event(session, incident_id, "cron_check", actor="scheduler", at=at + timedelta(hours=2))


@pytest.fixture
def incident_id(sqlite_url: str) -> str:
    """A leak at gamma (甲 → acme → beta → gamma) with its response recorded."""
    with transaction(sqlite_url) as session:
        incident_id = _declare(session)
        _respond(session, incident_id)
    return incident_id


def test_record_data_collects_the_incident_from_the_database(
    sqlite_url: str, incident_id: str
) -> None:
    now = T0 + timedelta(days=7)  # 2 December in Tokyo: measure 2 is not yet due
    with transaction(sqlite_url) as session:
        data = record_data(session, incident_id, now=now)
    assert (data.version, data.draft, data.as_of) == (1, True, now)
    assert (data.client.id, data.contractor.id, data.org.name) == (
        "nerima",
        "acme",
        "ガンマデータセンター株式会社",
    )
    assert [t.org.id for t in data.path] == ["nerima", "acme", "beta", "gamma"]
    assert [t.approved_at for t in data.path] == [None, None, date(2026, 4, 1), date(2026, 4, 10)]
    assert data.declared_by == Actor(id="ito", name="伊藤 健")
    assert [(r.recipient.id, r.status) for r in data.reports] == [
        ("beta", ReportStatus.DELIVERED),
        ("acme", ReportStatus.DELIVERED),
        ("nerima", ReportStatus.ACKNOWLEDGED),
    ]
    nerima = data.reports[-1]
    assert nerima.acknowledged_at == T0 + timedelta(minutes=9)
    assert nerima.acknowledged_by == Actor(id="tanaka", name="田中 一郎")
    assert [(a.text, a.contained) for a in data.containment] == [
        ("保管庫を施錠", False),
        ("テープを回収", True),
    ]
    assert data.contained_at == T0 + timedelta(hours=2, minutes=20)
    assert data.cause == data.causes[-1]
    assert data.causes[-1].text == "搬出記録の確認漏れ"
    assert [c.revision for c in data.earlier_causes] == [1]
    assert [(m.number, m.state) for m in data.measures] == [
        (1, MeasureState.IMPLEMENTED),
        (2, MeasureState.PLANNED),
    ]
    assert data.measures[0].owner == Actor(id="suzuki", name="鈴木 花子")
    assert data.timeline[0].action == "declared"
    assert [e.seq for e in data.timeline] == list(range(1, len(data.timeline) + 1))
    assert data.timeline[-1].actor == Actor(id="scheduler", name=None)


def test_an_unplanned_measure_past_its_due_day_is_overdue(
    sqlite_url: str, incident_id: str
) -> None:
    with transaction(sqlite_url) as session:
        data = record_data(session, incident_id, now=datetime(2026, 12, 10, 15, 0, tzinfo=UTC))
    assert [m.state for m in data.measures] == [MeasureState.IMPLEMENTED, MeasureState.OVERDUE]


def test_versions_follow_submission_and_reopening(sqlite_url: str, incident_id: str) -> None:
    at = T0 + timedelta(days=5)
    with transaction(sqlite_url) as session:
        frozen = record_data(session, incident_id, now=at, submitting=True)
        assert (frozen.version, frozen.draft) == (1, False)
        content = render_text(frozen, fmt=RecordFormat.MD)
        submitted = acts.submit(session, incident_id, by="suzuki", now=at)
    # What was frozen is exactly what the record rendered for submission.
    assert submitted.sha256 == hashlib.sha256(content.encode()).hexdigest()
    assert "下書き" not in content

    with transaction(sqlite_url) as session:
        after = record_data(session, incident_id, now=at + timedelta(hours=1))
    assert (after.version, after.draft, after.state) == (1, False, IncidentState.SUBMITTED)
    assert [(s.version, s.sha256) for s in after.submissions] == [(1, submitted.sha256)]
    assert submitted.sha256 in render_text(after, lang=Lang.EN, fmt=RecordFormat.MD)

    with transaction(sqlite_url) as session:
        acts.cause(session, incident_id, "第三者委託先の管理不足", by="ito", now=at)
        reopened = record_data(session, incident_id, now=at + timedelta(hours=2))
    assert (reopened.version, reopened.draft, reopened.state) == (2, True, IncidentState.OPEN)
    assert "第2版" in render_text(reopened, fmt=RecordFormat.MD)


def test_the_same_data_renders_the_same_markdown(sqlite_url: str, incident_id: str) -> None:
    now = T0 + timedelta(days=3)
    with transaction(sqlite_url) as session:
        first = render_record(record_data(session, incident_id, now=now), fmt=RecordFormat.MD)
    with transaction(sqlite_url) as session:
        second = render_record(record_data(session, incident_id, now=now), fmt=RecordFormat.MD)
    assert first == second


def test_an_unknown_incident_is_refused(sqlite_url: str) -> None:
    with transaction(sqlite_url) as session, pytest.raises(NotFound, match="INC-NOPE"):
        record_data(session, "INC-NOPE", now=T0)


def test_a_linked_violation_names_the_incident_that_revealed_it(
    sqlite_url: str, incident_id: str
) -> None:
    with transaction(sqlite_url) as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        violation = Incident(
            id="INC-20261125-VIOLAT",
            contract_id=incident.contract_id,
            org_id="beta",
            kind=IncidentKind.VIOLATION,
            summary="第15条違反",
            discovered_at=T0,
            declared_at=T0,
            linked_incident_id=incident_id,
        )
        session.add(violation)
    with transaction(sqlite_url) as session:
        cause = record_data(session, incident_id, now=T0)
        found = record_data(session, "INC-20261125-VIOLAT", now=T0)
    assert cause.linked == ["INC-20261125-VIOLAT"]
    assert found.linked == [incident_id]
    assert [t.org.id for t in found.path] == ["nerima", "acme", "beta"]


def _pdf_text(body: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_record_carries_japanese_text(sqlite_url: str, incident_id: str) -> None:
    with transaction(sqlite_url) as session:
        data = record_data(session, incident_id, now=T0 + timedelta(days=3))
    body = render_record(data, lang=Lang.JA, fmt=RecordFormat.PDF)
    assert body.startswith(b"%PDF-")
    text = _pdf_text(body)
    for expected in [
        "事故等報告書",
        "ガンマデータセンター株式会社",
        "練馬区 情報政策課",
        "下書き",
        "バックアップテープ1本の所在不明",
        "搬出記録の確認漏れ",
        "2026年11月25日 18:30",
    ]:
        assert expected in text, expected


def test_pdf_record_in_english(sqlite_url: str, incident_id: str) -> None:
    with transaction(sqlite_url) as session:
        data = record_data(session, incident_id, now=T0 + timedelta(days=3))
    text = _pdf_text(render_record(data, lang=Lang.EN, fmt=RecordFormat.PDF))
    assert "Incident Record (Article 24)" in text
    assert "2026-11-25 18:30 JST" in text
    assert "ガンマデータセンター株式会社" in text
