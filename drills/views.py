"""What `drill show` and `drill list` print, as plain data (the `--json` of the drill commands)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from jikoflow.drills.core import participants_of
from jikoflow.drills.evidence import acknowledgements
from jikoflow.drills.rules import DrillType, ack_outcome, minutes_between
from jikoflow.drills.scenario import Scenario, format_offset
from jikoflow.drills.tables import Drill
from jikoflow.models.parties.queries import organizations_by_id


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def drill_row(drill: Drill) -> dict[str, Any]:
    """The short form used by `drill list`."""
    return {
        "id": drill.id,
        "type": str(drill.type),
        "state": str(drill.state),
        "contract": drill.contract_id,
        "origin": drill.origin_id,
        "scenario": drill.scenario_id,
        "incident": drill.incident_id,
        "started_at": _iso(drill.started_at),
        "ends_at": _iso(drill.ends_at),
        "reminded_at": _iso(drill.reminded_at),
        "closed_at": _iso(drill.closed_at),
    }


def drill_view(session: Session, drill: Drill) -> dict[str, Any]:
    """Everything `drill show` shows: participants, confirmations, released injects."""
    participants = participants_of(session, drill.id)
    orgs = organizations_by_id(session, [p.org_id for p in participants])
    acks = acknowledgements(session, drill, participants)
    rows = []
    for p in participants:
        acked_at, acked_by, delivery = acks[p.org_id]
        awaits = drill.type is DrillType.CONTACT or p.org_id != drill.origin_id
        rows.append(
            {
                "org": p.org_id,
                "name": orgs[p.org_id].name,
                "relation": str(p.relation),
                "channel": p.channel,
                "managers": p.managers,
                "delivery": delivery,
                "acknowledged_at": _iso(acked_at),
                "acknowledged_by": acked_by,
                "minutes": minutes_between(drill.started_at, acked_at),
                "outcome": str(ack_outcome(drill.started_at, acked_at)) if awaits else None,
            }
        )
    return drill_row(drill) | {
        "participants": rows,
        "never_answered": [r["org"] for r in rows if r["outcome"] == "none"],
        "no_channel": [r["org"] for r in rows if not r["channel"]],
        "no_manager": [r["org"] for r in rows if not r["managers"]],
        **_injects(drill),
    }


def _injects(drill: Drill) -> dict[str, Any]:
    if drill.scenario is None:
        return {}
    scenario = Scenario.model_validate(drill.scenario)
    roles = {r.id: r.name for r in scenario.roles}
    return {
        "title": scenario.title,
        "situation": scenario.situation.text,
        "objectives": list(scenario.objectives),
        "roles": [{"id": r.id, "name": r.name, "org": str(r.org)} for r in scenario.roles],
        "injects_total": len(scenario.injects),
        "released": drill.released,
        "injects": [
            {
                "number": number,
                "at": format_offset(inject.at),
                "text": inject.text,
                "questions": [
                    {"role": q.role, "role_name": roles[q.role], "ask": q.ask}
                    for q in inject.questions
                ],
            }
            for number, inject in enumerate(scenario.injects[: drill.released], start=1)
        ],
    }
