"""The tabletop exercise (机上訓練): a scenario drives the real Article 24 sequence.

The drill opens an incident flagged as a drill at the scenario's tier, so every real command
(`ack`, `contain`, `cause`, …) works on it and every message is marked 【訓練】. Injects are made
available at their offsets (or with `drill next`); chat only learns their numbers.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from jikoflow.drills.core import add_participants, participants_of, record_start, require_running
from jikoflow.drills.notices import enqueue_drill_messages
from jikoflow.drills.rules import (
    DrillState,
    DrillType,
    Relation,
    new_drill_id,
    origin_at_tier,
    relations,
)
from jikoflow.drills.scenario import Scenario, format_offset
from jikoflow.drills.tables import Drill
from jikoflow.models.access import SYSTEM
from jikoflow.models.audit.service import record_event
from jikoflow.models.errors import BadInput, Conflict
from jikoflow.models.incidents.service import open_incident
from jikoflow.models.outbox.facts import NoticeEvent
from jikoflow.models.parties.chain import Chain
from jikoflow.models.parties.queries import get_organization


def start_tabletop_drill(
    session: Session,
    *,
    chain: Chain,
    scenario: Scenario,
    origin_id: str,
    plan_id: int | None = None,
    actor: str,
    now: datetime,
) -> Drill:
    """Open the drill incident of `scenario` at `origin_id` and the drill that follows it."""
    opened = open_incident(
        session,
        chain=chain,
        org=get_organization(session, origin_id),
        kind=scenario.situation.kind,
        suspected=scenario.situation.suspected,
        summary=f"【訓練】{scenario.title}\n{scenario.situation.text}",
        actor=actor,
        now=now,
        drill=True,
    )
    drill = Drill(
        id=new_drill_id(now),
        contract_id=chain.contract_id,
        type=DrillType.TABLETOP,
        origin_id=origin_id,
        kind=scenario.situation.kind,
        suspected=scenario.situation.suspected,
        scenario_id=scenario.id,
        scenario=scenario.model_dump(mode="json"),
        incident_id=opened[0].id,
        plan_id=plan_id,
        started_at=now,
        ends_at=now + scenario.duration,
        started_by=actor,
    )
    session.add(drill)
    session.flush()
    reached = [(o, r) for o, r in relations(chain, origin_id) if r is not Relation.MEMBER]
    record_start(session, drill, add_participants(session, drill, reached))
    return drill


def scenario_origin(chain: Chain, scenario: Scenario) -> str:
    """The organisation at the scenario's subcontract tier, or a refusal asking for one."""
    tier = scenario.situation.tier
    origin = origin_at_tier(chain, tier)
    if origin is None:
        raise BadInput(
            "scenario",
            f"{chain.contract_id} has no organisation at subcontract tier {tier}; "
            "choose the organisation (org)",
        )
    return origin


def scenario_of(drill: Drill) -> Scenario:
    """The scenario as it was when the drill started."""
    if drill.type is not DrillType.TABLETOP or drill.scenario is None:
        raise Conflict("id", f"{drill.id} is a contact-tree check and has no scenario")
    return Scenario.model_validate(drill.scenario)


def release_next(session: Session, drill: Drill, *, actor: str, now: datetime) -> int:
    """Make the next inject available now; returns its number (1-based)."""
    scenario = scenario_of(drill)
    require_running(drill, now)
    if drill.released >= len(scenario.injects):
        raise Conflict("id", f"all {len(scenario.injects)} injects of {drill.id} are out")
    return _release(session, drill, scenario, now, actor)


def release_due(session: Session, now: datetime) -> list[tuple[str, int]]:
    """Make available every inject whose offset has passed, in every running tabletop drill."""
    released: list[tuple[str, int]] = []
    running = session.exec(
        select(Drill).where(Drill.state == DrillState.RUNNING, Drill.type == DrillType.TABLETOP)
    ).all()
    for drill in running:
        scenario = scenario_of(drill)
        while drill.released < len(scenario.injects) and _due(drill, scenario, now):
            released.append((drill.id, _release(session, drill, scenario, now, SYSTEM.actor)))
    return released


def _due(drill: Drill, scenario: Scenario, now: datetime) -> bool:
    inject = scenario.injects[drill.released]
    return drill.started_at + inject.at <= min(now, drill.ends_at)


def _release(session: Session, drill: Drill, scenario: Scenario, now: datetime, actor: str) -> int:
    number = drill.released + 1
    drill.released = number
    session.add(drill)
    inject = scenario.injects[number - 1]
    detail = {"number": number, "offset": format_offset(inject.at)}
    record_event(session, drill.id, "inject_released", actor=actor, at=now, detail=detail)
    participants = participants_of(session, drill.id)
    enqueue_drill_messages(session, drill, participants, NoticeEvent.DRILL_INJECT, inject=number)
    return number


def respond(
    session: Session,
    drill: Drill,
    *,
    inject: int,
    role: str,
    text: str,
    actor: str,
    now: datetime,
) -> None:
    """Record a participant's answer to an inject's question for `role`."""
    scenario = scenario_of(drill)
    require_running(drill, now)
    if inject > drill.released:
        raise BadInput("inject", f"inject {inject} is not available (released: {drill.released})")
    if scenario.role(role) is None:
        known = ", ".join(r.id for r in scenario.roles)
        raise BadInput("role", f"unknown role {role!r} (roles: {known})")
    detail = {"inject": inject, "role": role, "text": text}
    record_event(session, drill.id, "responded", actor=actor, at=now, detail=detail)


def join(session: Session, drill: Drill, *, actor: str, now: datetime) -> None:
    """Record that `actor` takes part in the exercise (attendance)."""
    require_running(drill, now)
    record_event(session, drill.id, "joined", actor=actor, at=now)
