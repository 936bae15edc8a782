"""The clock of prevention measures (DESIGN.md §6, the policy's `clocks.measure`): a measure not
implemented is reminded to its incident's organisation once its warn time has come, and once
its due date is over escalated to that organisation and every organisation the incident was
reported to (the ancestors up to 乙, and 甲), repeated as an overdue day-scale step's escalation
is (the policy's `escalation.day_scale`: every business day at 09:00 by default, up to its cap)
until the measure is implemented.

A measure is due on its own date (by its end, Asia/Tokyo) and warned `clocks.measure.warn`
before that day begins: 3d is the start of the third day before it, counted in business days
where the policy says `business_days`. Each message is queued once: `reminded_at`,
`escalations` and `escalated_at` (the newest) mark what was, `next_alert_at` when the clock
speaks next, and each message's outbox key names the measure, recipient and escalation number,
so a sweep run again (or by another node) queues nothing more; on PostgreSQL a sweep skips the
measures another sweep is chasing at that moment. A sweep that ran late sends the newest
escalation, not every one it missed. Measures stay chased after 甲 accepted the record, as they
stay open to be implemented. Messages carry the measure's number and due time only — never its
text, owner's words or evidence.

Only what is due is read, through the index on (implemented_at, next_alert_at, escalated_at,
due_date): measures whose next alert has come, and those never reminded nor escalated that are
due by the latest day any contract's policy warns of.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, and_, col, select

from jikoflow.models.audit.service import record_event
from jikoflow.models.calendar import add_business_days, end_of_day
from jikoflow.models.db import unless_held
from jikoflow.models.incidents.clocks import warn_time
from jikoflow.models.incidents.repeats import escalation
from jikoflow.models.incidents.tables import Incident, Report
from jikoflow.models.outbox.facts import NoticeEvent, enqueue, facts_for
from jikoflow.models.parties.queries import managers_of
from jikoflow.models.parties.tables import MAX_MENTIONS, Organization, Person
from jikoflow.models.policy.schemas import ContractPolicy
from jikoflow.models.policy.service import contract_policies, contract_policy
from jikoflow.models.response.tables import PreventionMeasure
from jikoflow.models.times import TOKYO, tokyo_day


@dataclass(frozen=True)
class MeasureAlerts:
    """What one pass queued (messages, one per recipient organisation)."""

    reminders: int = 0
    escalations: int = 0

    @property
    def total(self) -> int:
        """Every message queued."""
        return self.reminders + self.escalations


def measure_due_at(due_date: date) -> datetime:
    """When a measure due on `due_date` is overdue after: the end of that day in Tokyo."""
    return end_of_day(due_date)


def measure_warn_at(due_date: date, created_at: datetime, policy: ContractPolicy) -> datetime:
    """When a measure due on `due_date` is reminded: the policy's warn before the day begins
    (business days back where the policy says so), never before the measure was added."""
    begins = datetime.combine(due_date, time(0), tzinfo=TOKYO)
    return warn_time(created_at, begins, policy.clocks.measure, business_days=policy.business_days)


def latest_warned(now: datetime, policy: ContractPolicy) -> date:
    """The latest due date whose warn time has come by `now` under `policy`."""
    warn = policy.clocks.measure.warn
    if warn is None:
        return tokyo_day(now)
    if warn.day_scale and policy.business_days:
        return add_business_days(tokyo_day(now), warn.amount)
    return tokyo_day(now + warn.as_timedelta())


def measure_overdue_at(due_date: date) -> datetime:
    """The first instant a measure due on `due_date` is overdue: the next day's start in Tokyo."""
    return datetime.combine(due_date + timedelta(days=1), time(0), tzinfo=TOKYO)


def due_measures(
    session: Session, now: datetime, incident_id: str | None = None
) -> list[tuple[PreventionMeasure, Incident]]:
    """Measures not implemented whose next alert has come, or never reminded nor escalated and
    due by the latest day any policy warns of."""
    horizon = max(latest_warned(now, p) for p in contract_policies(session))
    # Two queries, each a range of the clock index: an OR of both would read every measure.
    armed = and_(col(PreventionMeasure.next_alert_at) <= now)
    unarmed = and_(
        col(PreventionMeasure.next_alert_at).is_(None),
        col(PreventionMeasure.escalated_at).is_(None),
        col(PreventionMeasure.due_date) <= horizon,
    )
    rows: list[tuple[PreventionMeasure, Incident]] = []
    for clock in (armed, unarmed):
        # An incident another sweep or an act holds right now is chased at the next sweep.
        query = unless_held(
            select(PreventionMeasure, Incident)
            .join(Incident, col(Incident.id) == PreventionMeasure.incident_id)
            .where(col(PreventionMeasure.implemented_at).is_(None), clock),
            Incident,
        )
        if incident_id is not None:
            query = query.where(PreventionMeasure.incident_id == incident_id)
        rows.extend(session.exec(query).all())
    return sorted(rows, key=lambda pair: (pair[0].incident_id, pair[0].number))


