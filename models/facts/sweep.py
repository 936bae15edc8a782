"""The clocks of 甲's decisions in the sweep: instructions (Art. 22) reminded before their due
day and escalated after it, and 甲's APPI reports (速報/確報) reminded to 甲's managers before
they are due (DESIGN.md §6).

Every message is queued once: its outbox key names the instruction or report stage, so a sweep
run again (or by another node) queues nothing more. An instruction's reminder and escalation
are also written to the incident's trail (甲's APPI reminders are not: they are 甲's own
duties). Messages carry names, states and due times only — never an instruction's text or a
fact. Only what is due is read: instructions due by tomorrow, and reports to 甲 whose
`appi_next_at` has come (see `jikoflow.models.facts.wake`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, or_, select

from jikoflow.models.audit.service import record_event
from jikoflow.models.calendar import end_of_day
from jikoflow.models.db import unless_held
from jikoflow.models.enums import AppiStage
from jikoflow.models.facts.appi import PERSONAL_DATA_KINDS, assess_appi
from jikoflow.models.facts.store import facts_of, latest_facts
from jikoflow.models.facts.tables import Instruction
from jikoflow.models.incidents.tables import Incident, Report
from jikoflow.models.outbox.facts import NoticeEvent, enqueue, facts_for
from jikoflow.models.parties.queries import managers_of
from jikoflow.models.parties.tables import Contract, Organization
from jikoflow.models.times import tokyo_day

# An instruction is reminded from the day before its due day; escalated once that day is over.
INSTRUCTION_REMIND_DAYS = 1
# 甲 is reminded this long before each report to the Commission is due.
APPI_REMIND_BEFORE = {AppiStage.PRELIMINARY: timedelta(days=1), AppiStage.FINAL: timedelta(days=3)}
_APPI_EVENTS = {
    AppiStage.PRELIMINARY: NoticeEvent.APPI_PRELIMINARY,
    AppiStage.FINAL: NoticeEvent.APPI_FINAL,
}
# 確報 is due at most 60 days (+ closed days) after 甲 learned of it: older reports need nothing.
_APPI_HORIZON = timedelta(days=70)


@dataclass(frozen=True)
class DecisionAlerts:
    """What one pass queued (messages, one per recipient organisation)."""

    instruction_reminders: int = 0
    instruction_escalations: int = 0
    appi_reminders: int = 0

    @property
    def total(self) -> int:
        """Every message queued."""
        return self.instruction_reminders + self.instruction_escalations + self.appi_reminders


def sweep_decisions(
    session: Session, now: datetime, *, incident_id: str | None = None
) -> DecisionAlerts:
    """Queue the instruction and APPI alerts due at `now` (of one incident, or all)."""
    reminders, escalations = _instructions(session, now, incident_id)
    return DecisionAlerts(
        instruction_reminders=reminders,
        instruction_escalations=escalations,
        appi_reminders=_appi(session, now, incident_id),
    )


def _instructions(session: Session, now: datetime, incident_id: str | None) -> tuple[int, int]:
    today = tokyo_day(now)
    query = unless_held(
        select(Instruction, Incident).join(Incident, col(Incident.id) == Instruction.incident_id),
        Incident,
    )
    # Only what is due, through the index on (done_at, escalated_at, due_date): due by
    # tomorrow, and overdue or not reminded yet.
    query = query.where(
        col(Instruction.done_at).is_(None),
        col(Instruction.escalated_at).is_(None),
        col(Instruction.due_date) <= today + timedelta(days=INSTRUCTION_REMIND_DAYS),
        or_(col(Instruction.due_date) < today, col(Instruction.reminded_at).is_(None)),
    )
    if incident_id is not None:
        query = query.where(Instruction.incident_id == incident_id)
    reminded = escalated = 0
    for row, incident in session.exec(query).all():
        assert row.due_date is not None
        if today > row.due_date:
            event, level = NoticeEvent.INSTRUCTION_OVERDUE, "escalated_at"
        elif (
            today >= row.due_date - timedelta(days=INSTRUCTION_REMIND_DAYS) and not row.reminded_at
        ):
            event, level = NoticeEvent.INSTRUCTION_DUE, "reminded_at"
        else:
            continue
        sent = _to_responders(session, incident, event, row, now)
        setattr(row, level, now)
        session.add(row)
        if event is NoticeEvent.INSTRUCTION_OVERDUE:
            escalated += sent
        else:
            reminded += sent
    return reminded, escalated


def _to_responders(
    session: Session, incident: Incident, event: NoticeEvent, row: Instruction, now: datetime
) -> int:
    """The incident's organisation and 乙 hear that instruction `row` is due (not what it says)."""
    contract = session.get_one(Contract, incident.contract_id)
    orgs = [incident.org_id, *([contract.contractor_id] if contract.contractor_id else [])]
    due = end_of_day(row.due_date) if row.due_date else None
    base = facts_for(session, incident, event, now=now).model_copy(update={"due_at": due})
    count = 0
    told = list(dict.fromkeys(orgs))
    for org_id in told:
        org = session.get_one(Organization, org_id)
        facts = base.model_copy(update={"recipient_id": org.id, "recipient_name": org.name})
        if enqueue(session, facts, org, key_suffix=f"{row.number}:{org.id}"):
            count += 1
    if count:
        # In the trail beside the steps' and measures' reminders and escalations, so the
        # written record shows how 甲's instruction was chased.
        overdue = event is NoticeEvent.INSTRUCTION_OVERDUE
        action = NoticeEvent.ESCALATION if overdue else NoticeEvent.REMINDER
        detail: dict[str, object] = {"instruction": row.number, "to": told}
        record_event(session, incident.id, str(action), detail=detail, at=now)
    return count


