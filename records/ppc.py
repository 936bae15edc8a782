"""A draft of 甲's report to the Personal Information Protection Commission (漏えい等報告).

The PPC's form asks for nine items (規則第44条; 第8条 for a private business): the outline,
the items of information, the number of people, the cause, secondary damage, action for the
people affected, publication, prevention measures and anything else of note. The draft fills
what the incident's record knows and marks the rest 「要記入」 — 甲 reviews, completes and
files it; jikoflow never files anything with the Commission itself. The form is Japanese, so
the draft is too.
"""

from __future__ import annotations

from datetime import datetime

from jikoflow.models.enums import AppiStage, IncidentKind, Lang
from jikoflow.records.render import (
    DateStyle,
    RecordFormat,
    context_for,
    environment,
    html_to_pdf,
)
from jikoflow.records.values import RecordData

# The Act's words for what happened to the data (漏えい, 滅失, 毀損); a breach of the
# provisions is none of them until it is reclassified.
LEGAL_KIND: dict[IncidentKind, str] = {
    IncidentKind.LEAK: "漏えい",
    IncidentKind.DESTRUCTION: "滅失または毀損",
    IncidentKind.TAMPERING: "毀損",
    IncidentKind.ERASURE: "滅失",
}

WORDS: dict[str, str] = {
    "title": "漏えい等報告書（案）",
    "to": "個人情報保護委員会 御中",
    "draft_note": (
        "この文書は、受託者からの事故等の報告をもとに作成した報告書の案です。"
        "「要記入」の項目を補い、内容を確認してから提出してください。"
    ),
    "fill": "要記入",
    "stage": "報告の区分",
    "date": "報告日",
    "reporter": "報告者（行政機関等の名称）",
    "reporter_private": "報告者（個人情報取扱事業者の名称）",
    "head": "機関の長",
    "contact": "担当部署・連絡先",
    "grounds": "報告対象となる事態",
    "no_grounds": "報告対象の事由は確認されていません（報告の要否を確認してください）。",
    "item1": "1 概要",
    "legal_kind": "事態の区分",
    "occurred": "発生日時",
    "learned": "発覚日時（甲が受託者から報告を受けた日時）",
    "discovered": "受託者における発見日時",
    "how": "発覚の経緯",
    "outline": "事案の概要",
    "entrusted": "委託先",
    "path": "委託の経路",
    "item2": "2 漏えい等が発生し、または発生したおそれがある保有個人情報の項目",
    "media": "媒体・形態",
    "item3": "3 本人の数",
    "item4": "4 原因",
    "item5": "5 二次被害またはそのおそれの有無およびその内容",
    "item6": "6 本人への対応の実施状況",
    "item7": "7 公表の実施状況",
    "item8": "8 再発防止のための措置",
    "item9": "9 その他参考となる事項",
    "containment": "被害拡大防止措置",
    "instructions": "甲から受託者への指示等（特記事項第22条）",
    "deadlines": "報告の期限",
    "records": "件数",
    "source": "作成の基とした記録",
}


def render_ppc(
    record: RecordData,
    *,
    stage: AppiStage = AppiStage.PRELIMINARY,
    fmt: RecordFormat,
    now: datetime,
    dates: DateStyle = DateStyle.WESTERN,
) -> bytes:
    """The draft in `fmt`: UTF-8 Markdown or HTML, or a PDF printed from the HTML."""
    if fmt is RecordFormat.PDF:
        html = ppc_text(record, stage=stage, fmt=RecordFormat.HTML, now=now, dates=dates)
        return html_to_pdf(html)
    return ppc_text(record, stage=stage, fmt=fmt, now=now, dates=dates).encode()


def ppc_text(
    record: RecordData,
    *,
    stage: AppiStage,
    fmt: RecordFormat,
    now: datetime,
    dates: DateStyle = DateStyle.WESTERN,
) -> str:
    """The draft as Markdown or HTML text."""
    if fmt is RecordFormat.PDF:
        raise ValueError("pdf is printed from the html template")
    context = context_for(record, Lang.JA, dates) | {
        "P": WORDS,
        "stage": stage,
        "now": now,
        "legal_kind": LEGAL_KIND.get(record.kind),
    }
    return environment().get_template(f"ppc.{fmt}.j2").render(context)
