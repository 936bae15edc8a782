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
