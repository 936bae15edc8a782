"""One incident's page, as shown after a GET and again beside a form whose input was refused."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from jikoflow.models.enums import Publication, StepName, SubjectNotice
from jikoflow.models.facts.schemas import FACT_FIELDS, Facts
from jikoflow.models.incidents.overview import incident_overview
from jikoflow.models.times import TOKYO
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
        notices=list(SubjectNotice),
        # The facts form shows what is known, or what was typed when it was refused.
        fact_values=values if form == "facts" and values else facts_form(overview.status.facts),
        refused=refused,
        form=form,
        values=values or {},
    )


def facts_form(facts: Facts) -> dict[str, str]:
    """The facts as the form's fields show them: blank where unknown, times in Tokyo."""
    shown: dict[str, str] = dict.fromkeys(FACT_FIELDS, "")
    for name, value in facts.known().items():
        if isinstance(value, bool):
            shown[name] = "true" if value else "false"
        elif name == "occurred_at":
            shown[name] = value.astimezone(TOKYO).strftime("%Y-%m-%dT%H:%M")
        elif name == "items":
            shown[name] = "、".join(value)
        else:
            shown[name] = str(value)
    return shown
