"""One incident's page, as shown after a GET and again beside a form whose input was refused."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from jikoflow.models.enums import StepName
from jikoflow.models.incidents.abilities import incident_acts
from jikoflow.models.incidents.service import incident_status
from jikoflow.models.response.documents import record_view
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
    now = config.clock()
    actor = who.principal
    return render(
        request,
        "incident.html.j2",
        status=refused.status if refused else 200,
        visitor=who,
        here=f"/incidents/{incident_id}",
        incident=incident_status(db, actor=actor, incident_id=incident_id, now=now),
        record=record_view(db, actor=actor, incident_id=incident_id, now=now),
        acts=incident_acts(db, actor=actor, incident_id=incident_id),
        steps={step.value: step for step in StepName},
        refused=refused,
        form=form,
        values=values or {},
    )
