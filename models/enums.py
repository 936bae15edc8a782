"""Enumerations of the domain; the words users read for them are in `jikoflow.models.terms`."""

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


class SessionStage(StrEnum):
    """How far a web session has come through sign-in."""

    SECOND_FACTOR = "second_factor"  # the password was right; a TOTP code is due
    ENROL = "enrol"  # the password was right; the organisation requires TOTP, none enrolled
    SIGNED_IN = "signed_in"
