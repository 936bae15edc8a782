"""The written record's templates: every section in both languages, dates in either style,
no code of the program in the Japanese text, escaping, strictness."""

from __future__ import annotations

import ast
import html
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markupsafe import escape

from jikoflow.models.enums import (
    IncidentKind,
    IncidentState,
    InstructionStatus,
    Lang,
    OrgKind,
    Outcome,
    Publication,
    ReportStatus,
    SubjectNotice,
)
from jikoflow.models.facts.appi import assess_appi
from jikoflow.models.facts.schemas import FACT_FIELDS, Facts
from jikoflow.models.terms import tier_label
from jikoflow.records.data import (
    Actor,
    Cause,
    Containment,
    Measure,
    MeasureState,
    Org,
    PathTier,
    RecordData,
    ReportLine,
    Submission,
    TimelineEvent,
    measure_state,
)
from jikoflow.records.labels import MEASURE_STATES, WORDS
from jikoflow.records.render import (
    ZERO_WIDTH_SPACE,
    DateStyle,
    RecordFormat,
    breakable,
    cell,
    context_for,
    environment,
    markdown_text,
    quote,
    render_record,
    render_text,
    template_for,
)
from jikoflow.records.trail import ACTIONS, DETAIL_KEYS
from jikoflow.records.values import (
    FactsRevisionLine,
    InstructionLine,
    PublicationLine,
    Reclassified,
)
from tests.record_checks import pdf_text, raw_codes_in, visible_text

T0 = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # 18:30 in Tokyo
SUZUKI = Actor(id="suzuki", name="鈴木 花子")
ITO = Actor(id="ito", name="伊藤 健")
TANAKA = Actor(id="tanaka", name="田中 一郎")
NERIMA = Org(id="nerima", name="練馬区 情報政策課", kind=OrgKind.CLIENT, addressee="練馬区長")
ACME = Org(
    id="acme",
    name="アクメ情報システム株式会社",
    kind=OrgKind.CONTRACTOR,
    representative="代表取締役 山田 太一",
)
BETA = Org(id="beta", name="ベータソリューションズ株式会社", kind=OrgKind.SUBCONTRACTOR)
GAMMA = Org(
    id="gamma",
    name="ガンマデータセンター株式会社",
    kind=OrgKind.SUBCONTRACTOR,
    representative="代表取締役 伊藤 誠",
)
SHA = "3f" * 32
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
TEXT_FORMATS = [RecordFormat.MD, RecordFormat.HTML]
FACTS = Facts(
    occurred_at=T0 - timedelta(days=2),
    discovered_by="伊藤 健（ガンマ運用課）",
    how="月次の棚卸しで本数の不一致に気付いた",
    items=("氏名", "住所", "生年月日"),
    records=1200,
    people=1180,
    sensitive=False,
    my_number=True,
    financial=None,
    improper_purpose=False,
    secondary_damage="現時点で確認されていない",
    subject_notice=SubjectNotice.PLANNED,
)
FIRST_FACTS = Facts(items=("氏名", "住所", "生年月日"), people=900)
LEARNED = T0 + timedelta(minutes=2)


