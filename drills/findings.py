"""Improvement items found by a drill, with an owner, a due date and a state, tracked to closure."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlmodel import Session, col, func, select

from jikoflow.drills.rules import FindingState
from jikoflow.drills.schemas import FindingChange, FindingInput, FindingView
from jikoflow.drills.tables import Drill, DrillFinding, DrillParticipant
from jikoflow.models.audit.service import record_event
from jikoflow.models.db import lock_row
from jikoflow.models.errors import BadInput, Conflict, NotFound
from jikoflow.models.parties.chain import Chain
from jikoflow.models.parties.queries import get_person


def locked_finding(session: Session, finding_id: int) -> DrillFinding:
    """The finding, its row locked, or a refusal naming the id (no access check)."""
    finding = lock_row(session, DrillFinding, finding_id)
    if finding is None:
        raise NotFound("id", f"unknown finding {finding_id}")
    return finding  # type: ignore[no-any-return]


def check_owner(session: Session, chain: Chain, owner: str) -> None:
    """An owner is a person of an organisation in the drill's contract."""
    person = get_person(session, owner, "owner")
    if person.org_id not in chain.members():
        raise BadInput("owner", f"{owner} is not a person of contract {chain.contract_id}")


def add_finding(
    session: Session, drill: Drill, data: FindingInput, *, actor: str, now: datetime
) -> DrillFinding:
    """Record an improvement item against a drill (open or closed)."""
    last = session.exec(
        select(func.max(DrillFinding.number)).where(DrillFinding.drill_id == drill.id)
    ).one()
    finding = DrillFinding(
        drill_id=drill.id,
        number=(last or 0) + 1,
        text=data.text,
        owner_id=data.owner,
        due_date=data.due,
        created_at=now,
        created_by=actor,
    )
    session.add(finding)
    session.flush()
    detail = {"finding": finding.id, "number": finding.number, "owner": data.owner, "due": data.due}
    record_event(session, drill.id, "finding_added", actor=actor, at=now, detail=detail)
    return finding


def update_finding(
    session: Session, finding: DrillFinding, change: FindingChange, *, actor: str, now: datetime
) -> DrillFinding:
    """Change a finding's state, owner, due date or note; `done` closes it for good."""
    if change.state is not None and change.state is not finding.state:
        if finding.state is FindingState.DONE:
            raise Conflict("state", f"finding {finding.id} is done; it stays closed")
        finding.state = change.state
        if change.state is FindingState.DONE:
            finding.closed_at, finding.closed_by = now, actor
    if change.owner is not None:
        finding.owner_id = change.owner
    if change.due is not None:
        finding.due_date = change.due
    if change.note is not None:
        finding.note = change.note.strip() or None
    session.add(finding)
    detail = {"finding": finding.id, "state": str(finding.state), "owner": finding.owner_id}
    record_event(session, finding.drill_id, "finding_updated", actor=actor, at=now, detail=detail)
    return finding


def list_findings(
    session: Session,
    *,
    drill_id: str | None = None,
    open_only: bool = False,
    reaching: Collection[str] | None = None,
) -> list[DrillFinding]:
    """Findings, oldest first (of one drill, or all); with `reaching`, only of drills that
    reached one of these organisations."""
    query = select(DrillFinding)
    if drill_id is not None:
        query = query.where(DrillFinding.drill_id == drill_id)
    if open_only:
        query = query.where(DrillFinding.state != FindingState.DONE)
    if reaching is not None:
        reached = select(DrillParticipant.drill_id).where(
            col(DrillParticipant.org_id).in_(sorted(reaching))
        )
        query = query.where(col(DrillFinding.drill_id).in_(reached))
    return list(session.exec(query.order_by(col(DrillFinding.id))))


def finding_view(finding: DrillFinding, today: date) -> FindingView:
    """A finding as the drill commands show it; overdue when open past its due date."""
    assert finding.id is not None
    late = (
        finding.state is not FindingState.DONE
        and finding.due_date is not None
        and finding.due_date < today
    )
    return FindingView(
        id=finding.id,
        drill=finding.drill_id,
        number=finding.number,
        text=finding.text,
        owner=finding.owner_id,
        due=finding.due_date,
        state=finding.state,
        overdue=late,
        note=finding.note,
        closed_at=finding.closed_at,
        closed_by=finding.closed_by,
    )
