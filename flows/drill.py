"""The drill flows (Art. 24 (3)): a drill's messages, and for a tabletop the real Article 24 flow.

A contact check's flow delivers its 【訓練】 messages; a tabletop's flow also runs the incident
flow on its drill incident, so the rehearsal exercises exactly what a real incident would.
"""

from __future__ import annotations

from prefect import flow, task

from jikoflow.drills.rules import DrillType
from jikoflow.drills.schemas import RunInput
from jikoflow.drills.service import run_drill, show_drill
from jikoflow.flows.incident import incident_flow
from jikoflow.flows.tasks import deliver_notifications
from jikoflow.models.access import SYSTEM, Principal, Via
from jikoflow.models.choices import parse_choice
from jikoflow.models.schemas import parse
from jikoflow.models.settings import load_settings
from jikoflow.usecases import act, read


@task(retries=1, retry_delay_seconds=2, timeout_seconds=60)
def drill_incident(drill_id: str) -> str | None:
    """The drill incident a tabletop drives (None for a contact check)."""
    view = read(load_settings().database_url, show_drill, actor=SYSTEM, drill_id=drill_id)
    return view.incident


@task(timeout_seconds=120)
def open_drill(
    contract_id: str, drill_type: str, scenario: str | None, org: str | None, by: str | None
) -> str:
    """Open a drill now, as person `by` (checked like any person) or as the system; its id."""
    data = parse(
        RunInput,
        {
            "contract": contract_id,
            "type": parse_choice(DrillType, drill_type, "type"),
            "scenario": scenario,
            "org": org,
        },
    )
    actor = SYSTEM if by is None else Principal(person_id=by, via=Via.SYSTEM)
    return act(load_settings().database_url, run_drill, actor=actor, data=data).id


@flow(name="jikoflow-drill", log_prints=False, validate_parameters=True)
def drill_flow(drill_id: str) -> bool:
    """第24条第3項: 事故等発生時の対応手順を確認し、または訓練する。"""
    incident_id = drill_incident(drill_id)
    followed = incident_flow(incident_id) if incident_id else True
    sent = deliver_notifications(drill_id, return_state=True)
    return bool(followed and sent.is_completed())


@flow(name="jikoflow-drill-start", log_prints=False, validate_parameters=True)
def start_drill_flow(
    contract_id: str,
    drill_type: str = "contact",
    scenario: str | None = None,
    org: str | None = None,
    by: str | None = None,
) -> str:
    """Start a contact check or a tabletop exercise now (for the Prefect UI), and run it."""
    drill_id = open_drill(contract_id, drill_type, scenario, org, by)
    drill_flow(drill_id)
    return drill_id
