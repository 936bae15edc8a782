"""The drill pages (Art. 24 (3)): the drills that reached the person's organisation with who is
due a rehearsal next, one drill with every organisation's answer time, its after-action report."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from starlette.responses import Response

from jikoflow.drills.plan_service import drills_due
from jikoflow.drills.report import ReportFormat
from jikoflow.drills.rules import DrillType
from jikoflow.drills.service import drill_report, list_drills, show_drill
from jikoflow.models.enums import Lang
from jikoflow.web.deps import Config, Db, SignedIn, page_router
from jikoflow.web.documents import document_response
from jikoflow.web.templating import render

router = page_router()


@router.get("/drills")
def drill_list(request: Request, db: Db, who: SignedIn, config: Config) -> Response:
    """The drills that reached the person's organisation, and when each is due to rehearse."""
    return render(
        request,
        "drills.html.j2",
        visitor=who,
        drills=list_drills(db, actor=who.principal),
        due=drills_due(db, actor=who.principal, now=config.clock()),
        drill_types={kind.value: kind for kind in DrillType},
    )


@router.get("/drills/{drill_id}")
def drill_page(drill_id: str, request: Request, db: Db, who: SignedIn) -> Response:
    """One drill: the organisations reached, when each answered, the injects released."""
    drill = show_drill(db, actor=who.principal, drill_id=drill_id)
    return render(request, "drill.html.j2", visitor=who, drill=drill)


@router.get("/drills/{drill_id}/report")
def report(
    drill_id: str,
    db: Db,
    who: SignedIn,
    config: Config,
    fmt: Annotated[ReportFormat, Query(alias="format")] = ReportFormat.HTML,
    lang: Annotated[Lang, Query()] = Lang.JA,
) -> Response:
    """The after-action report (訓練実施報告書)."""
    body = drill_report(
        db, actor=who.principal, drill_id=drill_id, lang=lang, fmt=fmt.value, now=config.clock()
    )
    return document_response(body, fmt.value, f"{drill_id}-report.{fmt.value}", lang)
