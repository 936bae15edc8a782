"""The Article 24 sequence after declaration: contain, analyse, prevent, submit, accept.

Each use case locks the incident, checks §8 (`jikoflow.models.guard`) and the state machine
(`jikoflow.models.incidents.lifecycle`), writes the change, its audit event and the messages it
causes, all in the caller's transaction.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from jikoflow.models.access import Act, Principal
from jikoflow.models.audit.service import record_event
from jikoflow.models.audit.tables import AuditEvent
from jikoflow.models.enums import IncidentState, Lang, Outcome, ReviewAnswer, StepName
from jikoflow.models.errors import BadInput, Conflict
from jikoflow.models.facts.rules import check_reason
from jikoflow.models.facts.tables import RecordReview
from jikoflow.models.guard import Subject, authorize
from jikoflow.models.incidents.lifecycle import Action, StepEvent, next_state
from jikoflow.models.incidents.service import (
    get_step,
    locked_incident,
    move_step,
    shows_appi,
    visible_incident,
)
from jikoflow.models.incidents.tables import Incident, Report
from jikoflow.models.outbox.facts import NoticeEvent, enqueue, facts_for
from jikoflow.models.outbox.service import withdraw_alerts
from jikoflow.models.parties.queries import chain_for, get_contract, organizations_by_id
from jikoflow.models.parties.tables import Person
from jikoflow.models.response.schemas import (
    Accepted,
    AcceptInput,
    CauseInput,
    CauseRecorded,
    ContainInput,
    ContainmentRecorded,
    MeasureInput,
    MeasureRecorded,
    SubmitInput,
    Submitted,
)
from jikoflow.models.response.tables import (
    CauseRevision,
    ContainmentAction,
    PreventionMeasure,
    RecordVersion,
)
from jikoflow.models.schemas import check_number, inert_text
from jikoflow.models.times import tokyo_day
from jikoflow.models.types import utcnow


def locked_for(session: Session, actor: Principal, incident_id: str, act: Act) -> Incident:
    """The incident, locked, once the actor may do `act` to it."""
    incident = locked_incident(session, incident_id)
    authorize(session, actor, act, Subject(incident.id, incident.contract_id, incident.org_id))
    return incident


def _begin(
    session: Session, actor: Principal, incident_id: str, act: Act, action: Action
) -> Incident:
    """Lock the incident, check the actor may do `act` and the state allows `action`, apply it."""
    return apply_action(session, actor, locked_for(session, actor, incident_id, act), action)


def apply_action(
    session: Session, actor: Principal, incident: Incident, action: Action
) -> Incident:
    """Move the incident through its state machine; a change after submission reopens it."""
    after = next_state(incident.state, action, incident.id)
    if incident.state is IncidentState.SUBMITTED and after is IncidentState.OPEN:
        record_event(
            session, incident.id, "reopened", actor=actor.actor, detail={"reason": str(action)}
        )
    incident.state = after
    session.add(incident)
    return incident


def next_number(session: Session, number: Any, owner: Any, incident_id: str) -> int:
    """1 + the highest `number` among the incident's rows (read under the incident's lock)."""
    last = session.exec(select(func.max(number)).where(owner == incident_id)).one()
    return int(last or 0) + 1


def _complete(session: Session, incident: Incident, name: StepName, at: datetime) -> bool:
    return move_step(session, get_step(session, incident.id, name), StepEvent.COMPLETE, at)


def notify_change(
    session: Session,
    incident: Incident,
    event: NoticeEvent,
    now: datetime,
    *,
    step: StepName | None = None,
    record_version: int | None = None,
    due_at: datetime | None = None,
) -> None:
    """Tell the incident's organisation and every report recipient — names and states only."""
    session.flush()
    recipients = session.exec(
        select(Report.recipient_id).where(Report.incident_id == incident.id)
    ).all()
    orgs = organizations_by_id(session, [incident.org_id, *recipients])
    # The latest audit sequence number makes the key unique per change, and stable on retry.
    seq = session.exec(
        select(func.max(AuditEvent.seq)).where(AuditEvent.chain == incident.id)
    ).one()
    if event is NoticeEvent.CLOSED:
        withdraw_alerts(session, incident.id)  # a closed incident is reminded of nothing more
    base = facts_for(session, incident, event, step=step, record_version=record_version, now=now)
    marker = f"{step or ''}:{record_version or ''}:{seq}"
    for org in orgs.values():
        update: dict[str, Any] = {"recipient_id": org.id, "recipient_name": org.name}
        if due_at is not None:
            update["due_at"] = due_at
        facts = base.model_copy(update=update)
        enqueue(session, facts, org, key_suffix=f"{marker}:{org.id}")