def make_record(**changes: Any) -> RecordData:
    """A record of a leak at gamma (甲 → 乙 → beta → gamma), second version in draft."""
    values: dict[str, Any] = {
        "incident_id": "INC-20261125-7K3M9Q",
        "version": 2,
        "draft": True,
        "drill": False,
        "as_of": T0 + timedelta(days=3),
        "contract_id": "C-2026-001",
        "contract_title": "住民情報システム運用保守業務",
        "client": NERIMA,
        "contractor": ACME,
        "org": GAMMA,
        "org_depth": 3,
        "path": [
            PathTier(org=NERIMA, depth=0),
            PathTier(org=ACME, depth=1),
            PathTier(org=BETA, depth=2, delegated=True, approved_at=date(2026, 4, 1)),
            PathTier(
                org=GAMMA, depth=3, delegated=True, approved_at=None, upstream_notice_missing=True
            ),
        ],
        "kind": IncidentKind.LEAK,
        "suspected": True,
        "state": IncidentState.OPEN,
        "discovered_at": T0 - timedelta(minutes=45),
        "declared_at": T0,
        "declared_by": ITO,
        "contained_at": T0 + timedelta(hours=2),
        "linked": ["INC-20261125-VVVVVV"],
        "summary": "バックアップテープ1本の所在不明",
        "facts": FACTS,
        "facts_revisions": [
            FactsRevisionLine(
                revision=1, at=T0, by=ITO, changed=["items", "people"], after=FIRST_FACTS
            ),
            FactsRevisionLine(
                revision=2,
                at=T0 + timedelta(days=1),
                by=SUZUKI,
                changed=["people", "my_number"],
                before=FIRST_FACTS,
                after=FACTS,
            ),
        ],
        "reclassifications": [
            Reclassified(
                at=T0 + timedelta(days=1),
                by=SUZUKI,
                kind_before=IncidentKind.ERASURE,
                kind_after=IncidentKind.LEAK,
                suspected_before=True,
                suspected_after=True,
                reason="テープが外部に持ち出された可能性",
            )
        ],
        "containment": [
            Containment(
                at=T0 + timedelta(minutes=20), by=ITO, text="保管庫を施錠", contained=False
            ),
            Containment(at=T0 + timedelta(hours=2), by=None, text="テープを回収", contained=True),
        ],
        "reports": [
            ReportLine(
                recipient=BETA,
                status=ReportStatus.DELIVERED,
                sent_at=T0 + timedelta(minutes=1),
                delivered_at=T0 + timedelta(minutes=1),
                acknowledged_at=None,
                acknowledged_by=None,
                depth=2,
            ),
            ReportLine(
                recipient=NERIMA,
                status=ReportStatus.ACKNOWLEDGED,
                sent_at=T0 + timedelta(minutes=1),
                delivered_at=LEARNED,
                acknowledged_at=T0 + timedelta(minutes=9),
                acknowledged_by=TANAKA,
                depth=0,
            ),
        ],
        "causes": [
            Cause(revision=1, at=T0 + timedelta(days=1), by=ITO, text="搬出手順の不備（初版）"),
            Cause(revision=2, at=T0 + timedelta(days=2), by=SUZUKI, text="搬出記録の確認漏れ"),
        ],
        "measures": [
            Measure(
                number=1,
                text="搬出時の二重確認",
                owner=SUZUKI,
                due_date=date(2026, 12, 10),
                state=MeasureState.IMPLEMENTED,
                implemented_at=T0 + timedelta(days=2, hours=1),
                implemented_by=SUZUKI,
            ),
            Measure(
                number=2,
                text="従事者への再教育",
                owner=Actor(id="contractor-x"),
                due_date=None,
                state=MeasureState.PLANNED,
                implemented_at=None,
                implemented_by=None,
            ),
        ],
        "instructions": [
            InstructionLine(
                number=1,
                text="全テープの所在を確認し報告すること",
                due_on=date(2026, 11, 27),
                given_at=T0 + timedelta(hours=3),
                given_by=TANAKA,
                status=InstructionStatus.DONE,
                done_at=T0 + timedelta(days=1),
                done_by=SUZUKI,
                done_note="全48本の所在を確認",
            )
        ],
        "publication": PublicationLine(
            decision=Publication.PUBLISH,
            on=date(2026, 12, 1),
            reason="区ホームページで公表",
            decided_at=T0 + timedelta(days=2),
            decided_by=TANAKA,
        ),
        "appi": assess_appi(FACTS, kind=IncidentKind.LEAK, learned_at=LEARNED),
        "submissions": [
            Submission(
                version=1,
                sha256=SHA,
                submitted_at=T0 + timedelta(days=2, hours=3),
                submitted_by=SUZUKI,
                accepted_at=None,
                accepted_by=None,
                returned_at=T0 + timedelta(days=2, hours=5),
                returned_by=TANAKA,
                return_reason="本人の数の根拠を添付すること",
            )
        ],
        "timeline": [
            TimelineEvent(
                seq=1,
                at=T0,
                actor=ITO,
                action="declared",
                detail={
                    "contract": "C-2026-001",
                    "org": "gamma",
                    "kind": "leak",
                    "suspected": True,
                    "discovered_at": (T0 - timedelta(minutes=45)).isoformat(),
                    "recipients": ["beta", "acme", "nerima"],
                    "linked": None,
                },
            ),
            TimelineEvent(
                seq=2,
                at=T0 + timedelta(minutes=9),
                actor=TANAKA,
                action="acknowledged",
                detail={"org": "nerima"},
            ),
            TimelineEvent(
                seq=3,
                at=T0 + timedelta(minutes=1),
                actor=None,
                action="report_failed",
                detail={"to": "beta", "error": "channel_not_found"},
            ),
            TimelineEvent(
                seq=4,
                at=T0 + timedelta(hours=2),
                actor=Actor(id="@operator"),
                action="step_done",
                detail={"step": "root_cause"},
            ),
            TimelineEvent(
                seq=5,
                at=T0 + timedelta(days=1),
                actor=SUZUKI,
                action="measure_added",
                detail={"number": 1, "owner": "suzuki", "due": "2026-12-10"},
            ),
            TimelineEvent(
                seq=6,
                at=T0 + timedelta(days=1),
                actor=SUZUKI,
                action="reopened",
                detail={"reason": "cause"},
            ),
            TimelineEvent(
                seq=7,
                at=T0 + timedelta(days=1),
                actor=None,
                action="escalation",
                detail={"step": "record", "to": ["gamma", "nerima"]},
            ),
            TimelineEvent(
                seq=8,
                at=T0 + timedelta(days=1),
                actor=Actor(id="@system"),
                action="containment_recorded",
                detail={"contained": False},
            ),
        ],
        "org_names": {o.id: o.name for o in (NERIMA, ACME, BETA, GAMMA)},
        "person_names": {a.id: a.name or a.id for a in (SUZUKI, ITO, TANAKA)},
    }
    values.update(changes)
    return RecordData(**values)


