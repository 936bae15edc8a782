"""What both kinds of drill share: finding one, its participants, closing it, listing them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from jikoflow.drills.rules import DrillState, DrillType, Relation
from jikoflow.drills.tables import Drill, DrillParticipant
from jikoflow.models.access import SYSTEM
from jikoflow.models.audit.service import record_event
from jikoflow.models.db import lock_row
from jikoflow.models.enums import IncidentState, Lang
from jikoflow.models.errors import BadInput, Conflict, NotFound
from jikoflow.models.incidents.lifecycle import Action, next_state
from jikoflow.models.incidents.tables import Incident
from jikoflow.models.outbox.service import withdraw_alerts, withdraw_drill_messages
from jikoflow.models.parties.chain import Chain
from jikoflow.models.parties.queries import (
    chain_for,
    get_contract,
    get_organization,
    managers_of,
    organizations_by_id,
)
from jikoflow.models.parties.tables import Contract
from jikoflow.models.times import tokyo_time


def get_drill(session: Session, drill_id: str, field: str = "id") -> Drill:
    """The drill, or a refusal naming the id (no access check: callers check)."""
    drill = session.get(Drill, drill_id)
    if drill is None:
        raise NotFound(field, f"unknown drill {drill_id!r}")
    return drill


def locked_drill(session: Session, drill_id: str) -> Drill:
    """The drill, its row locked for this transaction: acts on one drill run one by one."""
    drill = lock_row(session, Drill, drill_id)
    if drill is None:
        raise NotFound("id", f"unknown drill {drill_id!r}")
    return drill  # type: ignore[no-any-return]


def require_running(drill: Drill, now: datetime) -> None:
    """Refuse to record anything on a drill that is closed or whose window has ended."""
    if drill.state is DrillState.CLOSED:
        raise Conflict("id", f"{drill.id} is closed; nothing more is recorded")
    if now > drill.ends_at:
        # Shown to a person: in Asia/Tokyo, like every time jikoflow shows.
        ended = tokyo_time(drill.ends_at, Lang.EN)
        raise Conflict("id", f"the window of {drill.id} ended at {ended}")


def contract_chain(session: Session, contract_id: str) -> tuple[Contract, Chain]:
    """The contract and its stored chain, or a refusal naming the contract."""
    contract = get_contract(session, contract_id)
    return contract, chain_for(session, contract)


def check_origin(session: Session, chain: Chain, origin_id: str) -> None:
    """The simulated incident happens at 乙 or below, never at 甲 (as `declare` requires)."""
    get_organization(session, origin_id)
    chain.path_to_client(origin_id)
    if origin_id == chain.client:
        raise BadInput("org", f"{origin_id} is the client (甲); choose 乙 or a subcontractor")


def check_type(drill_type: DrillType, scenario: str | None) -> None:
    """A tabletop exercise needs a scenario; a contact check takes none."""
    if drill_type is DrillType.TABLETOP and scenario is None:
        raise BadInput("scenario", "a tabletop exercise needs a scenario (id or file)")
    if drill_type is DrillType.CONTACT and scenario is not None:
        raise BadInput("scenario", "only a tabletop exercise takes a scenario")


def add_participants(
    session: Session, drill: Drill, reached: Sequence[tuple[str, Relation]]
) -> list[DrillParticipant]:
    """Record every organisation a drill reaches, with its channel and managers as they are now."""
    ids = [org for org, _ in reached]
    orgs = organizations_by_id(session, ids)
    managers = managers_of(session, ids)
    rows = [
        DrillParticipant(
            drill_id=drill.id,
            org_id=org,
            relation=relation,
            channel=orgs[org].slack_channel,
            managers=len(managers[org]),
        )
        for org, relation in reached
    ]
    session.add_all(rows)
    session.flush()
    return rows


def record_start(session: Session, drill: Drill, participants: Sequence[DrillParticipant]) -> None:
    """The first event of a drill's audit trail: what was started, where, reaching whom."""
    detail = {
        "type": str(drill.type),
        "contract": drill.contract_id,
        "origin": drill.origin_id,
        "scenario": drill.scenario_id,
        "incident": drill.incident_id,
        "plan": drill.plan_id,
        "reached": len(participants),
        "ends_at": drill.ends_at.isoformat(),
    }
    record_event(
        session,
        drill.id,
        "drill_started",
        actor=drill.started_by,
        at=drill.started_at,
        detail=detail,
    )


