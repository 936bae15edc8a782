"""What a message may say (DESIGN.md §5), and the outbox that carries it.

`NoticeFacts` is the one place the no-content rule is enforced, for every transport: it has no
field for anything a person typed (summary, actions, causes, measures, people affected), refuses
unknown fields, and is the only input message builders accept. `facts_for` is the only code that
fills it from an incident, and it never reads the free-text columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, SQLModel, col, select

from jikoflow.models.enums import IncidentKind, IncidentState, ReportStatus, StepName, StepStatus
from jikoflow.models.incidents.clocks import shown_status
from jikoflow.models.incidents.tables import Incident, Report, Step
from jikoflow.models.outbox.tables import Notification, Transport
from jikoflow.models.parties.tables import MAX_MENTIONS, Contract, Organization, Person
from jikoflow.models.settings import mail_configured
from jikoflow.models.types import utcnow


class NoticeEvent(StrEnum):
    """Why a message is sent."""

    REPORT = "report"  # the Art. 24 report to one recipient organisation
    DECLARED = "declared"  # the incident organisation's own managers
    STATE = "state"  # a step or the incident changed state
    REMINDER = "reminder"  # a step reached its warn time
    ESCALATION = "escalation"  # a step is overdue
    SUBMITTED = "submitted"  # the written record was submitted
    CLOSED = "closed"  # 甲 accepted the record
    DRILL_CHECK = "drill_check"  # a contact-tree check (Art. 24 (3)) asking for confirmation
    DRILL_INJECT = "drill_inject"  # a tabletop inject is available (its text stays out of chat)
    ACK_REMINDER = "ack_reminder"  # a recipient has not acknowledged its report yet
    ACK_OVERDUE = "ack_overdue"  # a recipient's acknowledgement is overdue (to the reporter, 乙)
    ACKNOWLEDGED = "acknowledged"  # a recipient acknowledged the report (to the reporter)
    FACTS = "facts"  # the structured facts were revised (never what they say)
    RECLASSIFIED = "reclassified"  # the kind or おそれ/発生 changed
    RETURNED = "returned"  # 甲 returned the submitted record (差戻し)
    INSTRUCTED = "instructed"  # 甲 gave an instruction (Art. 22; its text stays out)
    INSTRUCTION_DONE = "instruction_done"  # an instruction was marked done
    INSTRUCTION_DUE = "instruction_due"  # an instruction's due date is near
    INSTRUCTION_OVERDUE = "instruction_overdue"  # an instruction's due date has passed
    PUBLICATION = "publication"  # 甲 decided on publication (Art. 25)
    APPI_PRELIMINARY = "appi_preliminary"  # 甲's 速報 to the PPC is due soon
    APPI_FINAL = "appi_final"  # 甲's 確報 to the PPC is due soon
    UPSTREAM_UNNOTIFIED = "upstream_unnotified"  # a deeper tier's delegator was not told (15(3))
    MEASURE_DUE = "measure_due"  # a prevention measure's due date is near (its text stays out)
    MEASURE_OVERDUE = "measure_overdue"  # a prevention measure's due date has passed


class Subject(StrEnum):
    """What a message is about."""

    INCIDENT = "incident"  # a 事故等, real or a tabletop's drill incident (INC-…)
    DRILL = "drill"  # a drill itself, e.g. its contact check (DRL-…)


class OutboxStatus(StrEnum):
    """Delivery state of an outbox row."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    WITHDRAWN = "withdrawn"  # a reminder or escalation no longer true when it would be sent


_SLACK_ID = r"^[A-Z0-9]{2,32}$"


class _Facts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StepFact(_Facts):
    """One step's name, state and clock."""

    name: StepName
    status: StepStatus
    due_at: datetime


class ReportFact(_Facts):
    """One recipient organisation's delivery state, and who of it acknowledged, when."""

    org_name: str
    status: ReportStatus
    org_id: str | None = None
    acknowledged_by: str | None = Field(default=None, max_length=200)  # a manager's name
    acknowledged_at: datetime | None = None