def _text(record: RecordData, lang: Lang, fmt: RecordFormat, **options: Any) -> str:
    """What a reader reads: the Markdown, or the visible text of the HTML (spaces collapsed)."""
    text = render_text(record, lang=lang, fmt=fmt, **options)
    return " ".join(visible_text(text).split()) if fmt is RecordFormat.HTML else text


def _has(text: str, expected: str) -> bool:
    """`expected` in the text; in HTML a field's name and value sit in two cells, in Markdown
    its markup characters are escaped."""
    forms = (expected, expected.replace(": ", " ", 1), markdown_text(expected))
    return any(form in text for form in forms)


SECTIONS = [
    "title",
    "preamble",
    "ki",
    "parties",
    "incident",
    "summary",
    "information",
    "section1",
    "reports",
    "section2",
    "section3",
    "subjects",
    "client_actions",
    "instructions",
    "publication",
    "ppc",
    "section4",
    "timeline",
    "end",
]


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("lang", list(Lang))
def test_every_section_appears_in_the_reports_order(lang: Lang, fmt: RecordFormat) -> None:
    text = _text(make_record(), lang, fmt)
    words = WORDS[lang]
    position = 0
    for heading in SECTIONS:
        position = text.index(words[heading], position) + 1  # ValueError: missing or misplaced


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_japanese_record_is_a_report_a_ward_can_accept(fmt: RecordFormat) -> None:
    text = _text(make_record(), Lang.JA, fmt)
    for expected in [
        # Addressed, dated and signed.
        "練馬区長 様",
        "作成日: 2026年11月28日",
        "報告者: ガンマデータセンター株式会社",
        "代表者: 代表取締役 伊藤 誠",
        "乙: アクメ情報システム株式会社（代表者: 代表取締役 山田 太一）",
        "受託情報の保護および管理に関する特記事項第24条に基づき、下記のとおり報告します。",
        # The parties and the tiers by their names.
        "件名: 住民情報システム運用保守業務",
        "契約番号: C-2026-001",
        "ガンマデータセンター株式会社（再々委託先（第2次））",
        "ベータソリューションズ株式会社（再委託先（第1次））",
        "アクメ情報システム株式会社（乙）",
        "甲の承認 2026年4月1日",
        "甲の承認なし（第15条違反）",
        "元の委託者への通知の記録なし（第15条第3項）",
        # The incident and its facts.
        "種別: 漏えい",
        "発生・おそれの別: おそれ",
        "発生日時: 2026年11月23日 18:30",
        "発見日時: 2026年11月25日 17:45",
        "発見者: 伊藤 健（ガンマ運用課）",
        "月次の棚卸しで本数の不一致に気付いた",
        "報告（第一報）日時: 2026年11月25日 18:30",
        "報告（第一報）者: 伊藤 健",
        "被害拡大防止措置の完了: 2026年11月25日 20:30",
        "INC-20261125-VVVVVV",
        "バックアップテープ1本の所在不明",
        "消去（おそれ）→ 漏えい（おそれ）",
        "テープが外部に持ち出された可能性",
        "情報の項目: 氏名、住所、生年月日",
        "件数: 1,200件",
        "本人の数: 1,180人",
        "要配慮個人情報: 含まない",
        "特定個人情報（マイナンバー）: 含む",
        "財産的被害のおそれ: 不明",
        "不正の目的のおそれ: なし",
        "二次被害またはそのおそれ: 現時点で確認されていない",
        "事実の記録: 第2版（2026年11月26日 18:30、鈴木 花子）",
        # Measures with their times, the reporting route with every time.
        "保管庫を施錠",
        "2026年11月25日 18:50",
        "テープを回収",
        "（措置完了）",
        "ベータソリューションズ株式会社",
        "送信済",
        "受領確認済",
        "2026年11月25日 18:39",
        "田中 一郎",
        # Cause and prevention with owners and states.
        "搬出手順の不備（初版）",
        "搬出記録の確認漏れ",
        "最新の分析（第2版）",
        "以前の版: 1件",
        "搬出時の二重確認",
        "従事者への再教育",
        "contractor-x",
        "2026年12月10日",
        "実施済",
        "未実施",
        # For the people affected; the client's instructions, publication and PPC clocks.
        "本人への対応: 実施予定",
        "全テープの所在を確認し報告すること",
        "全48本の所在を確認",
        "公表する",
        "2026年12月1日",
        "区ホームページで公表",
        "甲が報告を受けた日時: 2026年11月25日 18:32",
        "報告の要否: 報告対象",
        "本人の数が100人を超える、特定個人情報（マイナンバー）を含む",
        "未確認の事項: 財産的被害のおそれ",
        "速報の期限: 2026年11月30日",
        "確報の期限: 2026年12月25日",
        # Submissions and 甲's answers.
        "第1版",
        "差戻し 2026年11月27日 23:30",
        "本人の数の根拠を添付すること",
        SHA,
        # The audit trail in words.
        "報告（第一報）",
        "組織: ガンマデータセンター株式会社",
        "報告先: ベータソリューションズ株式会社、アクメ情報システム株式会社、練馬区 情報政策課",
        "種別: 漏えい",
        "発生・おそれの別: おそれ",
        "報告の送信失敗",
        "送信エラー: あり",
        "運用担当者（サーバー）",
        "対応項目: 原因分析",
        "担当者: 鈴木 花子",
        "期限: 2026年12月10日",
        "理由: 原因分析の記録",
        "期限超過の通知",
        "宛先: ガンマデータセンター株式会社、練馬区 情報政策課",
        "措置完了: なし",
        "システム",
        "以上",
    ]:
        assert _has(text, expected), expected


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_no_code_of_the_program_reaches_the_japanese_text(fmt: RecordFormat) -> None:
    record = make_record()
    text = _text(record, Lang.JA, fmt)
    assert raw_codes_in(text) == set()
    # The check itself finds a code left in the text.
    assert raw_codes_in(text + " kind: leak / root_cause") == {"kind", "leak", "root_cause"}


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_english_record_shows_times_in_jst_and_english_labels(fmt: RecordFormat) -> None:
    text = _text(make_record(), Lang.EN, fmt)
    for expected in [
        "To: 練馬区長",
        "Version 2",
        "DRAFT",
        "2026-11-25 18:30 JST",
        "2026-11-25 17:45 JST",
        "2026-12-10",
        "leak",
        "suspected",
        "subcontractor (tier 2)",
        "approved by the client 2026-04-01",
        "not approved by the client",
        "no record of notice to the delegator",
        "Latest analysis (revision 2)",
        "Earlier revisions: 1",
        "1,180 people",
        "My Number data: yes",
        "implemented",
        "planned",
        "first report",
        "error: channel_not_found",
        "Preliminary report due: 2026-11-30",
        "returned 2026-11-27 23:30 JST",
        "system",
    ]:
        assert _has(text, expected), expected
    assert not re.search(r"\d年", text)  # no time or date in the Japanese style


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_dates_in_the_japanese_era_by_option(fmt: RecordFormat) -> None:
    era = _text(make_record(), Lang.JA, fmt, dates=DateStyle.ERA)
    for expected in ("作成日: 令和8年11月28日", "発見日時: 令和8年11月25日 17:45"):
        assert _has(era, expected), expected
    assert "甲の承認 令和8年4月1日" in era
    assert "2026年" not in era
    english = _text(make_record(), Lang.EN, fmt, dates=DateStyle.ERA)
    assert "2026-11-25 18:30 JST" in english
    assert "令和" not in english


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("lang", list(Lang))
def test_only_a_draft_is_marked_as_a_draft(lang: Lang, fmt: RecordFormat) -> None:
    mark = WORDS[lang]["draft_note"]
    assert mark in render_text(make_record(draft=True), lang=lang, fmt=fmt)
    final = render_text(make_record(draft=False), lang=lang, fmt=fmt)
    assert mark not in final
    assert WORDS[lang]["draft"] not in final
    assert WORDS[lang]["report_date"] in final


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("lang", list(Lang))
def test_a_submitted_version_shown_as_it_stands_says_so(lang: Lang, fmt: RecordFormat) -> None:
    words = WORDS[lang]
    shown = render_text(make_record(draft=False, live=True), lang=lang, fmt=fmt)
    assert words["live_note"] % 2 in shown  # the version as submitted is kept
    assert words["draft_date"] in shown  # made today, not the day it was reported
    assert words["report_date"] not in shown
    assert words["draft"] not in shown
    assert words["live"] not in render_text(make_record(draft=False), lang=lang, fmt=fmt)


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_the_version_being_frozen_lists_itself_as_submitted(fmt: RecordFormat) -> None:
    frozen = make_record(
        draft=False,
        state=IncidentState.SUBMITTED,
        submissions=[
            *make_record().submissions,
            Submission(
                version=2,
                sha256=None,
                submitted_at=T0 + timedelta(days=3),
                submitted_by=SUZUKI,
                accepted_at=None,
                accepted_by=None,
            ),
        ],
    )
    text = _text(frozen, Lang.JA, fmt)
    assert _has(text, "状態: 記録提出済")
    section = text.split(WORDS[Lang.JA]["section4"])[1]
    assert "第2版（本書）" in section
    assert "2026年11月28日 18:30" in section
    assert "本書の値は提出の記録に保存" in section
    assert "記録なし" not in section.split(WORDS[Lang.JA]["timeline"])[0]


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_an_unfounded_suspicion_reads_honestly(fmt: RecordFormat) -> None:
    record = make_record(
        outcome=Outcome.NOT_AN_INCIDENT,
        outcome_reason="テープは別の保管庫で見つかった",
        causes=[],
        measures=[],
    )
    text = _text(record, Lang.JA, fmt)
    assert _has(text, "結果: 該当なし（提出時の申出）")
    assert "テープは別の保管庫で見つかった" in text
    assert "事故等に該当しないため、原因の分析は要しません。" in text
    assert "事故等に該当しないため、再発防止策は要しません。" in text
    decided = _text(record.model_copy(update={"outcome_decided": True}), Lang.JA, fmt)
    assert "該当なし（甲が受理）" in decided
    uncontained = _text(record.model_copy(update={"contained_at": None}), Lang.JA, fmt)
    assert _has(uncontained, "被害拡大防止措置の完了: 不要（該当なし）")
    incident = _text(make_record(causes=[], measures=[]), Lang.JA, fmt)
    assert "要しません" not in incident
    assert "結果" not in incident.split(WORDS[Lang.JA]["information"])[0]


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_a_version_replaced_before_an_answer_says_so(fmt: RecordFormat) -> None:
    first = make_record().submissions[0]  # returned
    second = Submission(
        version=2,
        sha256=SHA,
        submitted_at=T0 + timedelta(days=3),
        submitted_by=SUZUKI,
        accepted_at=None,
        accepted_by=None,
    )
    third = second.model_copy(
        update={"version": 3, "submitted_at": T0 + timedelta(days=4), "accepted_at": None}
    )
    text = _text(make_record(submissions=[first, second, third]), Lang.JA, fmt)
    assert text.count("回答前に後の版を提出") == 1  # the second; the third awaits its answer
    english = _text(make_record(submissions=[first, second, third]), Lang.EN, fmt)
    assert "a later version was submitted before an answer" in english


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_a_violation_opened_for_an_unapproved_tier_names_the_clause(fmt: RecordFormat) -> None:
    violation = make_record(kind=IncidentKind.VIOLATION, unapproved_tier=(BETA, GAMMA))
    text = _text(violation, Lang.JA, fmt)
    expected = (
        "種別: 特記事項違反（第15条・未承認の再委託）: "
        "ベータソリューションズ株式会社 → ガンマデータセンター株式会社"
    )
    assert _has(text, expected)
    other = _text(make_record(kind=IncidentKind.VIOLATION), Lang.JA, fmt)
    assert "特記事項違反" in other
    assert "第15条・未承認" not in other.split(WORDS[Lang.JA]["timeline"])[0]


