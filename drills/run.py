"""Starting a drill of either kind: from the command line, a plan, or the Prefect UI."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from jikoflow.drills.contact import start_contact_drill
from jikoflow.drills.core import check_type
from jikoflow.drills.rules import DEFAULT_WINDOW, DrillType
from jikoflow.drills.scenario import find_scenario
from jikoflow.drills.tables import Drill, DrillPlan
from jikoflow.drills.tabletop import start_tabletop_drill
from jikoflow.models.errors import BadInput


def parse_type(text: str) -> DrillType:
    """A drill type from the command line."""
    try:
        return DrillType(text.strip().lower())
    except ValueError:
        raise BadInput("--type", f"{text!r} is not one of contact, tabletop") from None


def start_drill(
    session: Session,
    *,
    contract_id: str,
    drill_type: DrillType,
    scenario: str | None = None,
    origin_id: str | None = None,
    window: timedelta = DEFAULT_WINDOW,
    plan_id: int | None = None,
    by: str | None = None,
    now: datetime,
) -> Drill:
    """Open a drill now; a tabletop needs a scenario, a contact check takes none."""
    check_type(drill_type, scenario)
    if scenario is not None:  # a tabletop exercise, as check_type made sure
        return start_tabletop_drill(
            session,
            contract_id=contract_id,
            scenario=find_scenario(scenario),
            origin_id=origin_id,
            plan_id=plan_id,
            by=by,
            now=now,
        )
    return start_contact_drill(
        session,
        contract_id=contract_id,
        origin_id=origin_id,
        window=window,
        plan_id=plan_id,
        by=by,
        now=now,
    )


def start_from_plan(session: Session, plan_id: int, *, now: datetime) -> Drill | None:
    """The drill a plan asks for; None when the plan has been removed since it was scheduled."""
    plan = session.get(DrillPlan, plan_id)
    if plan is None or plan.removed_at is not None:
        return None
    return start_drill(
        session,
        contract_id=plan.contract_id,
        drill_type=plan.type,
        scenario=plan.scenario_id,
        origin_id=plan.origin_id,
        window=timedelta(minutes=plan.window_minutes),
        plan_id=plan.id,
        by=plan.created_by,
        now=now,
    )
