"""The words users read, Japanese first and English available: one table for chat, terminal,
portal and records, so one thing never has two names (宛先 in chat, 報告先 in the record).

Enum values are looked up by the enum's class name (StrEnum members compare equal to their
values, and "pending" is both a step and a report status); shared nouns by key. The Japanese
words follow the clause and the way a ward writes: 被害拡大防止措置, 甲・乙等への報告, 報告先.
"""

from __future__ import annotations

from enum import StrEnum

from jikoflow.models.enums import Lang

_JA: dict[str, dict[str, str]] = {
    "IncidentKind": {
        "leak": "漏えい",
        "destruction": "破壊",
        "tampering": "改ざん",
        "erasure": "消去",
        "violation": "特記事項違反",
    },
    "StepName": {
        "containment": "被害拡大防止措置",
        "report": "甲・乙等への報告",
        "root_cause": "原因分析",
        "prevention": "再発防止策",
        "record": "記録の提出",
    },
    "StepStatus": {
        "pending": "未着手",
        "in_progress": "対応中",
        "done": "完了",
        "overdue": "期限超過",
    },
    "ReportStatus": {
        "pending": "未送信",
        "delivered": "送信済",
        "failed": "送信失敗",
        "acknowledged": "受領確認済",
    },
    "IncidentState": {"open": "対応中", "submitted": "記録提出済", "closed": "完了"},
    "OrgKind": {"client": "甲", "contractor": "乙", "subcontractor": "再委託先"},
    "Role": {"manager": "管理責任者", "worker": "従事者"},
    "DrillType": {"contact": "連絡確認訓練", "tabletop": "机上訓練"},
    "DrillState": {"running": "実施中", "closed": "終了"},
    "Relation": {"origin": "発生組織（想定）", "recipient": "報告先", "member": "連絡網"},
    "AckOutcome": {
        "in_time": "30分以内",
        "before_due": "1時間以内",
        "late": "期限超過",
        "none": "応答なし",
    },
    "FindingState": {"open": "未着手", "in_progress": "対応中", "done": "完了"},
    "Transport": {"chat": "チャット", "email": "メール"},
    "Outcome": {"incident": "事故等", "not_an_incident": "該当なし"},
    "SubjectNotice": {"done": "実施済み", "planned": "実施予定", "not_needed": "不要"},
    "Publication": {"publish": "公表する", "withhold": "公表しない"},
    "Sector": {"public": "行政機関等", "private": "民間事業者"},
    "ReviewAnswer": {"accepted": "受理", "returned": "差戻し"},
    "InstructionStatus": {"open": "対応中", "done": "完了", "overdue": "期限超過"},
    "AppiReason": {
        "sensitive": "要配慮個人情報を含む",
        "financial": "不正に利用されることにより財産的被害が生じるおそれ",
        "improper_purpose": "不正の目的をもって行われたおそれ",
        "people_over_100": "本人の数が100人を超える",
        "people_over_1000": "本人の数が1,000人を超える",
        "my_number": "特定個人情報（マイナンバー）を含む",
    },
    "AppiStage": {"preliminary": "速報", "final": "確報"},
}
_EN: dict[str, dict[str, str]] = {
    "IncidentKind": {"violation": "violation of the provisions"},
    "StepName": {
        "containment": "containment",
        "report": "reports to the client and the chain",
        "root_cause": "root cause",
        "prevention": "recurrence prevention",
        "record": "written record",
    },
    "StepStatus": {"in_progress": "in progress"},
    "IncidentState": {"submitted": "record submitted"},
    "OrgKind": {"client": "client (甲)", "contractor": "contractor (乙)"},
    "DrillType": {"contact": "contact-tree check", "tabletop": "tabletop exercise"},
    "Relation": {"origin": "origin (simulated)", "recipient": "report recipient"},
    "AckOutcome": {
        "in_time": "within 30 min",
        "before_due": "within 1 h",
        "none": "no answer",
    },
    "FindingState": {"in_progress": "in progress"},
    "Transport": {"email": "e-mail"},
    "Outcome": {"not_an_incident": "not an incident"},
    "SubjectNotice": {"not_needed": "not needed"},
    "Sector": {"public": "public body", "private": "private business"},
    "AppiReason": {
        "sensitive": "sensitive personal information",
        "financial": "possible financial damage",
        "improper_purpose": "possibly done for an improper purpose",
        "people_over_100": "more than 100 people",
        "people_over_1000": "more than 1,000 people",
        "my_number": "My Number data",
    },
    "AppiStage": {"preliminary": "preliminary report", "final": "final report"},
}
_LABELS = {Lang.JA: _JA, Lang.EN: _EN}