def test_a_record_without_responses_says_none_recorded() -> None:
    bare = make_record(
        containment=[],
        reports=[],
        causes=[],
        measures=[],
        submissions=[],
        instructions=[],
        publication=None,
        facts=Facts(),
        facts_revisions=[],
        appi=assess_appi(Facts(), kind=IncidentKind.LEAK, learned_at=LEARNED),
    )
    text = render_text(bare, lang=Lang.JA, fmt=RecordFormat.MD)
    after_facts = text.split("## 4 ")[1].split("## 11 ")[0]
    assert after_facts.count("記録なし") == 6
    assert "判断: 未決定" in text
    assert "本人への対応: 未記入" in text
    assert "報告対象の事由は確認されていません" in text
    assert "最新の分析" not in text


def test_the_client_has_not_learned_of_it_before_delivery() -> None:
    appi = assess_appi(FACTS, kind=IncidentKind.LEAK, learned_at=None)
    text = render_text(make_record(appi=appi), lang=Lang.JA, fmt=RecordFormat.MD)
    assert "甲が報告を受けた日時: 甲への報告の配信前" in text
    assert "速報の期限: —" in text


def test_tiers_are_named_by_depth() -> None:
    assert [tier_label(d) for d in range(6)] == [
        "甲",
        "乙",
        "再委託先（第1次）",
        "再々委託先（第2次）",
        "再々委託先（第3次）",
        "再々委託先（第4次）",
    ]
    assert tier_label(4, Lang.EN) == "subcontractor (tier 3)"


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_each_facts_revision_says_what_changed_from_what_to_what(fmt: RecordFormat) -> None:
    text = _text(make_record(), Lang.JA, fmt)
    assert "本人の数: 900人 → 1,180人" in text
    assert "特定個人情報（マイナンバー）: 不明 → " in text
    # The first revision: what it recorded, with nothing before it.
    assert "情報の項目: 氏名、住所、生年月日" in text
    assert "情報の項目: 不明 → " not in text
    english = _text(make_record(), Lang.EN, fmt)
    assert "People affected: 900 people → 1,180 people" in english