def contain(
    session: Session,
    *,
    actor: Principal,
    incident_id: str,
    data: ContainInput,
    now: datetime | None = None,
) -> ContainmentRecorded:
    """Record one measure against further damage; the first meets the 1-hour clock."""
    moment = now or utcnow()
    incident = _begin(session, actor, incident_id, Act.CONTAIN, Action.CONTAIN)
    row = ContainmentAction(
        incident_id=incident.id, at=moment, by=actor.actor, text=data.action, contained=data.done
    )
    session.add(row)
    detail = {"contained": data.done}
    record_event(
        session, incident.id, "containment_recorded", actor=actor.actor, at=moment, detail=detail
    )
    changed = _complete(session, incident, StepName.CONTAINMENT, moment)
    if data.done and incident.contained_at is None:
        incident.contained_at = moment
        session.add(incident)
        record_event(session, incident.id, "contained", actor=actor.actor, at=moment)
        changed = True
    if changed:
        notify_change(session, incident, NoticeEvent.STATE, moment, step=StepName.CONTAINMENT)
    return ContainmentRecorded(id=incident.id, at=moment, contained=data.done)


def record_cause(
    session: Session,
    *,
    actor: Principal,
    incident_id: str,
    data: CauseInput,
    now: datetime | None = None,
) -> CauseRecorded:
    """Record (or revise) the root-cause analysis; every revision is kept."""
    moment = now or utcnow()
    incident = _begin(session, actor, incident_id, Act.CAUSE, Action.CAUSE)
    revision = next_number(session, CauseRevision.revision, CauseRevision.incident_id, incident.id)
    session.add(
        CauseRevision(
            incident_id=incident.id, revision=revision, at=moment, by=actor.actor, text=data.text
        )
    )
    detail = {"revision": revision}
    record_event(
        session, incident.id, "cause_recorded", actor=actor.actor, at=moment, detail=detail
    )
    if _complete(session, incident, StepName.ROOT_CAUSE, moment):
        notify_change(session, incident, NoticeEvent.STATE, moment, step=StepName.ROOT_CAUSE)
    return CauseRecorded(id=incident.id, revision=revision, at=moment)


def has_cause(session: Session, incident_id: str) -> bool:
    """Whether a root cause has been recorded."""
    query = select(CauseRevision.id).where(CauseRevision.incident_id == incident_id)
    return session.exec(query).first() is not None


def _check_owner(session: Session, incident: Incident, owner: str) -> None:
    """A measure's owner is a person of an organisation in the incident's contract. Anyone
    else is refused as an unknown person is: the answer does not tell who exists elsewhere."""
    found = session.get(Person, owner)
    chain = chain_for(session, get_contract(session, incident.contract_id))
    if found is None or found.org_id not in chain.members():
        raise BadInput("owner", f"no person {owner!r} in contract {incident.contract_id}")


def add_measure(
    session: Session,
    *,
    actor: Principal,
    incident_id: str,
    data: MeasureInput,
    now: datetime | None = None,
) -> MeasureRecorded:
    """Add a recurrence-prevention measure; refused before a root cause exists."""
    moment = now or utcnow()
    if data.due is not None and data.due < tokyo_day(moment):
        raise BadInput("due", f"{data.due.isoformat()} is in the past")
    incident = _begin(session, actor, incident_id, Act.PREVENT, Action.PREVENT)
    if data.owner is not None:
        _check_owner(session, incident, data.owner)
    if not has_cause(session, incident.id):
        raise Conflict("id", f"{incident.id} has no root cause yet: record the cause first")
    number = next_number(
        session, PreventionMeasure.number, PreventionMeasure.incident_id, incident.id
    )
    session.add(
        PreventionMeasure(
            incident_id=incident.id,
            number=number,
            text=data.measure,
            owner_id=data.owner,
            due_date=data.due,
            created_at=moment,
            created_by=actor.actor,
        )
    )
    detail = {
        "number": number,
        "owner": data.owner,
        "due": data.due.isoformat() if data.due else None,
    }
    record_event(session, incident.id, "measure_added", actor=actor.actor, at=moment, detail=detail)
    if _complete(session, incident, StepName.PREVENTION, moment):
        notify_change(session, incident, NoticeEvent.STATE, moment, step=StepName.PREVENTION)
    return MeasureRecorded(id=incident.id, number=number, implemented=False)