# Nouns every surface shares.
NOUNS: dict[Lang, dict[str, str]] = {
    Lang.JA: {
        "client": "甲",
        "contractor": "乙",
        "incident": "事故等",
        "incident_id": "事故等番号",
        "contract": "契約",
        "org": "発生組織",
        "kind": "種別",
        "state": "状態",
        "step": "対応項目",
        "status": "状況",
        "due": "期限",
        "done": "完了日時",
        "recipient": "報告先",
        "sent": "送信日時",
        "delivered": "配信日時",
        "acknowledged": "受領確認日時",
        "acknowledged_by": "受領確認者",
        "channels": "到達経路",
        "discovered": "発見日時",
        "declared": "報告日時",
        "late": "期限超過",
        "linked": "関連する事故等",
        "drill": "【訓練】",
        "none": "—",
        "operator": "運用担当（サーバー）",
        "system": "システム",
    },
    Lang.EN: {
        "client": "client (甲)",
        "contractor": "contractor (乙)",
        "incident": "incident",
        "incident_id": "Incident",
        "contract": "Contract",
        "org": "Organisation",
        "kind": "Kind",
        "state": "State",
        "step": "Step",
        "status": "Status",
        "due": "Due",
        "done": "Done",
        "recipient": "Recipient",
        "sent": "Sent",
        "delivered": "Delivered",
        "acknowledged": "Acknowledged",
        "acknowledged_by": "Acknowledged by",
        "channels": "Reached by",
        "discovered": "Discovered",
        "declared": "Reported",
        "late": "Late",
        "linked": "Linked incidents",
        "drill": "[DRILL] ",
        "none": "—",
        "operator": "server operator",
        "system": "system",
    },
}


def label(value: StrEnum, lang: Lang = Lang.JA) -> str:
    """The user-facing word for an enum value in `lang` (its value when none is set)."""
    table = _LABELS[lang].get(type(value).__name__, {})
    return table.get(value.value, str(value.value).replace("_", " "))


def step_status_label(name: StrEnum | None, status: StrEnum, lang: Lang = Lang.JA) -> str:
    """A step's status in words; containment under way reads 措置中 (measures taken, the damage
    not contained yet), as the clause would say it."""
    if str(name) == "containment" and str(status) == "in_progress":
        return "措置中" if lang is Lang.JA else "measures under way"
    return label(status, lang)


def suspected_label(suspected: bool, lang: Lang = Lang.JA) -> str:
    """おそれ (suspected) or 発生 (confirmed)."""
    if lang is Lang.JA:
        return "おそれ" if suspected else "発生"
    return "suspected" if suspected else "confirmed"


def aside(*parts: str, lang: Lang = Lang.JA) -> str:
    """Words in brackets after others: （期限 12月1日 10:00、田中） in Japanese, " (due …, …)" in
    English; nothing when every part is empty."""
    shown = [p for p in parts if p]
    if not shown:
        return ""
    if lang is Lang.JA:
        return f"（{'、'.join(shown)}）"
    return f" ({', '.join(shown)})"


def kind_label(kind: StrEnum, suspected: bool, lang: Lang = Lang.JA, *, brief: bool = False) -> str:
    """An incident's kind with its certainty: 漏えい（おそれ）, leak (suspected). `brief` marks only
    a suspicion (a list, where "（発生）" on every other row would only take room)."""
    if brief and not suspected:
        return label(kind, lang)
    return label(kind, lang) + aside(suspected_label(suspected, lang), lang=lang)


def tier_label(depth: int, lang: Lang = Lang.JA) -> str:
    """A party by its depth in the chain: 甲 (0), 乙 (1), 再委託先（第1次） (2), 再々委託先（第n次）
    (3 and deeper)."""
    order = depth - 1
    if lang is Lang.JA:
        names = {0: "甲", 1: "乙", 2: "再委託先（第1次）"}
        return names.get(depth, f"再々委託先（第{order}次）")
    return {0: "client", 1: "contractor"}.get(depth, f"subcontractor (tier {order})")


def noun(key: str, lang: Lang = Lang.JA) -> str:
    """A shared noun in `lang`."""
    return NOUNS[lang][key]