def test_earlier_cause_revisions_are_listed_with_their_times() -> None:
    causes = [
        Cause(revision=n, at=T0 + timedelta(hours=n), by=ITO, text=f"分析{n}") for n in (1, 2, 3)
    ]
    text = render_text(make_record(causes=causes), lang=Lang.JA, fmt=RecordFormat.MD)
    assert "最新の分析（第3版）" in text
    assert "以前の版: 2件" in text
    assert "| 1 | 2026年11月25日 19:30 | 伊藤 健 | 分析1 |" in text
    assert "| 2 | 2026年11月25日 20:30 | 伊藤 健 | 分析2 |" in text
    assert "> 分析3" in text


def test_audit_detail_times_are_shown_in_tokyo() -> None:
    event = TimelineEvent(
        seq=1, at=T0, actor=ITO, action="declared", detail={"discovered_at": T0.isoformat()}
    )
    ja = render_text(make_record(timeline=[event]), lang=Lang.JA, fmt=RecordFormat.MD)
    en = render_text(make_record(timeline=[event]), lang=Lang.EN, fmt=RecordFormat.MD)
    assert "発見日時: 2026年11月25日 18:30" in ja
    assert "discovered: 2026-11-25 18:30 JST" in en


def test_markdown_table_cells_keep_typed_pipes_and_line_breaks_inside_the_row() -> None:
    measure = Measure(
        number=1,
        text="手順書の改訂 | 周知\n月次点検",
        owner=None,
        due_date=None,
        state=MeasureState.PLANNED,
        implemented_at=None,
        implemented_by=None,
    )
    text = render_text(make_record(measures=[measure]), lang=Lang.JA, fmt=RecordFormat.MD)
    assert "| 1 | 手順書の改訂 \\| 周知<br>月次点検 | — | — | 未実施 | — |" in text


