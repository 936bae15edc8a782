"""What `drill show` and `drill list` show of a drill, as read models."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from jikoflow.drills.core import participants_of
from jikoflow.drills.evidence import acknowledgements
from jikoflow.drills.rules import DrillType, ack_outcome, minutes_between
from jikoflow.drills.scenario import Scenario, format_offset
from jikoflow.drills.schemas import (
    DrillSummary,
    DrillView,
    InjectView,
    ParticipantView,
    QuestionView,
    RoleView,
)
from jikoflow.drills.tables import Drill
from jikoflow.models.parties.queries import organizations_by_id


def drill_summary(drill: Drill) -> DrillSummary:
    """The short form used by `drill list`."""
    return DrillSummary(**_summary_fields(drill))


def _summary_fields(drill: Drill) -> dict[str, Any]:
    return {
        "id": drill.id,
        "type": drill.type,
        "state": drill.state,
        "contract": drill.contract_id,
        "origin": drill.origin_id,
        "scenario": drill.scenario_id,
        "incident": drill.incident_id,
        "started_at": drill.started_at,
        "ends_at": drill.ends_at,
        "reminded_at": drill.reminded_at,
        "closed_at": drill.closed_at,
    }


def drill_view(session: Session, drill: Drill) -> DrillView:
    """Everything `drill show` shows: participants, confirmations, released injects."""
    participants = participants_of(session, drill.id)
    orgs = organizations_by_id(session, [p.org_id for p in participants])
    acks = acknowledgements(session, drill, participants)
    rows = []
    for p in participants:
        acked_at, acked_by, delivery = acks[p.org_id]
        # A tabletop's origin reports rather than confirms: it is not judged on the clock.
        awaits = drill.type is DrillType.CONTACT or p.org_id != drill.origin_id
        rows.append(
            ParticipantView(
                org=p.org_id,
                name=orgs[p.org_id].name,
                relation=p.relation,
                channel=p.channel,
                managers=p.managers,
                delivery=delivery,
                acknowledged_at=acked_at,
                acknowledged_by=acked_by,
                minutes=minutes_between(drill.started_at, acked_at),
                outcome=ack_outcome(drill.started_at, acked_at) if awaits else None,
            )
        )
    return DrillView(
        **_summary_fields(drill),
        participants=rows,
        never_answered=[r.org for r in rows if r.outcome == "none"],
        no_channel=[r.org for r in rows if not r.channel],
        no_manager=[r.org for r in rows if not r.managers],
        **_injects(drill),
    )


def _injects(drill: Drill) -> dict[str, Any]:
    if drill.scenario is None:
        return {}
    scenario = Scenario.model_validate(drill.scenario)
    roles = {r.id: r.name for r in scenario.roles}
    return {
        "title": scenario.title,
        "situation": scenario.situation.text,
        "objectives": list(scenario.objectives),
        "roles": [RoleView(id=r.id, name=r.name, org=str(r.org)) for r in scenario.roles],
        "injects_total": len(scenario.injects),
        "released": drill.released,
        "injects": [
            inject_view(scenario, number, roles) for number in range(1, drill.released + 1)
        ],
    }


def inject_view(scenario: Scenario, number: int, roles: dict[str, str] | None = None) -> InjectView:
    """Inject `number` (1-based) of `scenario`, with its questions."""
    names = roles if roles is not None else {r.id: r.name for r in scenario.roles}
    inject = scenario.injects[number - 1]
    return InjectView(
        number=number,
        at=format_offset(inject.at),
        text=inject.text,
        questions=[
            QuestionView(role=q.role, role_name=names[q.role], ask=q.ask) for q in inject.questions
        ],
    )
