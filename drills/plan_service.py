"""The drill cadence's use cases: plans (create, remove, list), a contract's rehearsal policy,
and who is due a drill (Art. 24 (3)).

Plans and the policy are the operator's (DESIGN.md §8); `due` shows a person the organisations
whose drills they may see. A plan's row and its scheduler job are written in the caller's
transaction, so both are committed or neither.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from jikoflow.drills.core import check_origin, check_type, contract_chain
from jikoflow.drills.due import due_rows
from jikoflow.drills.due import set_policy as store_policy
from jikoflow.drills.plans import (
    active_plans,
    create_plan,
    get_plan,
    job_id,
    next_run_of,
    plan_view,
    remove_plan,
    schedule_plan,
    session_jobs,
)
from jikoflow.drills.scenario import scenario_ref
from jikoflow.drills.schemas import (
    DueRow,
    PlanInput,
    PlanRemoved,
    PlanView,
    PolicyInput,
    PolicyView,
)
from jikoflow.models.access import Principal, require_operator
from jikoflow.models.errors import BadInput, NotFound
from jikoflow.models.guard import visible_orgs
from jikoflow.models.policy.service import contract_policy
from jikoflow.models.types import utcnow


def plan_drill(
    session: Session, *, actor: Principal, data: PlanInput, now: datetime | None = None
) -> PlanView:
    """Run a drill on a schedule: the plan and its job, kept in the database for `serve`."""
    require_operator(actor)
    _, chain = contract_chain(session, data.contract)
    if data.org is not None:
        check_origin(session, chain, data.org)
    check_type(data.type, data.scenario)
    scenario = scenario_ref(data.scenario) if data.scenario is not None else None
    plan = create_plan(session, data, scenario=scenario, actor=actor.actor, now=now or utcnow())
    closed_days = contract_policy(session, plan.contract_id).drills.closed_days
    with session_jobs(session) as jobs:
        schedule_plan(jobs, plan, closed_days=closed_days)
        next_run = next_run_of(jobs, plan)
    if next_run is None:  # 30 February: the plan would rehearse nothing, ever
        raise BadInput("cron", f"{data.cron!r} never comes")
    return plan_view(plan, next_run)


def unplan_drill(
    session: Session, *, actor: Principal, plan_id: int, now: datetime | None = None
) -> PlanRemoved:
    """Stop a plan; the drills it already ran keep their evidence."""
    require_operator(actor)
    plan = remove_plan(session, get_plan(session, plan_id), actor=actor.actor, now=now or utcnow())
    with session_jobs(session) as jobs:
        if jobs.get_job(job_id(plan_id)) is not None:
            jobs.remove_job(job_id(plan_id))
    assert plan.id is not None
    return PlanRemoved(id=plan.id)


def list_plans(session: Session, *, actor: Principal) -> list[PlanView]:
    """Every active plan with the next run time its job holds."""
    require_operator(actor)
    with session_jobs(session) as jobs:
        return [plan_view(plan, next_run_of(jobs, plan)) for plan in active_plans(session)]


def set_policy(
    session: Session, *, actor: Principal, data: PolicyInput, now: datetime | None = None
) -> PolicyView:
    """Override how often a contract rehearses (defaults: contact 6, tabletop 12 months)."""
    require_operator(actor)
    return store_policy(session, data, actor=actor.actor, now=now or utcnow())


def drills_due(
    session: Session,
    *,
    actor: Principal,
    contract_id: str | None = None,
    now: datetime | None = None,
) -> list[DueRow]:
    """Per contract and organisation (乙 and below): last drills, next planned, overdue — of
    the organisations whose drills the actor may see."""
    visible = visible_orgs(session, actor)
    if contract_id is not None:
        contract_chain(session, contract_id)
        if visible is not None and contract_id not in visible:
            raise NotFound("contract", f"unknown contract {contract_id!r}")
    return due_rows(session, now or utcnow(), contract_id, visible)