def test_markdown_summary_is_quoted_line_by_line() -> None:
    text = render_text(
        make_record(summary="# 見出しではない\n二行目"), lang=Lang.JA, fmt=RecordFormat.MD
    )
    assert "> \\# 見出しではない\n> 二行目\n" in text


def test_markdown_is_identical_for_the_same_data() -> None:
    first = render_record(make_record(), fmt=RecordFormat.MD)
    second = render_record(make_record(), fmt=RecordFormat.MD)
    assert first == second
    assert first.decode().endswith("\n")


def test_markdown_shows_typed_text_as_typed_in_any_reader() -> None:
    text = render_text(make_record(summary="A&B <社外秘>"), lang=Lang.JA, fmt=RecordFormat.MD)
    assert "> A\\&B \\<社外秘\\>" in text
    assert "<p>A&amp;B &lt;社外秘&gt;</p>" in MARKDOWN.render(quote("A&B <社外秘>"))


# A Markdown reader as GitHub's: CommonMark with tables.
MARKDOWN = MarkdownIt("commonmark").enable("table")
TYPED = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)


@settings(max_examples=300, deadline=None)
@given(TYPED)
@example("0\r-")  # a lone CR ends a line for a Markdown reader: the `-` underlines a heading
@example("0\r\n=")
@example("0\u2028- item")
def test_no_typed_text_is_markup_in_a_markdown_reader(typed: str) -> None:
    """Whatever is typed, a reader of the frozen Markdown shows it as text: in a block quote
    (the summary, the cause) or on one line (a list item, a table cell)."""
    quoted = MARKDOWN.render(f"## 概要\n\n{quote(typed)}\n\n## 次\n")
    assert set(re.findall(r"<(\w+)", quoted)) <= {"h2", "blockquote", "p", "pre", "code"}
    assert quoted.count("<h2>") == 2
    listed = MARKDOWN.render(f"- 発見者: {cell(typed)}\n- 次: x\n")
    assert set(re.findall(r"<(\w+)", listed)) <= {"ul", "li", "br"}
    assert listed.count("<li>") == 2
    row = MARKDOWN.render(f"| a | b |\n|---|---|\n| {cell(typed)} | x |\n")
    assert row.count("<td>") == 2
    assert set(re.findall(r"<(\w+)", row)) <= {"table", "thead", "tbody", "tr", "th", "td", "br"}


def _with_xss(field: str) -> RecordData:
    record = make_record()
    if field == "summary":
        return make_record(summary=XSS)
    if field == "containment":
        action = Containment(at=T0, by=ITO, text=XSS, contained=False)
        return make_record(containment=[action])
    if field in ("cause", "earlier cause"):
        causes = list(record.causes)
        index = -1 if field == "cause" else 0
        causes[index] = causes[index].model_copy(update={"text": XSS})
        return make_record(causes=causes)
    if field == "measure":
        measure = record.measures[0].model_copy(update={"text": XSS})
        return make_record(measures=[measure])
    if field == "contract title":
        return make_record(contract_title=XSS)
    if field == "organisation name":
        return make_record(org=GAMMA.model_copy(update={"name": XSS}))
    if field == "person name":
        return make_record(declared_by=Actor(id="x", name=XSS))
    assert field == "audit detail"
    event = TimelineEvent(seq=1, at=T0, actor=None, action=XSS, detail={"note": XSS})
    return make_record(timeline=[event])