def implement_measure(
    session: Session,
    *,
    actor: Principal,
    incident_id: str,
    number: int,
    evidence: str | None = None,
    now: datetime | None = None,
) -> MeasureRecorded:
    """Mark measure `number` implemented, with evidence text when given (marking it again
    changes nothing; other evidence then is refused); measures stay tracked after 甲 accepted
    the record."""
    moment = now or utcnow()
    check_number(number)
    text = (evidence or "").strip() or None
    if text is not None and len(text) > 4000:
        raise BadInput("evidence", "is longer than 4000 characters")
    try:
        inert_text(text or "")
    except ValueError as exc:
        raise BadInput("evidence", str(exc)) from None
    incident = _begin(session, actor, incident_id, Act.PREVENT, Action.IMPLEMENT)
    row = session.exec(
        select(PreventionMeasure).where(
            PreventionMeasure.incident_id == incident.id, PreventionMeasure.number == number
        )
    ).first()
    if row is None:
        raise BadInput("number", f"{incident.id} has no measure {number}")
    if row.implemented_at is not None and text not in (None, row.evidence):
        # Marking it again is a retry; other evidence would be lost in silence.
        raise Conflict("evidence", f"measure {number} is implemented already, with its evidence")
    if row.implemented_at is None:
        row.implemented_at = moment
        row.implemented_by = actor.actor
        row.evidence = text
        session.add(row)
        detail = {"number": number}
        record_event(
            session, incident.id, "measure_implemented", actor=actor.actor, at=moment, detail=detail
        )
    return MeasureRecorded(id=incident.id, number=number, implemented=True, evidence=row.evidence)


def missing_for_submit(session: Session, incident: Incident) -> list[str]:
    """What must exist before the written record can be submitted (empty when ready)."""
    missing = []
    if incident.contained_at is None:
        missing.append("containment not marked done")
    if not has_cause(session, incident.id):
        missing.append("the root cause")
    measures = select(PreventionMeasure.id).where(PreventionMeasure.incident_id == incident.id)
    if session.exec(measures).first() is None:
        missing.append("a prevention measure")
    return missing


def latest_version(session: Session, incident_id: str) -> RecordVersion | None:
    """The newest submitted version of the written record, if any."""
    return session.exec(
        select(RecordVersion)
        .where(RecordVersion.incident_id == incident_id)
        .order_by(col(RecordVersion.version).desc())
    ).first()


def submit(
    session: Session,
    *,
    actor: Principal,
    incident_id: str,
    data: SubmitInput | None = None,
    now: datetime | None = None,
) -> Submitted:
    """Freeze the written record as the next version (Art. 24 (4)) and notify 甲, 乙 and the
    chain; refused, naming every gap, before it may be submitted (nothing is rendered then)."""
    from jikoflow.records.data import Proposal, record_data
    from jikoflow.records.render import RecordFormat, render_record

    moment = now or utcnow()
    data = data or SubmitInput()
    outcome, reason = _proposed(data)
    incident = locked_for(session, actor, incident_id, Act.SUBMIT)
    next_state(incident.state, Action.SUBMIT, incident.id)
    latest = latest_version(session, incident.id)
    if incident.state is IncidentState.SUBMITTED and latest is not None:
        raise Conflict("id", f"{incident.id} is unchanged since version {latest.version}")
    # 該当なし is where a suspicion that proved unfounded ends: an incident recorded as 発生 is
    # first reclassified, with its reason kept, rather than closed as never having happened.
    if outcome is Outcome.NOT_AN_INCIDENT and not incident.suspected:
        raise Conflict(
            "not_an_incident",
            f"{incident.id} is recorded as 発生 (confirmed): reclassify it as おそれ (suspected), "
            "with the reason, before proposing 該当なし",
        )
    # 該当なし needs only its reason: demanding a prevention plan would make people invent one.
    missing = [] if outcome is Outcome.NOT_AN_INCIDENT else missing_for_submit(session, incident)
    if missing:
        raise Conflict("id", f"{incident.id} cannot be submitted; missing: " + "; ".join(missing))
    # The frozen text says what it is at this moment: submitted, by whom, as which version,
    # proposing what.
    proposal = Proposal(by=actor.actor, outcome=outcome, reason=reason)
    frozen = record_data(session, incident.id, now=moment, proposal=proposal)
    lang = data.lang
    content = render_record(frozen, lang=lang, fmt=RecordFormat.MD).decode()
    digest = hashlib.sha256(content.encode()).hexdigest()
    apply_action(session, actor, incident, Action.SUBMIT)
    version = latest.version + 1 if latest else 1
    session.add(
        RecordVersion(
            incident_id=incident.id,
            version=version,
            lang=lang.value,
            content=content,
            sha256=digest,
            submitted_at=moment,
            submitted_by=actor.actor,
        )
    )
    session.add(
        RecordReview(
            incident_id=incident.id,
            version=version,
            outcome=outcome,
            reason=reason,
            submitted_at=moment,
            submitted_by=actor.actor,
        )
    )
    detail = {"version": version, "sha256": digest, "outcome": str(outcome)}
    record_event(
        session, incident.id, "record_submitted", actor=actor.actor, at=moment, detail=detail
    )
    _complete(session, incident, StepName.RECORD, moment)
    notify_change(session, incident, NoticeEvent.SUBMITTED, moment, record_version=version)
    return Submitted(
        id=incident.id,
        version=version,
        sha256=digest,
        submitted_at=moment,
        state=incident.state,
        outcome=outcome,
    )


