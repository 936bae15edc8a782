"""The written record from a real database: data, versions, the frozen text, the outcome, and
the 事故等報告書 read back from its PDF in Japanese and English."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from jikoflow.models.access import person
from jikoflow.models.audit.service import record_event
from jikoflow.models.db import transaction
from jikoflow.models.enums import (
    AppiReason,
    AppiStage,
    IncidentKind,
    IncidentState,
    Lang,
    Outcome,
    Publication,
    ReportStatus,
    ReviewAnswer,
)
from jikoflow.models.errors import NotFound
from jikoflow.models.facts.rules import parse_facts
from jikoflow.models.facts.schemas import Facts, ReturnInput
from jikoflow.models.facts.service import return_record
from jikoflow.models.facts.store import add_facts_revision
from jikoflow.models.facts.tables import (
    Instruction,
    PublicationDecision,
    Reclassification,
    RecordReview,
)
from jikoflow.models.incidents.tables import Incident, Report
from jikoflow.models.parties.file import read_parties
from jikoflow.models.parties.service import load_parties
from jikoflow.models.response.service import implement_measure
from jikoflow.records.data import Actor, MeasureState, Proposal, record_data
from jikoflow.records.labels import WORDS
from jikoflow.records.ppc import render_ppc
from jikoflow.records.render import DateStyle, RecordFormat, render_record, render_text
from tests import acts
from tests.conftest import SAMPLE_PARTIES
from tests.record_checks import pdf_text, raw_codes_in

T0 = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # Wednesday 18:30 in Tokyo


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _declare(session: Session) -> str:
    load_parties(session, read_parties(SAMPLE_PARTIES))
    declared = acts.declare(
        session,
        org="gamma",
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


def _decide(session: Session, incident_id: str) -> None:
    """Facts in two revisions, a reclassification, an instruction and a publication decision."""
    add_facts_revision(
        session,
        incident_id,
        parse_facts(
            {
                "occurred_at": "2026-11-24T17:00",
                "discovered_by": "伊藤 健",
                "how": "搬出記録との照合",
                "items": "氏名,住所",
                "people": 80,
            }
        ),
        at=T0 + timedelta(hours=1),
        by="ito",
    )
    add_facts_revision(
        session,
        incident_id,
        parse_facts({"people": 240, "sensitive": True, "subject_notice": "planned"}),
        at=T0 + timedelta(days=1),
        by="suzuki",
    )
    incident = session.get(Incident, incident_id)
    assert incident is not None
    incident.suspected = False  # as the reclassification below says
    session.add(incident)
    session.add_all(
        [
            Reclassification(
                incident_id=incident_id,
                at=T0 + timedelta(hours=5),
                by="suzuki",
                kind_before=IncidentKind.LEAK,
                kind_after=IncidentKind.LEAK,
                suspected_before=True,
                suspected_after=False,
                reason="搬出先で開封された形跡",
            ),
            Instruction(
                incident_id=incident_id,
                number=1,
                text="搬出手順書を提出すること",
                due_date=date(2026, 11, 30),
                given_at=T0 + timedelta(hours=6),
                given_by="tanaka",
            ),
            PublicationDecision(
                incident_id=incident_id,
                decision=Publication.WITHHOLD,
                on_date=date(2026, 11, 27),
                reason="本人への個別通知で足りる",
                decided_at=T0 + timedelta(days=2),
                decided_by="tanaka",
            ),
        ]
    )


def _incident(url: str) -> str:
    with transaction(url) as session:
        incident_id = _declare(session)
        _respond(session, incident_id)
        _decide(session, incident_id)
    return incident_id


@pytest.fixture
def incident_id(db_url: str) -> str:
    """A leak at gamma (甲 → acme → beta → gamma) with its response and decisions recorded."""
    return _incident(db_url)


@pytest.fixture
def sqlite_incident(sqlite_url: str) -> str:
    """The same incident on SQLite only (the PDF does not depend on the backend)."""
    return _incident(sqlite_url)


def test_record_data_collects_the_incident_from_the_database(db_url: str, incident_id: str) -> None:
    now = T0 + timedelta(days=7)  # 2 December in Tokyo: measure 2 is not yet due
    with transaction(db_url) as session:
        data = record_data(session, incident_id, now=now, appi=True)  # as 甲 sees it
    assert (data.version, data.draft, data.as_of) == (1, True, now)
    assert (data.client.id, data.client.addressee, data.contractor.id) == (
        "nerima",
        "練馬区長",
        "acme",
    )
    assert (data.org.name, data.org.representative, data.org_depth) == (
        "ガンマデータセンター株式会社",
        "代表取締役 伊藤 誠",
        3,
    )
    assert [(t.org.id, t.depth) for t in data.path] == [
        ("nerima", 0),
        ("acme", 1),
        ("beta", 2),
        ("gamma", 3),
    ]
    assert [t.approved_at for t in data.path] == [None, None, date(2026, 4, 1), date(2026, 4, 10)]
    assert data.path[-1].upstream_notified_at == date(2026, 4, 9)
    assert data.declared_by == Actor(id="ito", name="伊藤 健")
    assert [(r.recipient.id, r.status, r.depth) for r in data.reports] == [
        ("beta", ReportStatus.DELIVERED, 2),
        ("acme", ReportStatus.DELIVERED, 1),
        ("nerima", ReportStatus.ACKNOWLEDGED, 0),
    ]
    assert data.reports[-1].acknowledged_by == Actor(id="tanaka", name="田中 一郎")
    assert [(a.text, a.contained) for a in data.containment] == [
        ("保管庫を施錠", False),
        ("テープを回収", True),
    ]
    assert data.causes[-1].text == "搬出記録の確認漏れ"
    assert [(m.number, m.state) for m in data.measures] == [
        (1, MeasureState.IMPLEMENTED),
        (2, MeasureState.PLANNED),
    ]
    assert (data.facts.people, data.facts.items, data.facts.sensitive) == (
        240,
        ("氏名", "住所"),
        True,
    )
    assert [(f.revision, f.changed) for f in data.facts_revisions] == [
        (1, ["occurred_at", "discovered_by", "how", "items", "people"]),
        (2, ["people", "sensitive", "subject_notice"]),
    ]
    assert data.reclassifications[0].reason == "搬出先で開封された形跡"
    assert [(i.number, i.given_by) for i in data.instructions] == [
        (1, Actor(id="tanaka", name="田中 一郎"))
    ]
    assert data.publication is not None
    assert data.publication.decision is Publication.WITHHOLD
    assert data.appi is not None
    assert data.appi.reasons == [AppiReason.SENSITIVE, AppiReason.PEOPLE_OVER_100]
    assert data.appi.learned_at == T0 + timedelta(minutes=1)
    assert data.appi.preliminary_due_on == date(2026, 11, 30)  # 11/28 is a Saturday
    assert data.outcome is Outcome.INCIDENT
    assert data.org_names["beta"] == "ベータソリューションズ株式会社"
    assert data.timeline[0].action == "declared"
    assert [e.seq for e in data.timeline] == list(range(1, len(data.timeline) + 1))


def test_an_unplanned_measure_past_its_due_day_is_overdue(db_url: str, incident_id: str) -> None:
    with transaction(db_url) as session:
        data = record_data(session, incident_id, now=datetime(2026, 12, 10, 15, 0, tzinfo=UTC))
    assert [m.state for m in data.measures] == [MeasureState.IMPLEMENTED, MeasureState.OVERDUE]


def test_the_frozen_text_says_what_is_true_once_it_is_submitted(
    db_url: str, incident_id: str
) -> None:
    at = T0 + timedelta(days=5)
    with transaction(db_url) as session:
        frozen = record_data(session, incident_id, now=at, proposal=Proposal(by="suzuki"))
        content = render_text(frozen, fmt=RecordFormat.MD)
        submitted = acts.submit(session, incident_id, by="suzuki", now=at)
    assert (frozen.version, frozen.draft, frozen.state) == (1, False, IncidentState.SUBMITTED)
    assert submitted.sha256 == hashlib.sha256(content.encode()).hexdigest()
    assert "下書き" not in content
    assert "- 状態: 記録提出済" in content
    section4 = content.split(WORDS[Lang.JA]["section4"])[1].split(WORDS[Lang.JA]["timeline"])[0]
    assert "| 第1版（本書） | 事故等 | 2026年11月30日 18:30 | 鈴木 花子 | — |" in section4
    assert "記録なし" not in section4
    assert "報告日: 2026年11月30日" in content

    with transaction(db_url) as session:
        after = record_data(session, incident_id, now=at + timedelta(hours=1))
    assert (after.version, after.draft, after.state) == (1, False, IncidentState.SUBMITTED)
    assert [(s.version, s.sha256) for s in after.submissions] == [(1, submitted.sha256)]
    assert submitted.sha256 in render_text(after, lang=Lang.EN, fmt=RecordFormat.MD)

    with transaction(db_url) as session:
        acts.cause(session, incident_id, "第三者委託先の管理不足", by="ito", now=at)
        reopened = record_data(session, incident_id, now=at + timedelta(hours=2))
    assert (reopened.version, reopened.draft, reopened.state) == (2, True, IncidentState.OPEN)
    assert "第2版" in render_text(reopened, fmt=RecordFormat.MD)


def test_submitting_keeps_the_old_flag_working(db_url: str, incident_id: str) -> None:
    with transaction(db_url) as session:
        frozen = record_data(session, incident_id, now=T0 + timedelta(days=5), submitting=True)
    assert (frozen.draft, frozen.state, frozen.submissions[-1].sha256) == (
        False,
        IncidentState.SUBMITTED,
        None,
    )


def test_a_returned_version_and_the_next_one(db_url: str, incident_id: str) -> None:
    at = T0 + timedelta(days=5)
    with transaction(db_url) as session:
        content = render_text(
            record_data(session, incident_id, now=at, proposal=Proposal(by="suzuki")),
            fmt=RecordFormat.MD,
        )
        assert acts.submit(session, incident_id, by="suzuki", now=at).sha256 == sha256_of(content)
        # 甲 returns it through the service, which keeps the answer on the version's review.
        return_record(
            session,
            actor=person("tanaka"),
            incident_id=incident_id,
            data=ReturnInput(reason="本人の数の根拠を示すこと"),
            now=at + timedelta(days=1),
        )
    with transaction(db_url) as session:
        draft = record_data(session, incident_id, now=at + timedelta(days=2))
    text = render_text(draft, fmt=RecordFormat.MD)
    assert draft.version == 2
    assert "差戻し 2026年12月1日 18:30 (田中 一郎): 本人の数の根拠を示すこと" in text


def test_an_unfounded_suspicion_is_recorded_as_not_an_incident(db_url: str) -> None:
    with transaction(db_url) as session:
        incident_id = _declare(session)
    at = T0 + timedelta(days=1)
    proposal = Proposal(
        by="ito", outcome=Outcome.NOT_AN_INCIDENT, reason="テープは別の保管庫で見つかった"
    )
    with transaction(db_url) as session:
        frozen = record_data(session, incident_id, now=at, proposal=proposal)
        content = render_text(frozen, fmt=RecordFormat.MD)
        session.add(
            RecordReview(
                incident_id=incident_id,
                version=1,
                outcome=Outcome.NOT_AN_INCIDENT,
                reason=proposal.reason,
                submitted_at=at,
                submitted_by="ito",
                answer=ReviewAnswer.ACCEPTED,
                answered_at=at + timedelta(hours=3),
                answered_by="tanaka",
            )
        )
    assert "- 結果: 該当なし（提出時の申出） — 理由: テープは別の保管庫で見つかった" in content
    assert "事故等に該当しないため、再発防止策は要しません。" in content
    assert "事故等に該当しないため、原因の分析は要しません。" in content
    assert raw_codes_in(content) == set()


def test_the_same_data_renders_the_same_markdown(db_url: str, incident_id: str) -> None:
    now = T0 + timedelta(days=3)
    with transaction(db_url) as session:
        first = render_record(record_data(session, incident_id, now=now), fmt=RecordFormat.MD)
    with transaction(db_url) as session:
        second = render_record(record_data(session, incident_id, now=now), fmt=RecordFormat.MD)
    assert first == second


def test_an_unknown_incident_is_refused(sqlite_url: str) -> None:
    with transaction(sqlite_url) as session, pytest.raises(NotFound, match="INC-NOPE"):
        record_data(session, "INC-NOPE", now=T0)


def test_a_violation_opened_for_an_unapproved_tier_names_it(sqlite_url: str) -> None:
    with transaction(sqlite_url) as session:
        parties = read_parties(SAMPLE_PARTIES)
        contract = parties.contracts[0]
        edges = [
            d.model_copy(update={"approved_at": None}) if d.child == "gamma" else d
            for d in contract.delegations
        ]
        changed = contract.model_copy(update={"delegations": edges})
        load_parties(session, parties.model_copy(update={"contracts": [changed]}))
        declared = acts.declare(session, summary="入力票の紛失", by="watanabe", now=T0)
        violation = declared.violations[0]
    with transaction(sqlite_url) as session:
        found = record_data(session, violation, now=T0)
        cause = record_data(session, declared.incident.id, now=T0)
    assert found.unapproved_tier is not None
    assert [o.id for o in found.unapproved_tier] == ["beta", "gamma"]
    assert found.linked == [declared.incident.id]
    assert cause.linked == [violation]
    text = render_text(found, fmt=RecordFormat.MD)
    assert (
        "種別: 特記事項違反（第15条・未承認の再委託）: "
        "ベータソリューションズ株式会社 → ガンマデータセンター株式会社"
    ) in text
    assert raw_codes_in(text) == set()
    cause_text = render_text(cause, fmt=RecordFormat.MD)
    assert (
        "ガンマデータセンター株式会社（再々委託先（第2次）） — **甲の承認なし（第15条違反）**"
        in (cause_text)
    )


# Every section and the words a ward reads in it, as pypdf reads them back.
PDF_JA = [
    "事故等報告書",
    "練馬区長 様",
    "報告日: 2026年11月30日",
    "報告者: ガンマデータセンター株式会社",
    "代表者: 代表取締役 伊藤 誠",
    "受託情報の保護および管理に関する特記事項第24条に基づき、下記のとおり報告します。",
    "1 契約および当事者",
    "再々委託先（第2次）",
    "再委託先（第1次）",
    "2 事故等の概要",
    "漏えい",
    "発生",
    "2026年11月24日 17:00",
    "搬出記録との照合",
    "報告（第一報）日時",
    "漏えい（おそれ）→ 漏えい（発生）",
    "3 事故等に係る情報",
    "氏名、住所",
    "240人",
    "要配慮個人情報",
    "4 被害拡大防止措置（第24条第1項第1号）",
    "保管庫を施錠",
    "5 甲・乙等への報告（第24条第1項第1号・第2項）",
    "受領確認済",
    "田中 一郎",
    "6 原因の分析（第24条第1項第2号）",
    "搬出記録の確認漏れ",
    "7 再発防止策（第24条第1項第3号）",
    "二重確認",
    "鈴木 花子",
    "実施済",
    "8 本人への対応",
    "実施予定",
    "9 甲による対応",
    "搬出手順書を提出すること",
    "公表しない",
    "本人への個別通知で足りる",
    "10 記録の提出（第24条第1項第4号）",
    "第1版（本書）",
    "11 経緯（監査記録）",
    "報告（第一報）",
    "以上",
]


def test_the_japanese_pdf_reads_back_as_a_report_a_ward_can_accept(
    sqlite_url: str, sqlite_incident: str
) -> None:
    with transaction(sqlite_url) as session:
        data = record_data(
            session, sqlite_incident, now=T0 + timedelta(days=5), proposal=Proposal(by="suzuki")
        )
    body = render_record(data, lang=Lang.JA, fmt=RecordFormat.PDF)
    assert body.startswith(b"%PDF-")
    text = pdf_text(body)
    flat = "".join(text.split())
    for expected in PDF_JA:
        assert "".join(expected.split()) in flat, expected
    # The only unknown action is the test's own `cron_check`, shown as recorded.
    assert raw_codes_in(text) == set()
    assert "下書き" not in text
    # What is submitted goes to every tier: 甲's own assessment of its PPC duty is not in it.
    assert "個人情報保護委員会" not in flat


def test_the_japanese_pdf_in_the_japanese_era(sqlite_url: str, sqlite_incident: str) -> None:
    with transaction(sqlite_url) as session:
        data = record_data(session, sqlite_incident, now=T0 + timedelta(days=5))
    text = pdf_text(render_record(data, lang=Lang.JA, fmt=RecordFormat.PDF, dates=DateStyle.ERA))
    assert "作成日: 令和8年11月30日" in text
    assert "2026年" not in text


def test_the_english_pdf(sqlite_url: str, sqlite_incident: str) -> None:
    with transaction(sqlite_url) as session:
        data = record_data(session, sqlite_incident, now=T0 + timedelta(days=3), appi=True)
    text = pdf_text(render_record(data, lang=Lang.EN, fmt=RecordFormat.PDF))
    flat = " ".join(text.split())
    for expected in [
        "Incident Report (Article 24)",
        "To: 練馬区長",
        "Under Article 24 of the special provisions",
        "2026-11-25 18:30 JST",
        "ガンマデータセンター株式会社",
        "subcontractor (tier 2)",
        "240 people",
        "Preliminary report due",
        "Recurrence-prevention measures",
        "withhold",
        "End of report",
    ]:
        assert expected in flat, expected


@pytest.mark.parametrize("known", [True, False], ids=["facts known", "facts unknown"])
def test_each_item_of_the_ppc_draft_in_markdown_is_a_line_of_its_own(
    sqlite_url: str, sqlite_incident: str, known: bool
) -> None:
    now = T0 + timedelta(days=2)
    with transaction(sqlite_url) as session:
        data = record_data(session, sqlite_incident, now=now, appi=True)
    if not known:
        data = data.model_copy(update={"facts": Facts()})
    text = render_ppc(data, stage=AppiStage.PRELIMINARY, fmt=RecordFormat.MD, now=now).decode()
    items = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(items) >= 20
    for line in items:
        # An item is one `- label: value`: none runs on into the next.
        assert re.search(r"\S- \S+: ", line) is None, line
    starts = {line.split(":")[0] for line in items}
    assert {"- 発見者", "- 発覚の経緯", "- 委託先", "- 二次被害またはそのおそれ"} <= starts


def test_the_ppc_draft_reads_back_from_its_pdf(sqlite_url: str, sqlite_incident: str) -> None:
    now = T0 + timedelta(days=2)
    with transaction(sqlite_url) as session:
        data = record_data(session, sqlite_incident, now=now, appi=True)
    body = render_ppc(data, stage=AppiStage.PRELIMINARY, fmt=RecordFormat.PDF, now=now)
    assert body.startswith(b"%PDF-")
    flat = "".join(pdf_text(body).split())
    for expected in [
        "漏えい等報告書（案）",
        "個人情報保護委員会御中",
        "報告の区分速報",
        "要配慮個人情報を含む",
        "本人の数が100人を超える",
        "漏えい（発生）",
        "240人",
        "搬出記録の確認漏れ",
        "公表しない（2026年11月27日）:本人への個別通知で足りる",
        "二重確認（実施済）",
        "媒体・形態要記入",
        "速報の期限2026年11月30日",
    ]:
        assert expected in flat, expected
    assert raw_codes_in(pdf_text(body)) == set()