@pytest.mark.parametrize(
    "field",
    [
        "summary",
        "containment",
        "cause",
        "earlier cause",
        "measure",
        "contract title",
        "organisation name",
        "person name",
        "audit detail",
    ],
)
@pytest.mark.parametrize("lang", list(Lang))
def test_html_escapes_everything_a_person_typed(field: str, lang: Lang) -> None:
    html = render_text(_with_xss(field), lang=lang, fmt=RecordFormat.HTML)
    assert XSS not in html
    assert "<script" not in html
    assert XSS_ESCAPED in html


def test_html_is_a_standalone_document_with_print_css() -> None:
    html = render_text(make_record(), lang=Lang.JA, fmt=RecordFormat.HTML)
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="ja">' in html
    for rule in ["size: A4", "counter(page)", '"IPAexGothic"', '"Noto Sans CJK JP"']:
        assert rule in html


KEY = "0123456789abcdef" * 4  # 64 characters: a SHA-256, never broken
URL = "https://portal.example.jp/incidents/INC-20261125-ABC123?tab=record&lang=ja"


def _page(text: str) -> str:
    return (
        f'<html><head><title>{"t" * 200}</title></head><body><p class="x">{text}</p></body></html>'
    )


def test_the_printer_gets_break_opportunities_only_inside_long_unbroken_runs() -> None:
    run = "A1/=" * 750  # 3,000 characters a line cannot break in: a pasted key or log line
    kept = f"{KEY} {escape(URL)} 保管庫の鍵を交換した。{'長' * 400} {'word ' * 100}"
    page = _page(f"{run} {kept}")
    printed = breakable(page)
    text = printed.split('<p class="x">', 1)[1]
    assert text.count(ZERO_WIDTH_SPACE) == 3000 // 8 - 1
    assert {len(piece) for piece in text.split(" ", 1)[0].split(ZERO_WIDTH_SPACE)} == {8}
    assert kept in printed  # the hash, the URL, Japanese and words: as they were
    assert "t" * 200 in printed  # the head (title, styles) is not text of the body
    assert printed.replace(ZERO_WIDTH_SPACE, "") == page


_ANY = st.characters(blacklist_characters=ZERO_WIDTH_SPACE)
_PIECES = st.one_of(
    st.text(alphabet=_ANY, max_size=40),
    st.text(alphabet="Aa9/=+-_.:;'\"\\&<>長", min_size=100, max_size=400),  # keys, log lines
)


@given(st.lists(_PIECES, max_size=8).map("".join))
@settings(max_examples=200)
def test_breaking_runs_never_changes_the_text_or_the_markup(typed: str) -> None:
    page = _page(str(escape(typed)))
    printed = breakable(page)
    assert printed.replace(ZERO_WIDTH_SPACE, "") == page
    text = printed.split('<p class="x">', 1)[1].rsplit("</p>", 1)[0]
    assert html.unescape(text.replace(ZERO_WIDTH_SPACE, "")) == typed
    for run in re.findall(r"[^\s<>&\u200b\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+", text):
        assert len(run) <= 128, run


def test_a_long_unbroken_measure_prints_whole_in_its_column() -> None:
    run = "X" * 3000
    measures = make_record().measures
    record = make_record(measures=[measures[0].model_copy(update={"text": run}), *measures[1:]])
    body = render_record(record, lang=Lang.JA, fmt=RecordFormat.PDF)
    words = pdf_text(body).replace(ZERO_WIDTH_SPACE, "").split()
    # Line by line, between the page headers and footers of the pages it runs over.
    assert "".join(word for word in words if set(word) == {"X"}) == run
    assert "再発防止策（第24条第1項第3号）" in words


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_a_missing_field_fails_the_render_instead_of_printing_nothing(fmt: RecordFormat) -> None:
    record = make_record()
    fields = dict(record)
    context = context_for(record, Lang.JA)
    template = template_for(fmt)
    whole = RecordData.model_construct(**fields)
    assert template.render(context | {"r": whole}) == render_text(record, fmt=fmt)
    del fields["summary"]
    with pytest.raises(jinja2.UndefinedError, match="summary"):
        template.render(context | {"r": RecordData.model_construct(**fields)})


def test_a_missing_label_fails_the_render() -> None:
    words = dict(WORDS[Lang.JA])
    del words["section3"]
    context = context_for(make_record(), Lang.JA) | {"L": words}
    with pytest.raises(jinja2.UndefinedError, match="section3"):
        template_for(RecordFormat.MD).render(context)


def test_the_environment_is_built_once_and_escapes_only_html() -> None:
    env = environment()
    assert env is environment()
    assert env.undefined is jinja2.StrictUndefined
    assert template_for(RecordFormat.HTML).render(context_for(make_record(), Lang.JA))
    assert env.autoescape("record.html.j2") is True  # type: ignore[operator]
    assert env.autoescape("record.md.j2") is False  # type: ignore[operator]