def _proposed(data: SubmitInput) -> tuple[Outcome, str | None]:
    """The outcome a submission proposes and its reason (該当なし must say why)."""
    if data.not_an_incident:
        return Outcome.NOT_AN_INCIDENT, check_reason(data.reason)
    if data.reason is not None and data.reason.strip():
        raise BadInput("reason", "a reason is given only when proposing 該当なし (not an incident)")
    return Outcome.INCIDENT, None


def review_of(session: Session, incident_id: str, version: int) -> RecordReview | None:
    """What a submitted version proposed and 甲's answer (None for versions before reviews)."""
    return session.exec(
        select(RecordReview).where(
            RecordReview.incident_id == incident_id, RecordReview.version == version
        )
    ).first()


def accept(
    session: Session,
    *,
    actor: Principal,
    incident_id: str,
    data: AcceptInput | None = None,
    now: datetime | None = None,
) -> Accepted:
    """甲 accepts the latest submitted version, closing the incident; with `data.version`, only
    if that is still the latest (a page read before a new submission accepts nothing unread)."""
    moment = now or utcnow()
    if not actor.is_person:
        raise BadInput("by", "name the manager of 甲 who accepts the record")
    incident = _begin(session, actor, incident_id, Act.ACCEPT, Action.ACCEPT)
    latest = latest_version(session, incident.id)
    assert latest is not None  # SUBMITTED implies a version exists
    read = data.version if data is not None else None
    if read is not None and read > latest.version:
        raise BadInput("version", f"{incident.id} has no submitted version {read}")
    if read is not None and read != latest.version:
        raise Conflict(
            "version",
            f"version {latest.version} of {incident.id} was submitted since version {read}:"
            " read it before accepting",
        )
    latest.accepted_at = moment
    latest.accepted_by = actor.actor
    incident.closed_at = moment
    session.add_all([latest, incident])
    review = review_of(session, incident.id, latest.version)
    outcome = review.outcome if review is not None else Outcome.INCIDENT
    if review is not None:
        review.answer = ReviewAnswer.ACCEPTED
        review.answered_at = moment
        review.answered_by = actor.actor
        session.add(review)
    detail = {"version": latest.version, "sha256": latest.sha256, "outcome": str(outcome)}
    record_event(
        session, incident.id, "record_accepted", actor=actor.actor, at=moment, detail=detail
    )
    notify_change(session, incident, NoticeEvent.CLOSED, moment, record_version=latest.version)
    return Accepted(
        id=incident.id,
        version=latest.version,
        state=incident.state,
        accepted_by=actor.actor,
        outcome=outcome,
    )


def record_document(
    session: Session,
    *,
    actor: Principal,
    incident_id: str,
    lang: Lang = Lang.JA,
    fmt: str = "md",
    version: int | None = None,
    era: bool = False,
    now: datetime | None = None,
) -> bytes:
    """The written record: a submitted version's frozen Markdown (byte for byte as hashed),
    or the current record rendered as md, html or pdf (a draft while open), its years Western
    or in the Japanese era."""
    from jikoflow.records.data import record_data
    from jikoflow.records.render import DateStyle, RecordFormat, render_record

    incident = visible_incident(session, actor, incident_id)
    if era and lang is Lang.EN:
        # Asked for and silently not given would read as a mistake of the record's dates.
        raise BadInput("dates", "era years (令和) are written in the Japanese record only")
    if version is not None:
        if fmt != "md":
            # What was submitted is its Markdown, as hashed: never another format under its name.
            raise BadInput("fmt", f"version {version} is kept as its submitted Markdown only")
        return frozen_version(session, incident.id, version).encode()
    appi = shows_appi(session, actor, incident.contract_id)
    data = record_data(session, incident.id, now=now or utcnow(), appi=appi)
    dates = DateStyle.ERA if era else DateStyle.WESTERN
    return render_record(data, lang=lang, fmt=RecordFormat(fmt), dates=dates)


def frozen_version(session: Session, incident_id: str, version: int) -> str:
    """The Markdown of a submitted version, exactly as hashed."""
    row = session.exec(
        select(RecordVersion).where(
            RecordVersion.incident_id == incident_id, RecordVersion.version == version
        )
    ).first()
    if row is None:
        raise BadInput("version", f"{incident_id} has no submitted version {version}")
    return row.content