def sweep_measures(
    session: Session, now: datetime, *, incident_id: str | None = None
) -> MeasureAlerts:
    """Queue the reminders and escalations of prevention measures due at `now` (of one
    incident, or all), each once."""
    policies: dict[str, ContractPolicy] = {}
    reminded = escalated = 0
    for row, incident in due_measures(session, now, incident_id):
        assert row.due_date is not None
        if incident.contract_id not in policies:
            policies[incident.contract_id] = contract_policy(session, incident.contract_id)
        policy = policies[incident.contract_id]
        if now >= measure_overdue_at(row.due_date):
            # Repeated as an overdue day-scale step's escalation is, from the due time.
            index, upcoming = escalation(
                row.escalations,
                measure_due_at(row.due_date),
                row.next_alert_at,
                now,
                policy.escalation.day_scale,
            )
            escalated += _escalate(session, row, incident, now, index)
            row.escalations = index + 1
            row.escalated_at = now
            row.next_alert_at = upcoming
        else:
            if now < measure_warn_at(row.due_date, row.created_at, policy):
                continue
            if row.reminded_at is None:
                reminded += _remind(session, row, incident, now)
                row.reminded_at = now
            row.next_alert_at = measure_overdue_at(row.due_date)
        session.add(row)  # only clock columns change: the seal stays as it is
    return MeasureAlerts(reminders=reminded, escalations=escalated)


def _remind(session: Session, row: PreventionMeasure, incident: Incident, now: datetime) -> int:
    """The incident's organisation hears that measure `row` is due soon (its managers and the
    measure's owner mentioned)."""
    owner = session.get(Person, row.owner_id) if row.owner_id else None
    extra = (owner.slack_user,) if owner is not None and owner.slack_user else ()
    return _queue(session, row, incident, NoticeEvent.MEASURE_DUE, [incident.org_id], now, extra)


def _escalate(
    session: Session, row: PreventionMeasure, incident: Incident, now: datetime, index: int
) -> int:
    """The incident's organisation and every organisation it reported to (its ancestors, 乙
    and 甲), as for an overdue step, hear that measure `row` is overdue (escalation `index`,
    0 the first)."""
    reported = session.exec(
        select(Report.recipient_id)
        .where(Report.incident_id == incident.id)
        .order_by(col(Report.id))
    ).all()
    orgs = list(dict.fromkeys([incident.org_id, *reported]))
    return _queue(session, row, incident, NoticeEvent.MEASURE_OVERDUE, orgs, now, index=index)


def _queue(
    session: Session,
    row: PreventionMeasure,
    incident: Incident,
    event: NoticeEvent,
    orgs: list[str],
    now: datetime,
    owner: tuple[str, ...] = (),
    *,
    index: int = 0,
) -> int:
    """One message per organisation in `orgs`, its managers mentioned (and `owner` at the
    incident's own), keyed by repeat `index` after the first; returns how many were new."""
    assert row.due_date is not None
    managers = managers_of(session, orgs)
    base = facts_for(session, incident, event, now=now).model_copy(
        update={"due_at": measure_due_at(row.due_date), "measure": row.number}
    )
    count = 0
    for org_id in orgs:
        org = session.get_one(Organization, org_id)
        people = [p.slack_user for p in managers[org_id] if p.slack_user]
        if org_id == incident.org_id:
            people += owner
        facts = base.model_copy(
            update={
                "recipient_id": org.id,
                "recipient_name": org.name,
                "mentions": tuple(dict.fromkeys(people))[:MAX_MENTIONS],
            }
        )
        if enqueue(
            session,
            facts,
            org,
            key_suffix=f"{row.number}:{org.id}" + (f":{index}" if index else ""),
        ):
            count += 1
    if count:
        # In the incident's trail beside the steps' reminders and escalations, so the written
        # record shows how the measure was chased (a sweep run again queues and writes nothing).
        if event is NoticeEvent.MEASURE_OVERDUE:
            action = NoticeEvent.ESCALATION
            detail: dict[str, object] = {"measure": row.number, "to": orgs, "repeat": index}
        else:
            action = NoticeEvent.REMINDER
            detail = {"measure": row.number, "to": orgs}
        record_event(session, incident.id, str(action), detail=detail, at=now)
    return count
