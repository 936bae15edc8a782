"""The API's incidents (DESIGN.md §7): the list, declaring, one incident, acknowledging a report.

Bodies and answers are the services' own models, so `GET /incidents/{id}` is `status --json`
and each item of `GET /incidents` is an item of `list --json`.
"""

from __future__ import annotations

import inspect
from typing import Annotated

from fastapi import Body, Header, Query, Request, Response, status

from jikoflow.models.errors import BadInput
from jikoflow.models.incidents.schemas import (
    Acknowledged,
    AcknowledgeInput,
    DeclareInput,
    IncidentStatus,
    IncidentSummary,
)
from jikoflow.models.incidents.service import (
    acknowledge,
    declare,
    incident_status,
    list_incidents,
)
from jikoflow.web.api_docs import refusals
from jikoflow.web.deps import AfterCommit, ApiCaller, Config, Db, api_router

router = api_router()
IncidentId = Annotated[str, "the incident id, INC-…"]
PAGE_SIZE = 50
MAX_PAGE = 500
# A declaration sent again with the same key must open one incident, which only the service can
# promise: the header is taken once `declare` takes a key, and refused until then.
KEYED_DECLARE = "idempotency_key" in inspect.signature(declare).parameters


class DeclaredIncident(IncidentStatus):
    """The new incident as `status --json` shows it, and the Art. 15 violations it opened."""

    violations: list[str]


@router.get(
    "/incidents",
    response_model=list[IncidentSummary],
    summary="The incidents the caller may see, newest first",
    responses=refusals(422),
)
def incidents(
    request: Request,
    response: Response,
    db: Db,
    caller: ApiCaller,
    config: Config,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="incidents per page")] = PAGE_SIZE,
    after: Annotated[
        str | None,
        Query(max_length=40, description="continue after this incident (the `next` link)"),
    ] = None,
    contract: Annotated[str | None, Query(max_length=64)] = None,
    open_only: Annotated[bool, Query(alias="open", description="not closed")] = False,
    overdue: Annotated[bool, Query(description="with a late step")] = False,
) -> list[IncidentSummary]:
    """Fields as `list --json`. A `Link: <…>; rel="next"` header points to the next page."""
    rows = list_incidents(
        db,
        actor=caller,
        contract_id=contract,
        open_only=open_only,
        overdue=overdue,
        now=config.clock(),
        limit=limit + 1,
        after=after,
    )
    if len(rows) > limit:
        rows = rows[:limit]
        following = request.url.include_query_params(after=rows[-1].id, limit=limit)
        response.headers["Link"] = f'<{following}>; rel="next"'
    return rows


@router.post(
    "/incidents",
    status_code=status.HTTP_201_CREATED,
    response_model=DeclaredIncident,
    summary="Declare an incident; its reports go out at once",
    responses=refusals(403, 404, 422),
)
def declare_incident(
    data: DeclareInput,
    response: Response,
    db: Db,
    caller: ApiCaller,
    config: Config,
    deliveries: AfterCommit,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", max_length=200, include_in_schema=KEYED_DECLARE),
    ] = None,
) -> DeclaredIncident:
    """`{contract, org, kind, suspected, summary, discovered_at?}` → 201 and the incident."""
    keyed = {}
    if idempotency_key is not None:
        if not KEYED_DECLARE:
            raise BadInput("Idempotency-Key", "this server does not honour idempotency keys")
        keyed["idempotency_key"] = idempotency_key
    declared = declare(db, actor=caller, data=data, now=config.clock(), **keyed)
    deliveries.add(declared.incident.id, *declared.violations)
    response.headers["Location"] = f"incidents/{declared.incident.id}"
    return DeclaredIncident(**declared.incident.model_dump(), violations=list(declared.violations))


@router.get(
    "/incidents/{incident_id}",
    response_model=IncidentStatus,
    summary="One incident, as `status --json`",
    responses=refusals(404),
)
def incident(incident_id: IncidentId, db: Db, caller: ApiCaller, config: Config) -> IncidentStatus:
    """Steps with their clocks, every report with its delivery and acknowledgement."""
    return incident_status(db, actor=caller, incident_id=incident_id, now=config.clock())


@router.post(
    "/incidents/{incident_id}/ack",
    response_model=Acknowledged,
    summary="Acknowledge the report to the caller's organisation",
    responses=refusals(403, 404, 409, 422),
)
def ack(
    incident_id: IncidentId,
    db: Db,
    caller: ApiCaller,
    config: Config,
    deliveries: AfterCommit,
    data: Annotated[AcknowledgeInput | None, Body()] = None,
) -> Acknowledged:
    """A manager of a recipient confirms receipt (`{org?}`: the caller's own by default)."""
    done = acknowledge(
        db,
        actor=caller,
        incident_id=incident_id,
        org_id=data.org if data else None,
        now=config.clock(),
    )
    deliveries.add(incident_id)
    return done
