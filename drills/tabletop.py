"""The tabletop exercise (机上訓練): a scenario drives the real Article 24 sequence.

The drill opens an incident flagged as a drill at the scenario's tier, so every real command
(`ack`, `contain`, `cause`, …) works on it and every message is marked 【訓練】. Injects are made
available at their offsets (or with `drill next`); chat only learns their numbers.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from jikoflow.drills.core import (
    add_participants,
    check_actor,
    check_origin,
    contract_chain,
    get_drill,
    participants_of,
    record_start,
    require_running,
)
from jikoflow.drills.notices import enqueue_drill_messages
from jikoflow.drills.rules import (
    DrillState,
    DrillType,
    Relation,
    new_drill_id,
    origin_at_tier,
    relations,
)
from jikoflow.drills.scenario import Inject, Scenario, format_offset
from jikoflow.drills.tables import Drill
from jikoflow.models.access import OPERATOR
from jikoflow.models.audit.service import record_event
from jikoflow.models.errors import BadInput
from jikoflow.models.incidents.service import open_incident
from jikoflow.models.outbox.facts import NoticeEvent
from jikoflow.models.parties.chain import Chain
from jikoflow.models.parties.queries import get_organization


def start_tabletop_drill(
    session: Session,
    *,
    contract_id: str,
    scenario: Scenario,
    origin_id: str | None = None,
    plan_id: int | None = None,
    by: str | None = None,
    now: datetime,
) -> Drill:
    """Open the drill incident of `scenario` at its tier and the drill that follows it."""
    contract, chain = contract_chain(session, contract_id)
    origin = origin_id or _origin_at_tier(chain, scenario)
    check_origin(session, chain, origin)
    opened = open_incident(
        session,
        chain=chain,
        org=get_organization(session, origin),
        kind=scenario.situation.kind,
        suspected=scenario.situation.suspected,
        summary=f"【訓練】{scenario.title}\n{scenario.situation.text}",
        actor=by or OPERATOR.actor,
        now=now,
        drill=True,
    )
    drill = Drill(
        id=new_drill_id(now),
        contract_id=contract.id,
        type=DrillType.TABLETOP,
        origin_id=origin,
        kind=scenario.situation.kind,
        suspected=scenario.situation.suspected,
        scenario_id=scenario.id,
        scenario=scenario.model_dump(mode="json"),
        incident_id=opened[0].id,
        plan_id=plan_id,
        started_at=now,
        ends_at=now + scenario.duration,
        started_by=by,
    )
    session.add(drill)
    session.flush()
    reached = [(o, r) for o, r in relations(chain, origin) if r is not Relation.MEMBER]
    record_start(session, drill, add_participants(session, drill, reached))
    return drill


def _origin_at_tier(chain: Chain, scenario: Scenario) -> str:
    tier = scenario.situation.tier
    origin = origin_at_tier(chain, tier)
    if origin is None:
        raise BadInput(
            "--scenario",
            f"{chain.contract_id} has no organisation at subcontract tier {tier}; "
            "choose one with --org",
        )
    return origin


def scenario_of(drill: Drill) -> Scenario:
    """The scenario as it was when the drill started."""
    if drill.type is not DrillType.TABLETOP or drill.scenario is None:
        raise BadInput("DRILL", f"{drill.id} is a contact-tree check and has no scenario")
    return Scenario.model_validate(drill.scenario)


def release_next(session: Session, drill_id: str, *, by: str | None = None, now: datetime) -> int:
    """Make the next inject available now; returns its number (1-based)."""
    drill = get_drill(session, drill_id)
    scenario = scenario_of(drill)
    require_running(drill, now)
    check_actor(session, by)
    if drill.released >= len(scenario.injects):
        raise BadInput("DRILL", f"all {len(scenario.injects)} injects of {drill.id} are out")
    return _release(session, drill, scenario, now, by)


def release_due(session: Session, now: datetime) -> list[tuple[str, int]]:
    """Make available every inject whose offset has passed, in every running tabletop drill."""
    released: list[tuple[str, int]] = []
    running = session.exec(
        select(Drill).where(Drill.state == DrillState.RUNNING, Drill.type == DrillType.TABLETOP)
    ).all()
    for drill in running:
        scenario = scenario_of(drill)
        while drill.released < len(scenario.injects) and _due(drill, scenario, now):
            released.append((drill.id, _release(session, drill, scenario, now, None)))
    return released


def _due(drill: Drill, scenario: Scenario, now: datetime) -> bool:
    inject = scenario.injects[drill.released]
    return drill.started_at + inject.at <= min(now, drill.ends_at)


def _release(
    session: Session, drill: Drill, scenario: Scenario, now: datetime, by: str | None
) -> int:
    number = drill.released + 1
    drill.released = number
    session.add(drill)
    inject = scenario.injects[number - 1]
    detail = {"number": number, "offset": format_offset(inject.at)}
    record_event(session, drill.id, "inject_released", actor=by, at=now, detail=detail)
    participants = participants_of(session, drill.id)
    enqueue_drill_messages(session, drill, participants, NoticeEvent.DRILL_INJECT, inject=number)
    return number


def released_injects(drill: Drill) -> list[tuple[int, Inject]]:
    """The injects made available so far, numbered from 1."""
    scenario = scenario_of(drill)
    return list(enumerate(scenario.injects[: drill.released], start=1))


def respond(
    session: Session,
    *,
    drill_id: str,
    inject: int,
    role: str,
    text: str,
    by: str | None = None,
    now: datetime,
) -> None:
    """Record a participant's answer to an inject's question for `role`."""
    drill = get_drill(session, drill_id)
    scenario = scenario_of(drill)
    require_running(drill, now)
    if not 1 <= inject <= drill.released:
        raise BadInput("--inject", f"inject {inject} is not available (released: {drill.released})")
    if scenario.role(role) is None:
        known = ", ".join(r.id for r in scenario.roles)
        raise BadInput("--role", f"unknown role {role!r} (roles: {known})")
    if not text.strip():
        raise BadInput("--text", "must not be empty")
    check_actor(session, by)
    detail = {"inject": inject, "role": role, "text": text.strip()}
    record_event(session, drill.id, "responded", actor=by, at=now, detail=detail)


def join(session: Session, *, drill_id: str, by: str, now: datetime) -> None:
    """Record that `by` took part in the exercise (attendance)."""
    drill = get_drill(session, drill_id)
    require_running(drill, now)
    check_actor(session, by)
    record_event(session, drill.id, "joined", actor=by, at=now)
