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
        "violation": "違反",
    },
    StepName: {
        "containment": "被害拡大防止措置",
        "report": "甲への報告",
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
}
_EN: dict[type[StrEnum], dict[str, str]] = {
    StepName: {
        "containment": "containment",
        "report": "report to the client",
        "root_cause": "root cause",
        "prevention": "recurrence prevention",
        "record": "written record",
    },
    StepStatus: {"in_progress": "in progress"},
    IncidentState: {"submitted": "record submitted"},
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