def participants_of(session: Session, drill_id: str) -> list[DrillParticipant]:
    """The organisations a drill reached, in chain order."""
    query = select(DrillParticipant).where(DrillParticipant.drill_id == drill_id)
    return list(session.exec(query.order_by(col(DrillParticipant.id))))


def participant(session: Session, drill: Drill, org_id: str) -> DrillParticipant | None:
    """Organisation `org_id` as reached by `drill`, if it was."""
    query = select(DrillParticipant).where(
        DrillParticipant.drill_id == drill.id, DrillParticipant.org_id == org_id
    )
    return session.exec(query).first()


def close_drill(session: Session, drill: Drill, now: datetime, actor: str) -> Drill:
    """Close a drill: confirmations and responses stop; the outcome is recorded once."""
    if drill.state is DrillState.CLOSED:
        return drill
    closed_at = min(now, drill.ends_at)
    drill.state = DrillState.CLOSED
    drill.closed_at = closed_at
    session.add(drill)
    participants = participants_of(session, drill.id)
    silent = [p.org_id for p in participants if p.acknowledged_at is None]
    detail = {"acknowledged": len(participants) - len(silent), "reached": len(participants)}
    if drill.type is DrillType.CONTACT:
        detail["never_answered"] = len(silent)
    record_event(session, drill.id, "drill_closed", actor=actor, at=closed_at, detail=detail)
    withdraw_drill_messages(session, drill.id)
    if drill.incident_id is not None:
        for incident in _drill_incidents(session, drill.incident_id):
            end_drill_incident(session, incident, drill_id=drill.id, at=closed_at, actor=actor)
    return drill


def _drill_incidents(session: Session, incident_id: str) -> list[Incident]:
    """A tabletop's incident and the violations its declaration opened."""
    linked = select(Incident).where(
        Incident.is_drill, col(Incident.linked_incident_id) == incident_id
    )
    return [session.get_one(Incident, incident_id), *session.exec(linked)]


def end_drill_incident(
    session: Session, incident: Incident, *, drill_id: str, at: datetime, actor: str
) -> None:
    """The exercise is over, so is its incident: no reminder or escalation follows it."""
    if not incident.is_drill:
        raise Conflict("id", f"{incident.id} is a real incident; only 甲's acceptance closes it")
    if incident.state is IncidentState.CLOSED:
        return
    incident.state = next_state(incident.state, Action.END_DRILL, incident.id)
    incident.closed_at = at
    session.add(incident)
    withdraw_alerts(session, incident.id)
    record_event(
        session, incident.id, "drill_ended", actor=actor, at=at, detail={"drill": drill_id}
    )


def close_due(session: Session, now: datetime) -> list[str]:
    """Close every running drill whose window has ended (the system acts); returns their ids."""
    due = session.exec(
        select(Drill).where(Drill.state == DrillState.RUNNING, col(Drill.ends_at) <= now)
    ).all()
    return [close_drill(session, drill, now, SYSTEM.actor).id for drill in due]


def query_drills(
    session: Session,
    *,
    contract_id: str | None = None,
    running_only: bool = False,
    reaching: Collection[str] | None = None,
) -> list[Drill]:
    """Drills, newest first; with `reaching`, only those that reached one of these orgs."""
    query = select(Drill)
    if contract_id is not None:
        query = query.where(Drill.contract_id == contract_id)
    if running_only:
        query = query.where(Drill.state == DrillState.RUNNING)
    if reaching is not None:
        reached = select(DrillParticipant.drill_id).where(
            col(DrillParticipant.org_id).in_(sorted(reaching))
        )
        query = query.where(col(Drill.id).in_(reached))
    return list(session.exec(query.order_by(col(Drill.started_at).desc(), col(Drill.id))))