def _appi(session: Session, now: datetime, incident_id: str | None) -> int:
    """Remind 甲's managers of each report to the Commission due soon; only reports whose APPI
    time has come are read, and each gets its next time."""
    query = unless_held(
        select(Report, Incident, Contract)
        .join(Incident, col(Incident.id) == Report.incident_id)
        .join(Contract, col(Contract.id) == Incident.contract_id)
        .where(col(Report.appi_next_at) <= now),
        Incident,
    )
    if incident_id is not None:
        query = query.where(Report.incident_id == incident_id)
    queued = 0
    for report, incident, contract in session.exec(query).all():
        sent, report.appi_next_at = _appi_stages(session, report, incident, contract, now)
        session.add(report)
        queued += sent
    return queued


def _appi_stages(
    session: Session, report: Report, incident: Incident, contract: Contract, now: datetime
) -> tuple[int, datetime | None]:
    """Queue the reminder of each stage whose window holds `now`; returns how many, and when the
    next window opens (None: no reminder is to come unless the inputs change)."""
    if (
        report.recipient_id != contract.client_id
        or incident.is_drill
        or incident.kind not in PERSONAL_DATA_KINDS
        or report.known_at is None
        or report.known_at < now - _APPI_HORIZON
    ):
        return 0, None
    client = session.get_one(Organization, contract.client_id)
    facts = facts_of(latest_facts(session, incident.id))
    appi = assess_appi(facts, kind=incident.kind, learned_at=report.known_at, sector=client.sector)
    dues = {AppiStage.PRELIMINARY: appi.preliminary_due_at, AppiStage.FINAL: appi.final_due_at}
    queued = 0
    upcoming: list[datetime] = []
    for stage, due in dues.items():
        if due is None:
            continue
        opens = due - APPI_REMIND_BEFORE[stage]
        if opens > now:
            upcoming.append(opens)
        if not (opens <= now <= due):
            continue
        mentions = [
            p.slack_user for p in managers_of(session, [client.id])[client.id] if p.slack_user
        ]
        base = facts_for(
            session, incident, _APPI_EVENTS[stage], recipient=client, mentions=mentions, now=now
        )
        if enqueue(session, base.model_copy(update={"due_at": due}), client, key_suffix=stage):
            queued += 1
    return queued, min(upcoming, default=None)
