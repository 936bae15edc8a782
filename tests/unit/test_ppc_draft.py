"""The draft of the client's report to the PPC: the nine items of the form, filled from the
facts where they are known and marked 要記入 where they are not."""

from __future__ import annotations

import pytest

from jikoflow.models.enums import AppiStage, IncidentKind, Sector
from jikoflow.models.facts.appi import assess_appi
from jikoflow.models.facts.schemas import Facts
from jikoflow.records.ppc import WORDS, ppc_text
from jikoflow.records.render import DateStyle, RecordFormat
from tests.record_checks import raw_codes_in, visible_text
from tests.unit.test_record_templates import LEARNED, NERIMA, T0, XSS, XSS_ESCAPED, make_record

FORMATS = [RecordFormat.MD, RecordFormat.HTML]
ITEMS = ["item1", "item2", "item3", "item4", "item5", "item6", "item7", "item8", "item9"]


def _text(fmt: RecordFormat, stage: AppiStage = AppiStage.PRELIMINARY, **changes: object) -> str:
    text = ppc_text(make_record(**changes), stage=stage, fmt=fmt, now=T0)
    return " ".join(visible_text(text).split()) if fmt is RecordFormat.HTML else text


def _has(text: str, expected: str) -> bool:
    return expected in text or expected.replace(": ", " ", 1) in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_nine_items_of_the_form_in_order(fmt: RecordFormat) -> None:
    text = _text(fmt)
    position = text.index(WORDS["title"])
    for item in ["to", "grounds", *ITEMS]:
        position = text.index(WORDS[item], position) + 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_what_the_facts_know_is_filled_in(fmt: RecordFormat) -> None:
    text = _text(fmt)
    for expected in [
        "個人情報保護委員会 御中",
        "報告日: 2026年11月25日",
        "報告の区分: 速報",
        "報告者（行政機関等の名称）: 練馬区 情報政策課",
        "機関の長: 練馬区長",
        "本人の数が100人を超える",
        "特定個人情報（マイナンバー）を含む",
        "事態の区分: 漏えい（おそれ）",
        "発生日時: 2026年11月23日 18:30",
        "発覚日時（甲が受託者から報告を受けた日時）: 2026年11月25日 18:32",
        "発見者: 伊藤 健（ガンマ運用課）",
        "月次の棚卸しで本数の不一致に気付いた",
        "ガンマデータセンター株式会社（再々委託先（第2次））",
        "バックアップテープ1本の所在不明",
        "情報の項目: 氏名、住所、生年月日",
        "本人の数: 1,180人",
        "件数: 1,200件",
        "搬出記録の確認漏れ",
        "現時点で確認されていない",
        "実施予定",
        "公表する（2026年12月1日）: 区ホームページで公表",
        "搬出時の二重確認（実施済）",
        "保管庫を施錠",
        "全テープの所在を確認し報告すること（完了）",
        "速報の期限: 2026年11月30日",
        "確報の期限: 2026年12月25日",
    ]:
        assert _has(text, expected), expected
    assert raw_codes_in(text) == set()


@pytest.mark.parametrize("fmt", FORMATS)
def test_what_is_not_known_is_marked_to_be_filled(fmt: RecordFormat) -> None:
    unknown = Facts()
    text = _text(
        fmt,
        facts=unknown,
        causes=[],
        measures=[],
        publication=None,
        appi=assess_appi(unknown, kind=IncidentKind.LEAK, learned_at=None),
    )
    fill = WORDS["fill"]
    for label in [
        "担当部署・連絡先",
        "発生日時",
        "発覚日時（甲が受託者から報告を受けた日時）",
        "発見者",
        "発覚の経緯",
        "情報の項目",
        "媒体・形態",
        "要配慮個人情報",
        "特定個人情報（マイナンバー）",
        "本人の数",
        "件数",
        "二次被害またはそのおそれ",
        "財産的被害のおそれ",
        "不正の目的のおそれ",
    ]:
        assert _has(text, f"{label}: {fill}") or _has(text, f"{label}: **{fill}**"), label
    for item in ("item4", "item6", "item7", "item8"):
        after = text.split(WORDS[item])[1][:40]
        assert fill in after, item
    assert WORDS["no_grounds"] in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_final_report_and_a_private_client(fmt: RecordFormat) -> None:
    private = NERIMA.model_copy(update={"sector": Sector.PRIVATE})
    appi = assess_appi(
        Facts(people=1500), kind=IncidentKind.LEAK, learned_at=LEARNED, sector=Sector.PRIVATE
    )
    text = _text(fmt, AppiStage.FINAL, client=private, appi=appi)
    assert _has(text, "報告の区分: 確報")
    assert _has(text, "報告者（個人情報取扱事業者の名称）: 練馬区 情報政策課")
    assert "本人の数が1,000人を超える" in text


def test_a_breach_of_the_provisions_has_no_legal_kind_yet() -> None:
    text = _text(RecordFormat.MD, kind=IncidentKind.VIOLATION)
    assert "事態の区分: **要記入**（おそれ）" in text


def test_the_era_option_reaches_the_draft() -> None:
    text = ppc_text(
        make_record(),
        stage=AppiStage.PRELIMINARY,
        fmt=RecordFormat.MD,
        now=T0,
        dates=DateStyle.ERA,
    )
    assert "報告日: 令和8年11月25日" in text


def test_the_html_draft_escapes_typed_text() -> None:
    html = ppc_text(
        make_record(summary=XSS), stage=AppiStage.PRELIMINARY, fmt=RecordFormat.HTML, now=T0
    )
    assert XSS not in html
    assert XSS_ESCAPED in html


def test_pdf_has_no_text_template() -> None:
    with pytest.raises(ValueError, match="pdf"):
        ppc_text(make_record(), stage=AppiStage.FINAL, fmt=RecordFormat.PDF, now=T0)
