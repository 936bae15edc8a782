"""The API's Article 24 sequence after declaration: containment, cause, prevention measures,
submitting the written record and 甲's acceptance. Each answer is the service's read model."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, status

from jikoflow.models.response.schemas import (
    Accepted,
    AcceptInput,
    CauseInput,
    CauseRecorded,
    ContainInput,
    ContainmentRecorded,
    ImplementInput,
    MeasureInput,
    MeasureRecorded,
    SubmitInput,
    Submitted,
)
from jikoflow.models.response.service import (
    accept,
    add_measure,
    contain,
    implement_measure,
    record_cause,
    submit,
)
from jikoflow.web.api_docs import refusals
from jikoflow.web.deps import AfterCommit, ApiCaller, Config, Db, NumberPath, api_router

router = api_router()
ACTS = refusals(403, 404, 409, 422)


@router.post(
    "/incidents/{incident_id}/containment",
    status_code=status.HTTP_201_CREATED,
    response_model=ContainmentRecorded,
    summary="Record a measure against further damage",
    responses=ACTS,
)
def containment(
    incident_id: str,
    data: ContainInput,
    db: Db,
    caller: ApiCaller,
    config: Config,
    deliveries: AfterCommit,
) -> ContainmentRecorded:
    """`{action, done}`: `done` once the damage is contained (Art. 24 (1))."""
    done = contain(db, actor=caller, incident_id=incident_id, data=data, now=config.clock())
    deliveries.add(incident_id)
    return done


@router.post(
    "/incidents/{incident_id}/cause",
    status_code=status.HTTP_201_CREATED,
    response_model=CauseRecorded,
    summary="Record or revise the root-cause analysis",
    responses=ACTS,
)
def cause(
    incident_id: str,
    data: CauseInput,
    db: Db,
    caller: ApiCaller,
    config: Config,
    deliveries: AfterCommit,
) -> CauseRecorded:
    """`{text}`: a new revision each time; every revision is kept (Art. 24 (1) 2)."""
    done = record_cause(db, actor=caller, incident_id=incident_id, data=data, now=config.clock())
    deliveries.add(incident_id)
    return done


@router.post(
    "/incidents/{incident_id}/measures",
    status_code=status.HTTP_201_CREATED,
    response_model=MeasureRecorded,
    summary="Add a recurrence-prevention measure",
    responses=ACTS,
)
def measures(
    incident_id: str,
    data: MeasureInput,
    db: Db,
    caller: ApiCaller,
    config: Config,
    deliveries: AfterCommit,
) -> MeasureRecorded:
    """`{measure, owner?, due?}`: refused (409) before a root cause is recorded."""
    done = add_measure(db, actor=caller, incident_id=incident_id, data=data, now=config.clock())
    deliveries.add(incident_id)
    return done


@router.post(
    "/incidents/{incident_id}/measures/{number}/implemented",
    response_model=MeasureRecorded,
    summary="Mark a prevention measure implemented",
    responses=ACTS,
)
def implemented(
    incident_id: str,
    number: NumberPath,
    db: Db,
    caller: ApiCaller,
    config: Config,
    deliveries: AfterCommit,
    data: Annotated[ImplementInput | None, Body()] = None,
) -> MeasureRecorded:
    """The body may say how the implementation is shown (`evidence`); marking it again
    changes nothing."""
    done = implement_measure(
        db,
        actor=caller,
        incident_id=incident_id,
        number=number,
        evidence=data.evidence if data else None,
        now=config.clock(),
    )
    deliveries.add(incident_id)
    return done


@router.post(
    "/incidents/{incident_id}/submit",
    status_code=status.HTTP_201_CREATED,
    response_model=Submitted,
    summary="Submit the written record to 甲 and 乙",
    responses=ACTS,
)
def submit_record(
    incident_id: str,
    db: Db,
    caller: ApiCaller,
    config: Config,
    deliveries: AfterCommit,
    data: Annotated[SubmitInput | None, Body()] = None,
) -> Submitted:
    """Freezes the record as its next version with its SHA-256 (Art. 24 (1) 4); refused (409),
    naming what is missing, before containment is done, a cause and a measure are recorded."""
    done = submit(db, actor=caller, incident_id=incident_id, data=data, now=config.clock())
    deliveries.add(incident_id)
    return done


@router.post(
    "/incidents/{incident_id}/accept",
    response_model=Accepted,
    summary="甲 accepts the submitted record, closing the incident",
    responses=ACTS,
)
def accept_record(
    incident_id: str,
    db: Db,
    caller: ApiCaller,
    config: Config,
    deliveries: AfterCommit,
    data: AcceptInput | None = None,
) -> Accepted:
    """Managers of 甲 only; the latest submitted version is accepted — with `version`, only if
    that is still the latest (409 when another was submitted since)."""
    done = accept(db, actor=caller, incident_id=incident_id, data=data, now=config.clock())
    deliveries.add(incident_id)
    return done