class NoticeFacts(_Facts):
    """Everything a message may carry, by any transport — names, states, times; nothing typed."""

    event: NoticeEvent
    subject: Subject = Subject.INCIDENT
    subject_id: str  # the incident's or drill's id
    contract_id: str
    contract_title: str
    org_id: str
    org_name: str
    recipient_id: str | None = None
    recipient_name: str | None = None
    kind: IncidentKind
    suspected: bool
    state: IncidentState
    drill: bool = False
    declared_at: datetime
    steps: tuple[StepFact, ...] = ()
    reports: tuple[ReportFact, ...] = ()
    reports_total: int = 0  # how many reports the incident has, when more than are listed
    step: StepName | None = None
    step_status: StepStatus | None = None
    due_at: datetime | None = None
    mentions: tuple[str, ...] = Field(default=(), max_length=MAX_MENTIONS)
    record_version: int | None = None
    inject: int | None = None  # the number of a tabletop inject, never its text
    measure: int | None = None  # the number of a prevention measure, never its text
    # Another organisation the event is about (the recipient that acknowledged, or has not).
    party_id: str | None = None
    party_name: str | None = None
    person_name: str | None = Field(default=None, max_length=200)  # who acted, from the parties
    at: datetime | None = None  # when it happened

    @property
    def report_count(self) -> int:
        """How many reports the incident has, listed or not."""
        return max(self.reports_total, len(self.reports))


def facts_for(
    session: Session,
    incident: Incident,
    event: NoticeEvent,
    *,
    recipient: Organization | None = None,
    step: StepName | None = None,
    mentions: Sequence[str] = (),
    record_version: int | None = None,
    now: datetime | None = None,
) -> NoticeFacts:
    """The facts of `incident` for one message; reads names, states and clocks only."""
    contract = session.get(Contract, incident.contract_id)
    org = session.get(Organization, incident.org_id)
    assert contract is not None
    assert org is not None
    steps = session.exec(select(Step).where(Step.incident_id == incident.id).order_by(col(Step.id)))
    reports = session.exec(
        select(Report, Organization)
        .join(Organization, col(Organization.id) == Report.recipient_id)
        .where(Report.incident_id == incident.id)
        .order_by(col(Report.id))
    ).all()
    return build_facts(
        incident,
        contract,
        org,
        list(steps),
        [(r, o) for r, o in reports],
        event,
        now=now or utcnow(),
        recipient=recipient,
        step=step,
        mentions=mentions,
        record_version=record_version,
        names=person_names(session, [r.acknowledged_by for r, _ in reports]),
    )


def steps_as_shown(
    steps: Sequence[Step], now: datetime, *, closed: bool, contained: bool
) -> tuple[StepFact, ...]:
    """An incident's steps as a message shows them at `now` (one that is late: 期限超過)."""
    return tuple(
        StepFact(
            name=s.name,
            status=shown_status(
                s.name, s.status, s.due_at, now, closed=closed, contained=contained
            ),
            due_at=s.due_at,
        )
        for s in steps
    )


def person_names(session: Session, ids: Sequence[str | None]) -> dict[str, str]:
    """The names of these people (as the parties file gives them), by id."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    found = session.exec(select(Person.id, Person.name).where(col(Person.id).in_(wanted)))
    return dict(found.all())


def build_facts(
    incident: Incident,
    contract: Contract,
    org: Organization,
    steps: Sequence[Step],
    reports: Sequence[tuple[Report, Organization]],
    event: NoticeEvent,
    *,
    now: datetime,
    recipient: Organization | None = None,
    step: StepName | None = None,
    mentions: Sequence[str] = (),
    record_version: int | None = None,
    names: Mapping[str, str] | None = None,
) -> NoticeFacts:
    """The facts from rows already loaded — the free-text columns are never read; `names` are
    the people who acknowledged reports, by id."""
    step_facts = steps_as_shown(
        steps,
        now,
        closed=incident.closed_at is not None,
        contained=incident.contained_at is not None,
    )
    chosen = next((s for s in step_facts if s.name == step), None)
    return NoticeFacts(
        event=event,
        subject_id=incident.id,
        contract_id=contract.id,
        contract_title=contract.title,
        org_id=org.id,
        org_name=org.name,
        recipient_id=recipient.id if recipient else None,
        recipient_name=recipient.name if recipient else None,
        kind=incident.kind,
        suspected=incident.suspected,
        state=incident.state,
        drill=incident.is_drill,
        declared_at=incident.declared_at,
        steps=step_facts,
        reports=tuple(
            ReportFact(
                org_name=o.name,
                status=r.status,
                org_id=o.id,
                acknowledged_by=(names or {}).get(r.acknowledged_by, r.acknowledged_by)
                if r.acknowledged_by
                else None,
                acknowledged_at=r.acknowledged_at,
            )
            for r, o in reports
        ),
        step=step,
        step_status=chosen.status if chosen else None,
        due_at=chosen.due_at if chosen else None,
        mentions=tuple(m for m in mentions if m)[:MAX_MENTIONS],
        record_version=record_version,
    )


# Every message is queued for these transports; e-mail joins where it is configured.
QUEUED: tuple[Transport, ...] = (Transport.CHAT,)


def queued_transports() -> tuple[Transport, ...]:
    """The transports a message is queued for: chat always, e-mail with `JIKOFLOW_SMTP_URL`."""
    return (*QUEUED, Transport.EMAIL) if mail_configured() else QUEUED


# A message lists at most this many reports: the nearest tiers, 乙 and 甲 (the last two on
# every path) and its recipient's own. A chain thousands of tiers deep would otherwise put every
# report in each of its thousands of messages; the rest are counted ("and N more").
MAX_REPORTS = 50


def listed(facts: NoticeFacts, recipient_id: str | None = None) -> NoticeFacts:
    """The facts as one message carries them: at most MAX_REPORTS reports, with the total."""
    reports = facts.reports
    if len(reports) <= MAX_REPORTS:
        return facts
    recipient_id = recipient_id or facts.recipient_id
    own = [i for i, r in enumerate(reports) if recipient_id and r.org_id == recipient_id]
    keep = {*range(MAX_REPORTS - 3), len(reports) - 2, len(reports) - 1, *own[:1]}
    shown = tuple(reports[i] for i in sorted(keep))
    return facts.model_copy(update={"reports": shown, "reports_total": len(reports)})


def notice_key(subject_id: str, event: NoticeEvent | str, suffix: str) -> str:
    """The idempotency key of a message: subject, event, and its recipient or occurrence."""
    return f"{subject_id}:{event}:{suffix}"


def subject_keys(facts: NoticeFacts) -> tuple[str | None, str | None]:
    """The outbox row's (incident_id, drill_id): exactly one of them is set."""
    if facts.subject is Subject.DRILL:
        return None, facts.subject_id
    return facts.subject_id, None


