"""The drill use cases (Art. 24 (3)): run, confirm, advance, answer, attend, end, show, list,
report, and the improvement items drills find. Plans, the rehearsal policy and who is due are
in `jikoflow.drills.plan_service`.

Each takes a session, the acting principal and typed input, checks DESIGN.md §8 through
`jikoflow.models.guard` before it changes or shows anything, and returns a read model; the
caller's transaction commits. A person may see a drill when their organisation was reached by
it; managers of 乙 or 甲 run and lead drills; a manager of a reached organisation confirms a
contact check for it; anyone of a reached organisation answers injects and attends. The
operator of the server may do everything; the scheduler acts as the system.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from jikoflow.drills.contact import acknowledge as confirm_check
from jikoflow.drills.contact import start_contact_drill
from jikoflow.drills.core import (
    check_origin,
    check_type,
    close_drill,
    contract_chain,
    get_drill,
    locked_drill,
    participant,
    participants_of,
    query_drills,
)
from jikoflow.drills.findings import add_finding as new_finding
from jikoflow.drills.findings import check_owner, finding_view, locked_finding
from jikoflow.drills.findings import list_findings as query_findings
from jikoflow.drills.findings import update_finding as change_finding
from jikoflow.drills.rules import DrillType, deepest_origin, minutes_between
from jikoflow.drills.scenario import find_scenario
from jikoflow.drills.schemas import (
    AckInput,
    Attendance,
    DrillAcknowledged,
    DrillResponse,
    DrillSummary,
    DrillView,
    FindingChange,
    FindingInput,
    FindingView,
    InjectReleased,
    RespondInput,
    RunInput,
)
from jikoflow.drills.tables import Drill, DrillPlan
from jikoflow.drills.tabletop import join as record_attendance
from jikoflow.drills.tabletop import (
    release_next,
    scenario_of,
    scenario_origin,
    start_tabletop_drill,
)
from jikoflow.drills.tabletop import respond as record_response
from jikoflow.drills.views import drill_summary, drill_view, inject_view
from jikoflow.models.access import SYSTEM, Act, Principal
from jikoflow.models.enums import Lang
from jikoflow.models.errors import BadInput, Conflict, Forbidden, NotFound
from jikoflow.models.guard import Subject, acting_person, authorize
from jikoflow.models.parties.chain import Chain
from jikoflow.models.times import tokyo_day
from jikoflow.models.types import utcnow


def subject_of(drill: Drill) -> Subject:
    """A drill as the access table sees it: at its simulated origin, under its contract."""
    return Subject(drill.id, drill.contract_id, drill.origin_id, noun="drill")


def reached_by(session: Session, drill: Drill) -> list[str]:
    """The organisations a drill reached (their people may see it)."""
    return [p.org_id for p in participants_of(session, drill.id)]


def authorized_drill(
    session: Session,
    actor: Principal,
    drill_id: str,
    act: Act,
    *,
    lock: bool = False,
) -> Drill:
    """The drill (locked when `lock`) once `actor` may do `act` to it; a drill the actor may
    not see is unknown."""
    drill = locked_drill(session, drill_id) if lock else get_drill(session, drill_id)
    authorize(session, actor, act, subject_of(drill), participants=reached_by(session, drill))
    return drill


def _authorize_run(session: Session, actor: Principal, chain: Chain) -> None:
    """Managers of 乙 or 甲 (or the operator) run drills; outsiders never learn the contract."""
    person = acting_person(session, actor)
    if person is None:
        return
    if person.org_id not in chain.members():
        raise NotFound("contract", f"unknown contract {chain.contract_id!r}")
    subject = Subject("(new)", chain.contract_id, chain.contractor, noun="drill")
    # Everyone in the contract may know it exists: a refusal names who may run drills.
    authorize(session, actor, Act.DRILL_RUN, subject, participants=chain.members(), chain=chain)


def run_drill(
    session: Session, *, actor: Principal, data: RunInput, now: datetime | None = None
) -> DrillView:
    """Start a drill now: a contact check reaching the whole chain, or a tabletop exercise
    driving the real Article 24 sequence on a drill incident."""
    moment = now or utcnow()
    _, chain = contract_chain(session, data.contract)
    _authorize_run(session, actor, chain)
    drill = _start(session, chain, data, actor=actor, plan_id=None, now=moment)
    return drill_view(session, drill)


def _start(
    session: Session,
    chain: Chain,
    data: RunInput,
    *,
    actor: Principal,
    plan_id: int | None,
    now: datetime,
) -> Drill:
    check_type(data.type, data.scenario)
    if data.scenario is None:
        origin = data.org or deepest_origin(chain)
        check_origin(session, chain, origin)
        return start_contact_drill(
            session,
            chain=chain,
            origin_id=origin,
            window=timedelta(minutes=data.window),
            plan_id=plan_id,
            actor=actor.actor,
            now=now,
        )
    # Scenario files on the server are the operator's; a person names a shipped scenario.
    scenario = find_scenario(data.scenario, shipped_only=actor.is_person)
    origin = data.org or scenario_origin(chain, scenario)
    check_origin(session, chain, origin)
    return start_tabletop_drill(
        session,
        chain=chain,
        scenario=scenario,
        origin_id=origin,
        plan_id=plan_id,
        actor=actor.actor,
        now=now,
    )


def start_planned(session: Session, *, plan_id: int, now: datetime | None = None) -> Drill | None:
    """The drill a plan asks for, started by the scheduler; None when the plan was removed."""
    plan = session.get(DrillPlan, plan_id)
    if plan is None or plan.removed_at is not None:
        return None
    _, chain = contract_chain(session, plan.contract_id)
    data = RunInput(
        contract=plan.contract_id,
        type=plan.type,
        scenario=plan.scenario_id,
        org=plan.origin_id,
        window=plan.window_minutes,
    )
    return _start(session, chain, data, actor=SYSTEM, plan_id=plan.id, now=now or utcnow())


def acknowledge(
    session: Session,
    *,
    actor: Principal,
    drill_id: str,
    data: AckInput,
    now: datetime | None = None,
) -> DrillAcknowledged:
    """A manager of a reached organisation confirms the contact check for it (the first
    confirmation stands)."""
    moment = now or utcnow()
    drill = authorized_drill(session, actor, drill_id, Act.SEE, lock=True)
    if drill.type is not DrillType.CONTACT:
        raise Conflict(
            "id",
            f"{drill.id} is a tabletop exercise: acknowledge the report of its drill incident "
            f"{drill.incident_id} instead",
        )
    person = acting_person(session, actor)
    org = data.org or (person.org_id if person else None)
    if org is None:
        raise BadInput("org", "name the organisation confirming the check")
    reached = participant(session, drill, org)
    if reached is None:
        if person is not None and data.org is None:
            raise Forbidden("by", f"{person.id}'s organisation was not reached by {drill.id}")
        raise BadInput("org", f"{org} was not reached by {drill.id}")
    authorize(
        session,
        actor,
        Act.DRILL_ACK,
        subject_of(drill),
        recipient=org,
        participants=reached_by(session, drill),
    )
    row = confirm_check(session, drill, reached, actor=actor.actor, now=moment)
    return DrillAcknowledged(
        id=drill.id,
        org=org,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        minutes=minutes_between(drill.started_at, row.acknowledged_at),
    )


def next_inject(
    session: Session, *, actor: Principal, drill_id: str, now: datetime | None = None
) -> InjectReleased:
    """Release the next inject of a tabletop now (chat only learns its number)."""
    moment = now or utcnow()
    drill = authorized_drill(session, actor, drill_id, Act.DRILL_LEAD, lock=True)
    number = release_next(session, drill, actor=actor.actor, now=moment)
    scenario = scenario_of(drill)
    inject = inject_view(scenario, number)
    return InjectReleased(
        **inject.model_dump(), id=drill.id, released=number, total=len(scenario.injects)
    )


def respond(
    session: Session,
    *,
    actor: Principal,
    drill_id: str,
    data: RespondInput,
    now: datetime | None = None,
) -> DrillResponse:
    """Record an answer to an inject's question for a scenario role (in the drill's trail)."""
    moment = now or utcnow()
    drill = authorized_drill(session, actor, drill_id, Act.DRILL_TAKE_PART, lock=True)
    record_response(
        session,
        drill,
        inject=data.inject,
        role=data.role,
        text=data.text,
        actor=actor.actor,
        now=moment,
    )
    return DrillResponse(id=drill.id, inject=data.inject, role=data.role, at=moment)


def join(
    session: Session, *, actor: Principal, drill_id: str, now: datetime | None = None
) -> Attendance:
    """The acting person attends the exercise."""
    moment = now or utcnow()
    if actor.person_id is None:
        raise BadInput("by", "name the person attending")
    drill = authorized_drill(session, actor, drill_id, Act.DRILL_TAKE_PART, lock=True)
    record_attendance(session, drill, actor=actor.actor, now=moment)
    return Attendance(id=drill.id, person=actor.person_id, at=moment)


def end_drill(
    session: Session, *, actor: Principal, drill_id: str, now: datetime | None = None
) -> DrillView:
    """Close a drill before its window ends (the tick closes it at the end otherwise); a
    tabletop's incident ends with it."""
    moment = now or utcnow()
    drill = authorized_drill(session, actor, drill_id, Act.DRILL_LEAD, lock=True)
    close_drill(session, drill, moment, actor.actor)
    return drill_view(session, drill)


