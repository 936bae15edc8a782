"""The incident pages: 事故等一覧, 事故等の報告 (the declaration form), one incident's page, its
reports' delivery for the page to follow live, its written record, and for 甲's managers the
draft of 甲's report to the PPC.

Every route is a few lines over the services; what a person may see and do is decided there.
Addresses carry ids only, never incident content (DESIGN.md §5).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Query, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from jikoflow.models.enums import AppiStage, IncidentKind, Lang, ReportStatus
from jikoflow.models.facts.service import ppc_draft_file
from jikoflow.models.incidents.abilities import declare_places
from jikoflow.models.incidents.schemas import DeclareInput
from jikoflow.models.incidents.service import declare_ids, list_incidents
from jikoflow.models.parties.service import trees
from jikoflow.models.response.documents import record_file, record_view
from jikoflow.models.schemas import parse
from jikoflow.models.terms import label
from jikoflow.models.times import TOKYO, tokyo_time
from jikoflow.records.render import DateStyle, RecordFormat
from jikoflow.web.config import WebConfig
from jikoflow.web.deps import (
    AfterCommit,
    Config,
    Db,
    Refused,
    SignedIn,
    Visitor,
    Watching,
    attempt,
    browser_lang,
    page_router,
)
from jikoflow.web.documents import document_response, record_response
from jikoflow.web.incident_page import render_incident
from jikoflow.web.templating import person_name, render

router = page_router()
PAGE_SIZE = 50
# Reports still on their way: the page asks again soon while any is.
_GOING = (ReportStatus.PENDING, ReportStatus.FAILED)


@router.get("/incidents")
def incident_list(
    request: Request,
    db: Db,
    who: SignedIn,
    config: Config,
    after: Annotated[str | None, Query(max_length=40)] = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    overdue: Annotated[bool, Query()] = False,
) -> Response:
    """The incidents the person may see, newest first, a page at a time, late ones marked."""
    rows = list_incidents(
        db,
        actor=who.principal,
        open_only=open_only,
        overdue=overdue,
        now=config.clock(),
        limit=PAGE_SIZE + 1,
        after=after,
    )
    filters = {k: "1" for k, on in (("open", open_only), ("overdue", overdue)) if on}
    following = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        following = "/incidents?" + urlencode({**filters, "after": rows[-1].id})
    names = {o.id: o.name for tree in trees(db, actor=who.principal) for o in tree.organizations}
    return render(
        request,
        "incidents.html.j2",
        visitor=who,
        rows=rows,
        names=names,
        open_only=open_only,
        overdue=overdue,
        following=following,
        first=("/incidents?" + urlencode(filters)) if after else None,
    )


@router.get("/incidents/new")
def declare_form(request: Request, db: Db, who: SignedIn, config: Config) -> Response:
    """事故等の報告: only the contracts and organisations where the person may declare."""
    return _declare_page(request, db, who, config, values={})


@router.post("/incidents")
def declare_incident(
    request: Request,
    db: Db,
    who: SignedIn,
    config: Config,
    deliveries: AfterCommit,
    contract: Annotated[str, Form()] = "",
    org: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    suspected: Annotated[str, Form()] = "",
    discovered_at: Annotated[str, Form()] = "",
    summary: Annotated[str, Form()] = "",
    improper_purpose: Annotated[str, Form()] = "",
) -> Response:
    """Open the incident and go to its page, where its reports are seen going out."""
    values = {
        "contract": contract,
        "org": org,
        "kind": kind,
        # Either choice of the form, or refused: おそれ or 発生 is never assumed.
        "suspected": {"true": True, "false": False}.get(suspected, suspected),
        "discovered_at": discovered_at.strip() or None,
        "summary": summary,
        "improper_purpose": improper_purpose == "true",
    }
    done = attempt(
        db,
        # The ids only: the page that follows builds the view, after the reports went out.
        lambda: declare_ids(
            db, actor=who.principal, data=parse(DeclareInput, values), now=config.clock()
        ),
    )
    if isinstance(done, Refused):
        return _declare_page(request, db, who, config, values=values, refused=done)
    deliveries.add(done.id, *done.violations)
    return RedirectResponse(f"/incidents/{done.id}", status_code=303)


def _declare_page(
    request: Request,
    db: Db,
    who: Visitor,
    config: WebConfig,
    *,
    values: dict[str, Any],
    refused: Refused | None = None,
) -> Response:
    places = declare_places(db, actor=who.principal)
    now = config.clock().astimezone(TOKYO)
    return render(
        request,
        "declare.html.j2",
        status=refused.status if refused else 200,
        visitor=who,
        places=places,
        values=values,
        refused=refused,
        kinds=list(IncidentKind),
        now_local=f"{now:%Y-%m-%dT%H:%M}",
    )


@router.get("/incidents/{incident_id}")
def incident_page(
    incident_id: str, request: Request, db: Db, who: SignedIn, config: Config
) -> Response:
    """One incident: its facts, steps with their clocks, reports, responses, record, and the
    acts open to the person."""
    return render_incident(request, db, who, config, incident_id)


@router.get("/incidents/{incident_id}/reports")
def live_reports(
    incident_id: str, request: Request, db: Db, who: Watching, config: Config
) -> Response:
    """The reports' delivery as the page shows it, for the page to follow without reloading."""
    record = record_view(db, actor=who.principal, incident_id=incident_id, now=config.clock())
    lang = browser_lang(request)
    reports = [
        {
            "to": line.recipient.id,
            "status": line.status.value,
            "status_label": label(line.status, lang),
            "sent_at": tokyo_time(line.sent_at, lang),
            "delivered_at": tokyo_time(line.delivered_at, lang),
            "acknowledged_at": tokyo_time(line.acknowledged_at, lang),
            "acknowledged_by": person_name(line.acknowledged_by, lang),
        }
        for line in record.reports
    ]
    going = sum(line.status in _GOING for line in record.reports)
    return JSONResponse({"reports": reports, "going": going})


@router.get("/incidents/{incident_id}/record")
def record_document(
    incident_id: str,
    db: Db,
    who: SignedIn,
    config: Config,
    fmt: Annotated[RecordFormat, Query(alias="format")] = RecordFormat.HTML,
    lang: Annotated[Lang, Query()] = Lang.JA,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The written record: a submitted version's Markdown as hashed, or HTML or PDF."""
    document = record_file(
        db,
        actor=who.principal,
        incident_id=incident_id,
        fmt=fmt,
        lang=lang,
        version=version,
        now=config.clock(),
    )
    return record_response(document)


@router.get("/incidents/{incident_id}/ppc")
def ppc_document(
    incident_id: str,
    db: Db,
    who: SignedIn,
    config: Config,
    stage: Annotated[AppiStage, Query()] = AppiStage.PRELIMINARY,
    fmt: Annotated[RecordFormat, Query(alias="format")] = RecordFormat.HTML,
    dates: Annotated[DateStyle, Query()] = DateStyle.WESTERN,
) -> Response:
    """The draft of 甲's report to the PPC (漏えい等報告), in Japanese as the form is."""
    draft = ppc_draft_file(
        db,
        actor=who.principal,
        incident_id=incident_id,
        stage=stage,
        fmt=fmt.value,
        era=dates is DateStyle.ERA,
        now=config.clock(),
    )
    return document_response(draft.body, draft.format, draft.filename, Lang.JA)