def enqueue(
    session: Session,
    facts: NoticeFacts,
    recipient: Organization | None,
    *,
    person_id: str | None = None,
    key_suffix: str = "",
    report_id: int | None = None,
    transports: Sequence[Transport] | None = None,
) -> list[Notification]:
    """Write one outbox row per transport unless its key is queued already; returns new rows."""
    transports = transports or queued_transports()
    org_id = recipient.id if recipient is not None else None
    key = notice_key(facts.subject_id, facts.event, key_suffix or org_id or person_id or "")
    queued = set(session.exec(select(Notification.transport).where(Notification.key == key)).all())
    incident_id, drill_id = subject_keys(facts)
    stored = listed(facts, org_id).model_dump(mode="json")
    rows = [
        Notification(
            key=key,
            transport=transport,
            incident_id=incident_id,
            drill_id=drill_id,
            org_id=org_id,
            person_id=person_id,
            report_id=report_id,
            event=str(facts.event),
            facts=stored,
        )
        for transport in dict.fromkeys(transports)
        if transport not in queued
    ]
    session.add_all(rows)
    return rows


def enqueue_reports(
    session: Session,
    facts: NoticeFacts,
    recipients: Sequence[tuple[Organization, int]],
    *,
    transports: Sequence[Transport] | None = None,
) -> int:
    """Write each recipient's report message (the facts addressed to it, as `listed` cuts
    them; one row per transport) unless its key is queued already, in one insert; rows keep
    the order of `recipients`. Returns how many rows were written.

    A deep chain has thousands of recipients: the facts are serialised once and each row takes
    its own slice of the reports, rather than each recipient's copy being cut and serialised.
    """
    every = dict.fromkeys(transports or queued_transports())
    keyed = {
        notice_key(facts.subject_id, facts.event, org.id): (org, rid) for org, rid in recipients
    }
    wanted = {(key, t): None for key in keyed for t in every}
    keys = list(keyed)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for key, transport in session.exec(
            select(Notification.key, Notification.transport).where(col(Notification.key).in_(chunk))
        ):
            wanted.pop((key, Transport(transport)), None)
    if not wanted:
        return 0
    dumped = facts.model_dump(mode="json")
    reports = dumped["reports"]
    cut = len(reports) > MAX_REPORTS
    first: dict[str | None, int] = {}
    for i, report in enumerate(facts.reports):
        first.setdefault(report.org_id, i)
    kept = [*range(MAX_REPORTS - 3), len(reports) - 2, len(reports) - 1]
    incident_id, drill_id = subject_keys(facts)
    stored: dict[str, dict[str, Any]] = {}
    values = []
    for key, transport in wanted:
        org, report_id = keyed[key]
        if key not in stored:
            addressed = dumped | {"recipient_id": org.id, "recipient_name": org.name}
            if cut:  # as `listed` cuts them: the first ones, 乙 and 甲, and the recipient's own
                keep = sorted({*kept, *([first[org.id]] if org.id in first else [])})
                addressed |= {"reports": [reports[i] for i in keep], "reports_total": len(reports)}
            stored[key] = addressed
        values.append(
            {
                "key": key,
                "transport": transport,
                "incident_id": incident_id,
                "drill_id": drill_id,
                "org_id": org.id,
                "person_id": None,
                "report_id": report_id,
                "event": str(facts.event),
                "facts": stored[key],
            }
        )
    # A Core insert: building thousands of ORM objects costs more than the insert itself.
    session.execute(sa.insert(SQLModel.metadata.tables["notification"]), values)
    return len(values)


