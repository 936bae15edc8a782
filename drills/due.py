"""Is every organisation rehearsing often enough? Last drills, next plans, overdue (Art. 24 (3)).

By default a contact check is due every 6 months and a tabletop exercise every 12; a contract's
`DrillPolicy` overrides both. A contact check counts for an organisation only when it
confirmed; a tabletop counts for every organisation on the drill incident's report path.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from jikoflow.drills.plans import active_plans, next_runs
from jikoflow.drills.rules import (
    DEFAULT_CONTACT_MONTHS,
    DEFAULT_TABLETOP_MONTHS,
    DrillType,
    Relation,
    cadence,
    origin_at_tier,
    relations,
)
from jikoflow.drills.scenario import find_scenario
from jikoflow.drills.schemas import CadenceView, DueRow, PolicyInput, PolicyView
from jikoflow.drills.tables import Drill, DrillParticipant, DrillPlan, DrillPolicy
from jikoflow.models.audit.service import record_event
from jikoflow.models.errors import BadInput
from jikoflow.models.parties.chain import Chain
from jikoflow.models.parties.queries import chain_for, get_contract, organizations_by_id
from jikoflow.models.parties.tables import Contract
from jikoflow.models.policy.schemas import ClosedDayRule
from jikoflow.models.policy.service import contract_policy

Latest = dict[tuple[DrillType, str], datetime]


def set_policy(session: Session, data: PolicyInput, *, actor: str, now: datetime) -> PolicyView:
    """Override how often a contract rehearses (months between drills of each kind)."""
    get_contract(session, data.contract)
    policy = session.get(DrillPolicy, data.contract) or DrillPolicy(
        contract_id=data.contract, updated_at=now
    )
    policy.contact_months = data.contact_months or policy.contact_months
    policy.tabletop_months = data.tabletop_months or policy.tabletop_months
    policy.updated_at, policy.updated_by = now, actor
    session.add(policy)
    detail = {"contact_months": policy.contact_months, "tabletop_months": policy.tabletop_months}
    chain = f"policy-{data.contract}"
    record_event(session, chain, "drill_policy", actor=actor, at=now, detail=detail)
    return PolicyView(
        contract=data.contract,
        contact_months=policy.contact_months,
        tabletop_months=policy.tabletop_months,
    )


def _latest(session: Session, contract_id: str) -> Latest:
    """Per (type, organisation): the start of the newest drill that counts for it."""
    rows = session.exec(
        select(Drill, DrillParticipant)
        .join(DrillParticipant, col(DrillParticipant.drill_id) == Drill.id)
        .where(Drill.contract_id == contract_id)
    ).all()
    latest: Latest = {}
    for drill, participant in rows:
        if drill.type is DrillType.CONTACT and participant.acknowledged_at is None:
            continue
        key = (drill.type, participant.org_id)
        if key not in latest or latest[key] < drill.started_at:
            latest[key] = drill.started_at
    return latest


def _planned(
    plans: list[DrillPlan], chain: Chain, now: datetime, closed_days: ClosedDayRule | None = None
) -> Latest:
    """Per (type, organisation): the next planned drill that will reach it."""
    nearest: Latest = {}
    for plan in plans:
        upcoming = next_runs(plan.cron, plan.timezone, now, closed_days=closed_days)
        if not upcoming:
            continue
        for org in _reached(plan, chain):
            key = (plan.type, org)
            if key not in nearest or upcoming[0] < nearest[key]:
                nearest[key] = upcoming[0]
    return nearest


def _reached(plan: DrillPlan, chain: Chain) -> list[str]:
    if plan.type is DrillType.CONTACT:
        return chain.members()
    origin = plan.origin_id
    if origin is None and plan.scenario_id is not None:
        try:
            origin = origin_at_tier(chain, find_scenario(plan.scenario_id).situation.tier)
        except BadInput:
            return []
    if origin is None:
        return []
    return [org for org, relation in relations(chain, origin) if relation is not Relation.MEMBER]


def due_rows(
    session: Session,
    now: datetime,
    contract_id: str | None = None,
    visible: dict[str, set[str]] | None = None,
) -> list[DueRow]:
    """One row per organisation (乙 and below) and contract; with `visible`, only the contracts
    and organisations it names."""
    query = select(Contract).order_by(col(Contract.id))
    if contract_id is not None:
        query = query.where(Contract.id == contract_id)
    if visible is not None:
        query = query.where(col(Contract.id).in_(sorted(visible)))
    plans_by_contract: dict[str, list[DrillPlan]] = defaultdict(list)
    for plan in active_plans(session):
        plans_by_contract[plan.contract_id].append(plan)
    rows: list[DueRow] = []
    for contract in session.exec(query):
        shown = None if visible is None else visible[contract.id]
        rows.extend(_contract_rows(session, contract, plans_by_contract[contract.id], now, shown))
    return rows


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value else None


def _contract_rows(
    session: Session,
    contract: Contract,
    plans: list[DrillPlan],
    now: datetime,
    shown: set[str] | None,
) -> list[DueRow]:
    chain = chain_for(session, contract)
    policy = session.get(DrillPolicy, contract.id)
    months = {
        DrillType.CONTACT: policy.contact_months if policy else DEFAULT_CONTACT_MONTHS,
        DrillType.TABLETOP: policy.tabletop_months if policy else DEFAULT_TABLETOP_MONTHS,
    }
    latest = _latest(session, contract.id)
    closed_days = contract_policy(session, contract.id).drills.closed_days
    planned = _planned(plans, chain, now, closed_days)
    orgs = organizations_by_id(session, chain.members())
    rows = []
    for org in chain.members()[1:]:
        if shown is not None and org not in shown:
            continue
        kinds = {}
        for kind in DrillType:
            state = cadence(latest.get((kind, org)), months[kind], now)
            kinds[kind] = CadenceView(
                every_months=months[kind],
                last=_utc(state.last),
                due=_utc(state.due),
                next_planned=_utc(planned.get((kind, org))),
                overdue=state.overdue,
            )
        rows.append(
            DueRow(
                contract=contract.id,
                org=org,
                org_name=orgs[org].name,
                contact=kinds[DrillType.CONTACT],
                tabletop=kinds[DrillType.TABLETOP],
                overdue=any(k.overdue for k in kinds.values()),
            )
        )
    return rows
