"""One incident's page, as shown after a GET and again beside a form whose input was refused."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from jikoflow.models.enums import Publication, StepName
from jikoflow.models.incidents.overview import incident_overview
from jikoflow.web.config import WebConfig
from jikoflow.web.deps import Db, Refused, Visitor
from jikoflow.web.templating import render


def render_incident(
    request: Request,
    db: Db,
    who: Visitor,
    config: WebConfig,
    incident_id: str,
    *,
    refused: Refused | None = None,
    form: str | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    """The page of `incident_id` for `who`; `refused` shows beside `form` with its `values`."""
    overview = incident_overview(
        db, actor=who.principal, incident_id=incident_id, now=config.clock()
    )
    return render(
        request,
        "incident.html.j2",
        status=refused.status if refused else 200,
        visitor=who,
        here=f"/incidents/{incident_id}",
        incident=overview.status,
        record=overview.record,
        acts=overview.acts,
        steps={step.value: step for step in StepName},
        publications=list(Publication),
        refused=refused,
        form=form,
        values=values or {},
    )