def show_drill(session: Session, *, actor: Principal, drill_id: str) -> DrillView:
    """One drill: who was reached, who confirmed, the injects released so far."""
    drill = authorized_drill(session, actor, drill_id, Act.SEE)
    return drill_view(session, drill)


def list_drills(
    session: Session,
    *,
    actor: Principal,
    contract_id: str | None = None,
    running_only: bool = False,
) -> list[DrillSummary]:
    """The drills the actor may see, newest first."""
    if contract_id is not None:
        visible_contract(session, actor, contract_id)
    drills = query_drills(
        session,
        contract_id=contract_id,
        running_only=running_only,
        reaching=_reaching(session, actor),
    )
    return [drill_summary(drill) for drill in drills]


def drill_report(
    session: Session,
    *,
    actor: Principal,
    drill_id: str,
    lang: Lang = Lang.JA,
    fmt: str = "md",
    now: datetime | None = None,
) -> bytes:
    """The after-action report of a drill as Markdown, HTML or PDF."""
    from jikoflow.drills.evidence import report_data
    from jikoflow.drills.report import ReportFormat, render_report

    drill = authorized_drill(session, actor, drill_id, Act.SEE)
    data = report_data(session, drill, lang, now or utcnow())
    return render_report(data, ReportFormat(fmt))