def test_both_languages_have_the_same_words() -> None:
    assert WORDS[Lang.JA].keys() == WORDS[Lang.EN].keys()
    assert ACTIONS[Lang.JA].keys() == ACTIONS[Lang.EN].keys()
    assert DETAIL_KEYS[Lang.JA].keys() == DETAIL_KEYS[Lang.EN].keys()
    assert MEASURE_STATES[Lang.JA].keys() == MEASURE_STATES[Lang.EN].keys() == set(MeasureState)
    # Every fact has its name in both languages (revisions list the facts they changed).
    assert set(FACT_FIELDS) <= WORDS[Lang.JA].keys()


def test_a_measure_is_overdue_only_after_its_due_day_in_tokyo() -> None:
    due = date(2026, 12, 10)
    last_minute = datetime(2026, 12, 10, 14, 59, tzinfo=UTC)  # 23:59 in Tokyo
    next_day = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)  # 00:00 on the 11th in Tokyo
    assert measure_state(None, due, last_minute) is MeasureState.PLANNED
    assert measure_state(None, due, next_day) is MeasureState.OVERDUE
    assert measure_state(next_day, due, next_day) is MeasureState.IMPLEMENTED
    assert measure_state(None, None, next_day) is MeasureState.PLANNED


def test_pdf_has_no_text_template() -> None:
    with pytest.raises(ValueError, match="pdf"):
        template_for(RecordFormat.PDF)


def _fixed_chain(chain: ast.expr) -> bool:
    """A trail of its own (the parties, the policy, accounts), not an incident's."""
    if isinstance(chain, ast.Constant):
        return True
    return isinstance(chain, ast.Name) and chain.id.endswith("_CHAIN")


def _actions_recorded_on_incidents() -> set[str]:
    """Every audit action the domain writes to an incident's trail, read from the sources."""
    root = Path(__file__).resolve().parents[2]
    found: set[str] = set()
    for path in (root / "models").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "record_event"
                and len(node.args) >= 3
                and isinstance(node.args[2], ast.Constant)
                and not _fixed_chain(node.args[1])
            ):
                found.add(node.args[2].value)
    # Written from values rather than literals: sweep levels and delivery outcomes.
    found |= {"reminder", "escalation", "report_sent", "report_failed", "report_unreachable"}
    return found | {"drill_ended"}


def test_every_action_recorded_on_an_incident_has_words() -> None:
    actions = _actions_recorded_on_incidents()
    assert {"declared", "acknowledged", "record_accepted"} <= actions  # the scan finds them
    assert actions - ACTIONS[Lang.JA].keys() == set()


def test_every_detail_the_domain_records_has_words() -> None:
    root = Path(__file__).resolve().parents[2]
    keys: set[str] = set()
    for path in (root / "models").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # A detail written inline, or built first as `detail = {…}` and passed on.
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "record_event":
                for keyword in node.keywords:
                    if keyword.arg == "detail" and isinstance(keyword.value, ast.Dict):
                        keys |= {k.value for k in keyword.value.keys if isinstance(k, ast.Constant)}
            if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Dict):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if [getattr(target, "id", None) for target in targets] in (["detail"], ["said"]):
                    keys |= {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
    assert {"org", "step", "version", "sha256", "repeat"} <= keys  # the scan finds them
    assert keys - DETAIL_KEYS[Lang.JA].keys() == set()


def test_the_trail_words_corrections_deadlines_and_repeats_as_a_reader_needs() -> None:
    corrected = TimelineEvent(
        seq=1,
        at=T0,
        actor=None,
        action="discovery_corrected",
        detail={
            "was": "2026-11-25T03:00:00+00:00",
            "to": "2026-11-25T11:30:00+09:00",
            "reason": "記録の誤り",
        },
    )
    returned = TimelineEvent(
        seq=2,
        at=T0,
        actor=None,
        action="record_returned",
        detail={"version": 1, "due": "2026-12-05T23:59:59.999999+09:00"},
    )
    escalated = TimelineEvent(
        seq=3,
        at=T0,
        actor=None,
        action="escalation",
        detail={"step": "report", "to": ["delta"], "repeat": 32},
    )
    record = make_record(timeline=[corrected, returned, escalated])
    ja = render_text(record, lang=Lang.JA, fmt=RecordFormat.MD)
    en = render_text(record, lang=Lang.EN, fmt=RecordFormat.MD)
    assert "訂正後: 2026年11月25日 11:30" in ja
    assert "訂正前: 2026年11月25日 12:00" in ja
    assert "期限: 2026年12月5日" in ja
    assert "corrected to: 2026-11-25 11:30 JST" in en
    for text in (ja, en):
        assert "T23:59:59" not in text
        assert "+09:00" not in text
        # A place on the repeat schedule, not a count of messages: the trail's rows count.
        assert "再通知の回数" not in text
        assert "repeats before" not in text
