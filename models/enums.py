"""Enumerations of the domain, with the labels users read (Japanese first, English available)."""

from __future__ import annotations

from enum import StrEnum


class Lang(StrEnum):
    """Languages for records and chat labels."""

    JA = "ja"
    EN = "en"


class OrgKind(StrEnum):
    """The party an organisation is in a contract."""

    CLIENT = "client"
    CONTRACTOR = "contractor"
    SUBCONTRACTOR = "subcontractor"


class Role(StrEnum):
    """A person's role at an organisation (Art. 6)."""

    MANAGER = "manager"
    WORKER = "worker"


class IncidentKind(StrEnum):
    """The kinds of 事故等 named in Art. 24."""

    LEAK = "leak"
    DESTRUCTION = "destruction"
    TAMPERING = "tampering"
    ERASURE = "erasure"
    VIOLATION = "violation"


class IncidentState(StrEnum):
    """Where an incident is in its life."""

    OPEN = "open"
    SUBMITTED = "submitted"
    CLOSED = "closed"


class StepName(StrEnum):
    """The Article 24 duties, in the clause's order."""

    CONTAINMENT = "containment"
    REPORT = "report"
    ROOT_CAUSE = "root_cause"
    PREVENTION = "prevention"
    RECORD = "record"


class StepStatus(StrEnum):
    """A step's state; `overdue` is derived from the clock, never stored."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    OVERDUE = "overdue"


class Outcome(StrEnum):
    """How an incident ends: a 事故等, or 該当なし when a suspicion proved unfounded (§9)."""

    INCIDENT = "incident"
    NOT_AN_INCIDENT = "not_an_incident"


class SubjectNotice(StrEnum):
    """What was done for the people affected (本人への対応)."""

    DONE = "done"
    PLANNED = "planned"
    NOT_NEEDED = "not_needed"


class Publication(StrEnum):
    """甲's decision on publishing the incident (Art. 25)."""

    PUBLISH = "publish"
    WITHHOLD = "withhold"


class Sector(StrEnum):
    """Whether a client is a public body (行政機関等) or a private business under the APPI."""

    PUBLIC = "public"
    PRIVATE = "private"


class ReviewAnswer(StrEnum):
    """甲's answer to a submitted record: accepted (受理) or returned (差戻し)."""

    ACCEPTED = "accepted"
    RETURNED = "returned"


class InstructionStatus(StrEnum):
    """Where an instruction of 甲 (Art. 22) stands; `overdue` is derived from its due date."""

    OPEN = "open"
    DONE = "done"
    OVERDUE = "overdue"


class AppiReason(StrEnum):
    """Why 甲 must report a case to the Personal Information Protection Commission."""

    SENSITIVE = "sensitive"
    FINANCIAL = "financial"
    IMPROPER_PURPOSE = "improper_purpose"
    PEOPLE_OVER_100 = "people_over_100"
    PEOPLE_OVER_1000 = "people_over_1000"
    MY_NUMBER = "my_number"


class AppiStage(StrEnum):
    """The two reports to the Commission: 速報 (preliminary) and 確報 (final)."""

    PRELIMINARY = "preliminary"
    FINAL = "final"


class ReportStatus(StrEnum):
    """Delivery state of one report to one recipient organisation."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    ACKNOWLEDGED = "acknowledged"


# StrEnum members hash like their values ("pending" is both a step and a report status),
# so labels are looked up per enum class.
_JA: dict[type[StrEnum], dict[str, str]] = {
    IncidentKind: {
        "leak": "漏えい",
        "destruction": "破壊",
        "tampering": "改ざん",
        "erasure": "消去",
        "violation": "特記事項違反",
    },
    StepName: {
        "containment": "被害拡大防止措置",
        "report": "甲・乙等への報告",
        "root_cause": "原因分析",
        "prevention": "再発防止策",
        "record": "記録の提出",
    },
    StepStatus: {
        "pending": "未着手",
        "in_progress": "対応中",
        "done": "完了",
        "overdue": "期限超過",
    },
    ReportStatus: {
        "pending": "未送信",
        "delivered": "送信済",
        "failed": "送信失敗",
        "acknowledged": "受領確認済",
    },
    IncidentState: {"open": "対応中", "submitted": "記録提出済", "closed": "完了"},
    OrgKind: {"client": "甲", "contractor": "乙", "subcontractor": "再委託先"},
    Role: {"manager": "管理責任者", "worker": "従事者"},
    Outcome: {"incident": "事故等", "not_an_incident": "該当なし"},
    SubjectNotice: {"done": "実施済み", "planned": "実施予定", "not_needed": "不要"},
    Publication: {"publish": "公表する", "withhold": "公表しない"},
    Sector: {"public": "行政機関等", "private": "民間事業者"},
    ReviewAnswer: {"accepted": "受理", "returned": "差戻し"},
    InstructionStatus: {"open": "対応中", "done": "完了", "overdue": "期限超過"},
    AppiReason: {
        "sensitive": "要配慮個人情報を含む",
        "financial": "不正に利用されることにより財産的被害が生じるおそれ",
        "improper_purpose": "不正の目的をもって行われたおそれ",
        "people_over_100": "本人の数が100人を超える",
        "people_over_1000": "本人の数が1,000人を超える",
        "my_number": "特定個人情報（マイナンバー）を含む",
    },
    AppiStage: {"preliminary": "速報", "final": "確報"},
}
_EN: dict[type[StrEnum], dict[str, str]] = {
    StepName: {
        "containment": "containment",
        "report": "reports to the client and the chain",
        "root_cause": "root cause",
        "prevention": "recurrence prevention",
        "record": "written record",
    },
    StepStatus: {"in_progress": "in progress"},
    IncidentState: {"submitted": "record submitted"},
    Outcome: {"not_an_incident": "not an incident"},
    SubjectNotice: {"not_needed": "not needed"},
    Sector: {"public": "public body", "private": "private business"},
    InstructionStatus: {"open": "open"},
    AppiReason: {
        "sensitive": "sensitive personal information",
        "financial": "possible financial damage",
        "improper_purpose": "possibly done for an improper purpose",
        "people_over_100": "more than 100 people",
        "people_over_1000": "more than 1,000 people",
        "my_number": "My Number data",
    },
    AppiStage: {"preliminary": "preliminary report", "final": "final report"},
}
LABELS: dict[Lang, dict[type[StrEnum], dict[str, str]]] = {Lang.JA: _JA, Lang.EN: _EN}


def label(value: StrEnum, lang: Lang = Lang.JA) -> str:
    """The user-facing label of an enum value in `lang`."""
    return LABELS[lang].get(type(value), {}).get(value.value, str(value.value))


def suspected_label(suspected: bool, lang: Lang = Lang.JA) -> str:
    """おそれ (suspected) or 発生 (confirmed)."""
    if lang is Lang.JA:
        return "おそれ" if suspected else "発生"
    return "suspected" if suspected else "confirmed"
