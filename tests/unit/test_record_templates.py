"""The written record's templates: every section in both languages, escaping, strictness."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import jinja2
import pytest

from jikoflow.models.enums import IncidentKind, IncidentState, Lang, OrgKind, ReportStatus
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
from jikoflow.records.labels import ACTIONS, MEASURE_STATES, WORDS
from jikoflow.records.render import (
    RecordFormat,
    context_for,
    environment,
    render_record,
    render_text,
    template_for,
)

T0 = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # 18:30 in Tokyo
SUZUKI = Actor(id="suzuki", name="鈴木 花子")
ITO = Actor(id="ito", name="伊藤 健")
NERIMA = Org(id="nerima", name="練馬区 情報政策課", kind=OrgKind.CLIENT)
ACME = Org(id="acme", name="アクメ情報システム株式会社", kind=OrgKind.CONTRACTOR)
BETA = Org(id="beta", name="ベータソリューションズ株式会社", kind=OrgKind.SUBCONTRACTOR)
GAMMA = Org(id="gamma", name="ガンマデータセンター株式会社", kind=OrgKind.SUBCONTRACTOR)
SHA = "3f" * 32
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
TEXT_FORMATS = [RecordFormat.MD, RecordFormat.HTML]


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
        "path": [
            PathTier(org=NERIMA),
            PathTier(org=ACME),
            PathTier(org=BETA, delegated=True, approved_at=date(2026, 4, 1)),
            PathTier(org=GAMMA, delegated=True, approved_at=None),
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
            ),
            ReportLine(
                recipient=NERIMA,
                status=ReportStatus.ACKNOWLEDGED,
                sent_at=T0 + timedelta(minutes=1),
                delivered_at=T0 + timedelta(minutes=2),
                acknowledged_at=T0 + timedelta(minutes=9),
                acknowledged_by=Actor(id="tanaka", name="田中 一郎"),
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
        "submissions": [
            Submission(
                version=1,
                sha256=SHA,
                submitted_at=T0 + timedelta(days=2, hours=3),
                submitted_by=SUZUKI,
                accepted_at=None,
                accepted_by=None,
            )
        ],
        "timeline": [
            TimelineEvent(seq=1, at=T0, actor=ITO, action="declared", detail={"org": "gamma"}),
            TimelineEvent(
                seq=2,
                at=T0 + timedelta(minutes=9),
                actor=Actor(id="tanaka", name="田中 一郎"),
                action="acknowledged",
                detail={"org": "nerima"},
            ),
            TimelineEvent(
                seq=3,
                at=T0 + timedelta(minutes=1),
                actor=None,
                action="report_sent",
                detail={"to": "beta", "error": None},
            ),
            TimelineEvent(seq=4, at=T0, actor=None, action="custom_thing", detail={}),
        ],
    }
    values.update(changes)
    return RecordData(**values)


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("lang", list(Lang))
def test_every_section_heading_appears_in_the_clauses_order(lang: Lang, fmt: RecordFormat) -> None:
    text = render_text(make_record(), lang=lang, fmt=fmt)
    words = WORDS[lang]
    headings = ["title", "parties", "incident", "summary", "section1", "containment", "reports"]
    headings += ["section2", "section3", "section4", "timeline"]
    position = 0
    for heading in headings:
        position = text.index(words[heading], position) + 1  # ValueError: missing or misplaced


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_japanese_record_shows_every_part_of_the_incident(fmt: RecordFormat) -> None:
    text = render_text(make_record(), lang=Lang.JA, fmt=fmt)
    for expected in [
        "第2版",
        "C-2026-001",
        "住民情報システム運用保守業務",
        "練馬区 情報政策課 (nerima)",
        "アクメ情報システム株式会社 (acme)",
        "ガンマデータセンター株式会社 (gamma, 再委託先)",
        "甲の承認 2026年4月1日",
        "甲の承認なし",
        "漏えい",
        "おそれ",
        "2026年11月25日 17:45",  # discovered
        "2026年11月25日 18:30",  # declared
        "伊藤 健 (ito)",
        "INC-20261125-VVVVVV",
        "バックアップテープ1本の所在不明",
        "保管庫を施錠",
        "テープを回収",
        "（封じ込め完了）",
        "ベータソリューションズ株式会社 (beta)",
        "送信済",
        "受領確認済",
        "2026年11月25日 18:39",  # 甲 acknowledged
        "田中 一郎 (tanaka)",
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
        SHA,
        "申告",
        "受領確認",
        "報告送信",
        "custom_thing",
        "システム",
    ]:
        assert expected in text, expected


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_english_record_shows_times_in_jst_and_english_labels(fmt: RecordFormat) -> None:
    text = render_text(make_record(), lang=Lang.EN, fmt=fmt)
    for expected in [
        "Version 2",
        "DRAFT",
        "2026-11-25 18:30 JST",
        "2026-11-25 17:45 JST",
        "2026-12-10",
        "leak",
        "suspected",
        "approved by the client 2026-04-01",
        "not approved by the client",
        "Latest analysis (revision 2)",
        "Earlier revisions: 1",
        "implemented",
        "planned",
        "declared",
        "report sent",
        "acknowledged",
        "system",
    ]:
        assert expected in text, expected
    assert "年" not in text  # no time or date in the Japanese style


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("lang", list(Lang))
def test_only_a_draft_is_marked_as_a_draft(lang: Lang, fmt: RecordFormat) -> None:
    mark = WORDS[lang]["draft_note"]
    assert mark in render_text(make_record(draft=True), lang=lang, fmt=fmt)
    final = render_text(make_record(draft=False), lang=lang, fmt=fmt)
    assert mark not in final
    assert WORDS[lang]["draft"] not in final


def test_a_record_without_responses_says_none_recorded() -> None:
    bare = make_record(containment=[], reports=[], causes=[], measures=[], submissions=[])
    text = render_text(bare, lang=Lang.JA, fmt=RecordFormat.MD)
    section1 = text.split("## （1）")[1]
    assert section1.count("記録なし") == 5
    assert "最新の分析" not in text


def test_earlier_cause_revisions_are_listed_with_their_times() -> None:
    causes = [
        Cause(revision=n, at=T0 + timedelta(hours=n), by=ITO, text=f"分析{n}") for n in (1, 2, 3)
    ]
    text = render_text(make_record(causes=causes), lang=Lang.JA, fmt=RecordFormat.MD)
    assert "最新の分析（第3版）" in text
    assert "以前の版: 2件" in text
    assert "| 1 | 2026年11月25日 19:30 | 伊藤 健 (ito) | 分析1 |" in text
    assert "| 2 | 2026年11月25日 20:30 | 伊藤 健 (ito) | 分析2 |" in text
    assert "> 分析3" in text


def test_audit_detail_times_are_shown_in_tokyo() -> None:
    event = TimelineEvent(
        seq=1, at=T0, actor=ITO, action="declared", detail={"discovered_at": T0.isoformat()}
    )
    ja = render_text(make_record(timeline=[event]), lang=Lang.JA, fmt=RecordFormat.MD)
    en = render_text(make_record(timeline=[event]), lang=Lang.EN, fmt=RecordFormat.MD)
    assert "discovered_at: 2026年11月25日 18:30" in ja
    assert "discovered_at: 2026-11-25 18:30 JST" in en


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
    assert "> # 見出しではない\n> 二行目\n" in text


def test_markdown_is_identical_for_the_same_data() -> None:
    first = render_record(make_record(), fmt=RecordFormat.MD)
    second = render_record(make_record(), fmt=RecordFormat.MD)
    assert first == second
    assert first.decode().endswith("\n")


def test_markdown_keeps_typed_text_as_written() -> None:
    text = render_text(make_record(summary="A&B <社外秘>"), lang=Lang.JA, fmt=RecordFormat.MD)
    assert "> A&B <社外秘>" in text


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
    assert MEASURE_STATES[Lang.JA].keys() == MEASURE_STATES[Lang.EN].keys() == set(MeasureState)


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
