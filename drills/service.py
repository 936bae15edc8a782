"""The drills people may see (Art. 24 (3), DESIGN.md §8): the list, one drill with every
organisation's answer time, the after-action report, and who is due a rehearsal.

A person sees a drill that reached their organisation (and the drills of their own
organisation and below); one they may not see is unknown, its existence not revealed. The
operator of the server sees every drill.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from jikoflow.drills.core import get_drill, participants_of
from jikoflow.drills.due import due_rows
from jikoflow.drills.evidence import report_data
from jikoflow.drills.report import ReportFormat, render_report
from jikoflow.drills.rules import DrillState
from jikoflow.drills.schemas import DrillSummary, DrillView, DueRow
from jikoflow.drills.tables import Drill, DrillParticipant
from jikoflow.drills.views import drill_row, drill_view
from jikoflow.models.access import Act, Principal
from jikoflow.models.enums import Lang
from jikoflow.models.errors import NotFound
from jikoflow.models.guard import Subject, acting_person, authorize, visible_orgs
from jikoflow.models.parties.queries import get_contract
from jikoflow.models.types import utcnow


def visible_drill(session: Session, actor: Principal, drill_id: str) -> Drill:
    """The drill, once the actor may see it (at its simulated origin, under its contract)."""
    drill = get_drill(session, drill_id, "id")
    reached = [p.org_id for p in participants_of(session, drill.id)]
    subject = Subject(drill.id, drill.contract_id, drill.origin_id, noun="drill")
    authorize(session, actor, Act.SEE, subject, participants=reached)
    return drill


def show_drill(session: Session, *, actor: Principal, drill_id: str) -> DrillView:
    """One drill: who was reached, who confirmed and when, the injects released so far."""
    drill = visible_drill(session, actor, drill_id)
    return DrillView.model_validate(drill_view(session, drill))


def list_drills(
    session: Session,
    *,
    actor: Principal,
    contract_id: str | None = None,
    running_only: bool = False,
) -> list[DrillSummary]:
    """The drills that reached the actor's organisation, newest first (every drill for the
    operator)."""
    query = select(Drill)
    if contract_id is not None:
        _visible_contract(session, actor, contract_id)
        query = query.where(Drill.contract_id == contract_id)
    if running_only:
        query = query.where(Drill.state == DrillState.RUNNING)
    person = acting_person(session, actor)
    if person is not None:
        reached = select(DrillParticipant.drill_id).where(DrillParticipant.org_id == person.org_id)
        query = query.where(col(Drill.id).in_(reached))
    drills = session.exec(query.order_by(col(Drill.started_at).desc(), col(Drill.id)))
    return [DrillSummary.model_validate(drill_row(drill)) for drill in drills]


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
    drill = visible_drill(session, actor, drill_id)
    data = report_data(session, drill.id, lang, now or utcnow())
    return render_report(data, ReportFormat(fmt))


def drills_due(
    session: Session,
    *,
    actor: Principal,
    contract_id: str | None = None,
    now: datetime | None = None,
) -> list[DueRow]:
    """Per contract and organisation (乙 and below): the last drills, the next planned and
    whether one is overdue — of the organisations whose incidents the actor may see."""
    if contract_id is not None:
        _visible_contract(session, actor, contract_id)
    visible = visible_orgs(session, actor)
    rows = due_rows(session, now or utcnow(), contract_id)
    return [
        DueRow.model_validate(row)
        for row in rows
        if visible is None or row["org"] in visible.get(row["contract"], set())
    ]


def _visible_contract(session: Session, actor: Principal, contract_id: str) -> None:
    get_contract(session, contract_id)
    visible = visible_orgs(session, actor)
    if visible is not None and contract_id not in visible:
        raise NotFound("contract", f"unknown contract {contract_id!r}")
