"""Improvement items found by a drill, with an owner, a due date and a state, tracked to closure."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, func, select

from jikoflow.drills.core import check_actor, get_drill
from jikoflow.drills.rules import FindingState
from jikoflow.drills.tables import DrillFinding
from jikoflow.models.audit.service import record_event
from jikoflow.models.errors import BadInput, NotFound
from jikoflow.models.parties.queries import get_person


def parse_state(text: str) -> FindingState:
    """A finding state from the command line."""
    try:
        return FindingState(text.strip().lower().replace("-", "_"))
    except ValueError:
        allowed = ", ".join(s.value for s in FindingState)
        raise BadInput("--state", f"{text!r} is not one of {allowed}") from None


def get_finding(session: Session, finding_id: int) -> DrillFinding:
    """The finding, or a refusal naming the id."""
    finding = session.get(DrillFinding, finding_id)
    if finding is None:
        raise NotFound("ID", f"unknown finding {finding_id}")
    return finding


def add_finding(
    session: Session,
    *,
    drill_id: str,
    text: str,
    owner: str | None = None,
    due: date | None = None,
    by: str | None = None,
    now: datetime,
) -> DrillFinding:
    """Record an improvement item against a drill (open or closed)."""
    drill = get_drill(session, drill_id)
    if not text.strip():
        raise BadInput("--text", "must not be empty")
    if owner is not None:
        get_person(session, owner, "--owner")
    check_actor(session, by)
    last = session.exec(
        select(func.max(DrillFinding.number)).where(DrillFinding.drill_id == drill.id)
    ).one()
    finding = DrillFinding(
        drill_id=drill.id,
        number=(last or 0) + 1,
        text=text.strip(),
        owner_id=owner,
        due_date=due,
        created_at=now,
        created_by=by,
    )
    session.add(finding)
    session.flush()
    detail = {"finding": finding.id, "number": finding.number, "owner": owner, "due": due}
    record_event(session, drill.id, "finding_added", actor=by, at=now, detail=detail)
    return finding


def update_finding(
    session: Session,
    finding_id: int,
    *,
    state: FindingState | None = None,
    owner: str | None = None,
    due: date | None = None,
    note: str | None = None,
    by: str | None = None,
    now: datetime,
) -> DrillFinding:
    """Change a finding's state, owner, due date or note; `done` closes it."""
    finding = get_finding(session, finding_id)
    check_actor(session, by)
    if owner is not None:
        get_person(session, owner, "--owner")
        finding.owner_id = owner
    if due is not None:
        finding.due_date = due
    if note is not None:
        finding.note = note.strip() or None
    if state is not None and state is not finding.state:
        if finding.state is FindingState.DONE:
            raise BadInput("--state", f"finding {finding_id} is done; it stays closed")
        finding.state = state
        if state is FindingState.DONE:
            finding.closed_at, finding.closed_by = now, by
    session.add(finding)
    detail = {"finding": finding.id, "state": str(finding.state), "owner": finding.owner_id}
    record_event(session, finding.drill_id, "finding_updated", actor=by, at=now, detail=detail)
    return finding


def list_findings(
    session: Session, *, drill_id: str | None = None, open_only: bool = False
) -> list[DrillFinding]:
    """Findings, oldest first (of one drill, or all)."""
    query = select(DrillFinding)
    if drill_id is not None:
        get_drill(session, drill_id, "--drill")
        query = query.where(DrillFinding.drill_id == drill_id)
    if open_only:
        query = query.where(DrillFinding.state != FindingState.DONE)
    return list(session.exec(query.order_by(col(DrillFinding.id))))


def finding_row(finding: DrillFinding, today: date) -> dict[str, Any]:
    """What `drill finding list` shows of one finding; overdue when open past its due date."""
    late = (
        finding.state is not FindingState.DONE
        and finding.due_date is not None
        and finding.due_date < today
    )
    return {
        "id": finding.id,
        "drill": finding.drill_id,
        "number": finding.number,
        "text": finding.text,
        "owner": finding.owner_id,
        "due": finding.due_date.isoformat() if finding.due_date else None,
        "state": str(finding.state),
        "overdue": late,
        "note": finding.note,
        "closed_at": finding.closed_at.isoformat() if finding.closed_at else None,
        "closed_by": finding.closed_by,
    }