class Variant(_Facts):
    """What differs between the messages of one incident in one pass: event, step, recipient."""

    event: NoticeEvent
    step: StepName | None = None
    step_status: StepStatus | None = None
    due_at: datetime | None = None
    recipient_id: str | None = None
    recipient_name: str | None = None
    mentions: tuple[str, ...] = Field(default=(), max_length=MAX_MENTIONS)
    party_id: str | None = None
    party_name: str | None = None


def enqueue_many(
    session: Session,
    items: Sequence[tuple[NoticeFacts, Variant, Organization, str]],
    *,
    transports: Sequence[Transport] | None = None,
) -> int:
    """Write many outbox rows (base facts, variant, recipient, key suffix), skipping queued keys.

    A variant only replaces fields of the validated base facts with validated typed values,
    so every row still holds a valid `NoticeFacts`; the base is serialised once per subject.
    """
    dumped: dict[tuple[int, str | None], dict[str, Any]] = {}
    keyed: dict[str, tuple[NoticeFacts, dict[str, Any], Organization, NoticeEvent]] = {}
    for base, variant, org, suffix in items:
        # A long list of reports is cut per recipient (its own report stays), a short one kept.
        each = len(base.reports) > MAX_REPORTS
        cached = (id(base), variant.recipient_id if each else None)
        if cached not in dumped:
            dumped[cached] = listed(base, variant.recipient_id).model_dump(mode="json")
        facts = dumped[cached] | variant.model_dump(mode="json")
        key = notice_key(base.subject_id, variant.event, suffix or org.id)
        keyed[key] = (base, facts, org, variant.event)
    # Row ids keep the order of `items`: per subject and address the first row opens the thread.
    every = dict.fromkeys(transports or queued_transports())
    wanted = {(key, t): None for key in keyed for t in every}
    keys = list(keyed)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for existing in session.exec(
            select(Notification.key, Notification.transport).where(col(Notification.key).in_(chunk))
        ):
            wanted.pop((existing[0], Transport(existing[1])), None)
    values = []
    for key, transport in wanted:
        base, facts, org, event = keyed[key]
        incident_id, drill_id = subject_keys(base)
        values.append(
            {
                "key": key,
                "transport": transport,
                "incident_id": incident_id,
                "drill_id": drill_id,
                "org_id": org.id,
                "person_id": None,
                "event": str(event),
                "facts": facts,
            }
        )
    if values:
        # A Core insert: building thousands of ORM objects costs more than the insert itself.
        session.execute(sa.insert(SQLModel.metadata.tables["notification"]), values)
    return len(wanted)


class ReportState(_Facts):
    """A report as it is now: its status, and who acknowledged it when."""

    status: ReportStatus
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None


def with_reports(facts: NoticeFacts, states: Mapping[str, ReportState]) -> NoticeFacts:
    """The facts with each report's state as it is now (`states` by recipient organisation)."""
    if not facts.reports:
        return facts
    reports = tuple(
        _with_state(report, states[report.org_id])
        if report.org_id is not None and report.org_id in states
        else report
        for report in facts.reports
    )
    return facts.model_copy(update={"reports": reports})


def with_steps(facts: NoticeFacts, steps: Sequence[StepFact] | None) -> NoticeFacts:
    """The facts with the incident's steps as they are now (a message that lists none, such
    as a drill's, stays as it is)."""
    if not facts.steps or not steps or tuple(steps) == facts.steps:
        return facts
    return facts.model_copy(update={"steps": tuple(steps)})


def _with_state(report: ReportFact, state: ReportState) -> ReportFact:
    """One report with its state as it is now (itself when nothing changed: a deep chain's
    messages each list fifty reports, most of them as they were)."""
    now = (state.status, state.acknowledged_by, state.acknowledged_at)
    if (report.status, report.acknowledged_by, report.acknowledged_at) == now:
        return report
    return report.model_copy(update=state.model_dump())