def _reaching(session: Session, actor: Principal) -> set[str] | None:
    """The organisations whose drills the actor may see: their own (None: every one)."""
    person = acting_person(session, actor)
    return None if person is None else {person.org_id}


def visible_contract(session: Session, actor: Principal, contract_id: str) -> Chain:
    """A contract's chain, if the actor's organisation is in it (the operator sees all)."""
    _, chain = contract_chain(session, contract_id)
    person = acting_person(session, actor)
    if person is not None and person.org_id not in chain.members():
        raise NotFound("contract", f"unknown contract {contract_id!r}")
    return chain


# --- improvement items found by drills -------------------------------------------------------


def add_finding(
    session: Session,
    *,
    actor: Principal,
    drill_id: str,
    data: FindingInput,
    now: datetime | None = None,
) -> FindingView:
    """Record an improvement item against a drill (running or closed)."""
    moment = now or utcnow()
    drill = authorized_drill(session, actor, drill_id, Act.DRILL_LEAD, lock=True)
    if data.owner is not None:
        check_owner(session, contract_chain(session, drill.contract_id)[1], data.owner)
    finding = new_finding(session, drill, data, actor=actor.actor, now=moment)
    return finding_view(finding, tokyo_day(moment))


def update_finding(
    session: Session,
    *,
    actor: Principal,
    finding_id: int,
    data: FindingChange,
    now: datetime | None = None,
) -> FindingView:
    """Change an improvement item's state, owner, due date or note; done closes it for good."""
    moment = now or utcnow()
    finding = locked_finding(session, finding_id)
    drill = get_drill(session, finding.drill_id)
    # A finding of a drill the actor may not see is as unknown as the drill.
    subject = Subject(str(finding_id), drill.contract_id, drill.origin_id, noun="finding")
    participants = reached_by(session, drill)
    authorize(session, actor, Act.DRILL_LEAD, subject, participants=participants)
    if data.owner is not None:
        check_owner(session, contract_chain(session, drill.contract_id)[1], data.owner)
    changed = change_finding(session, finding, data, actor=actor.actor, now=moment)
    return finding_view(changed, tokyo_day(moment))


def list_findings(
    session: Session,
    *,
    actor: Principal,
    drill_id: str | None = None,
    open_only: bool = False,
    now: datetime | None = None,
) -> list[FindingView]:
    """Improvement items of the drills the actor may see (of one drill), oldest first."""
    if drill_id is not None:
        try:
            authorized_drill(session, actor, drill_id, Act.SEE)
        except NotFound:
            raise NotFound("drill", f"unknown drill {drill_id!r}") from None
    today = tokyo_day(now or utcnow())
    rows = query_findings(
        session, drill_id=drill_id, open_only=open_only, reaching=_reaching(session, actor)
    )
    return [finding_view(row, today) for row in rows]
