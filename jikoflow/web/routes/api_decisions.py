"""The API's acts on the record beyond the Article 24 sequence: the structured facts, a
reclassification, and 甲's return (差戻し), instructions (Art. 22) and publication decision
(Art. 25). Each answer is the service's read model."""

from __future__ import annotations

from fastapi import status

from jikoflow.models.facts.schemas import (
    Facts,
    FactsRecorded,
    InstructInput,
    InstructionDoneBody,
    InstructionDoneInput,
    InstructionResult,
    PublicationResult,
    PublishInput,
    ReclassifiedResult,
    ReclassifyInput,
    ReturnedResult,
    ReturnInput,
)
from jikoflow.models.facts.service import (
    complete_instruction,
    instruct,
    publish,
    reclassify,
    record_facts,
    return_record,
)
from jikoflow.web.api_docs import refusals
from jikoflow.web.deps import AfterCommit, ApiCaller, Config, Db, NumberPath, api_router

router = api_router()
ACTS = refusals(403, 404, 409, 422)


@router.post(
    "/incidents/{incident_id}/facts",
    status_code=status.HTTP_201_CREATED,
    response_model=FactsRecorded,
    summary="Record the structured facts (a new revision)",
    responses=ACTS,
)
def facts(
    incident_id: str,
    data: Facts,
    db: Db,
    caller: ApiCaller,
    config: Config,
    deliveries: AfterCommit,
) -> FactsRecorded:
    """Only the fields given change (`null` clears one); a revision changing nothing is 422."""
    done = record_facts(db, actor=caller, incident_id=incident_id, data=data, now=config.clock())
    deliveries.add(incident_id)
    return done


@router.post(
    "/incidents/{incident_id}/reclassify",
    response_model=ReclassifiedResult,
    summary="Change the kind or おそれ/発生, with the reason",
    responses=ACTS,
)
def reclassify_incident(
    incident_id: str,
    data: ReclassifyInput,
    db: Db,
    caller: ApiCaller,
    config: Config,
    deliveries: AfterCommit,
) -> ReclassifiedResult:
    """`{kind?, suspected?, reason}`."""
    done = reclassify(db, actor=caller, incident_id=incident_id, data=data, now=config.clock())
    deliveries.add(incident_id)
    return done


@router.post(
    "/incidents/{incident_id}/return",
    response_model=ReturnedResult,
    summary="甲 returns the submitted record (差戻し)",
    responses=ACTS,
)
def return_submitted(
    incident_id: str,
    data: ReturnInput,
    db: Db,
    caller: ApiCaller,
    config: Config,
    deliveries: AfterCommit,
) -> ReturnedResult:
    """`{reason}`: open again, the record step due again (7 days unless the policy says)."""
    done = return_record(db, actor=caller, incident_id=incident_id, data=data, now=config.clock())
    deliveries.add(incident_id)
    return done


@router.post(
    "/incidents/{incident_id}/instructions",
    status_code=status.HTTP_201_CREATED,
    response_model=InstructionResult,
    summary="甲's instruction or request for a report (Art. 22)",
    responses=ACTS,
)
def instructions(
    incident_id: str,
    data: InstructInput,
    db: Db,
    caller: ApiCaller,
    config: Config,
    deliveries: AfterCommit,
) -> InstructionResult:
    """`{text, due?}`: numbered, tracked to done."""
    done = instruct(db, actor=caller, incident_id=incident_id, data=data, now=config.clock())
    deliveries.add(incident_id)
    return done


@router.post(
    "/incidents/{incident_id}/instructions/{number}/done",
    response_model=InstructionResult,
    summary="Mark an instruction done",
    responses=ACTS,
)
def instruction_done(
    incident_id: str,
    number: NumberPath,
    db: Db,
    caller: ApiCaller,
    config: Config,
    deliveries: AfterCommit,
    body: InstructionDoneBody | None = None,
) -> InstructionResult:
    """The body may say how it was done (`note`); marking it again changes nothing."""
    data = InstructionDoneInput(number=number, note=body.note if body else None)
    done = complete_instruction(
        db, actor=caller, incident_id=incident_id, data=data, now=config.clock()
    )
    deliveries.add(incident_id)
    return done


@router.post(
    "/incidents/{incident_id}/publication",
    status_code=status.HTTP_201_CREATED,
    response_model=PublicationResult,
    summary="甲's decision on publication (Art. 25)",
    responses=ACTS,
)
def publication(
    incident_id: str,
    data: PublishInput,
    db: Db,
    caller: ApiCaller,
    config: Config,
    deliveries: AfterCommit,
) -> PublicationResult:
    """`{decision, on?, reason?}`: the latest decision is in force."""
    done = publish(db, actor=caller, incident_id=incident_id, data=data, now=config.clock())
    deliveries.add(incident_id)
    return done
