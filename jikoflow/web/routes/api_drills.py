"""The API's drills (Art. 24 (3)): those the caller may see, one drill with every
organisation's answer time, its after-action report, and who is due a rehearsal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from jikoflow.drills.plan_service import drills_due
from jikoflow.drills.report import ReportFormat
from jikoflow.drills.schemas import DrillSummary, DrillView, DueRow
from jikoflow.drills.service import drill_report, list_drills, show_drill
from jikoflow.models.enums import Lang
from jikoflow.web.api_docs import refusals
from jikoflow.web.deps import ApiCaller, Config, Db, api_router
from jikoflow.web.documents import MEDIA_TYPES, document_response

router = api_router()


@router.get(
    "/drills",
    response_model=list[DrillSummary],
    summary="The drills that reached the caller's organisation, newest first",
    responses=refusals(404),
)
def drills(
    db: Db,
    caller: ApiCaller,
    contract: Annotated[str | None, Query(max_length=64)] = None,
    running: Annotated[bool, Query(description="only drills still running")] = False,
) -> list[DrillSummary]:
    """Fields as `drill list --json`."""
    return list_drills(db, actor=caller, contract_id=contract, running_only=running)


@router.get(
    "/drills/due",
    response_model=list[DueRow],
    summary="Who is due a rehearsal: last drills, next planned, overdue",
    responses=refusals(404),
)
def due(
    db: Db,
    caller: ApiCaller,
    config: Config,
    contract: Annotated[str | None, Query(max_length=64)] = None,
) -> list[DueRow]:
    """Per contract and organisation the caller may see (乙 and below)."""
    return drills_due(db, actor=caller, contract_id=contract, now=config.clock())


@router.get(
    "/drills/{drill_id}",
    response_model=DrillView,
    summary="One drill: who was reached, who confirmed and when",
    responses=refusals(404),
)
def drill(drill_id: str, db: Db, caller: ApiCaller) -> DrillView:
    """Fields as `drill show --json`."""
    return show_drill(db, actor=caller, drill_id=drill_id)


@router.get(
    "/drills/{drill_id}/report",
    summary="The after-action report",
    response_class=Response,
    responses={
        200: {"content": {media: {} for media in MEDIA_TYPES.values()}},
        **refusals(404, 422),
    },
)
def report(
    drill_id: str,
    db: Db,
    caller: ApiCaller,
    config: Config,
    fmt: Annotated[ReportFormat, Query(alias="format")] = ReportFormat.MD,
    lang: Annotated[Lang, Query()] = Lang.JA,
) -> Response:
    """Markdown, HTML or PDF, in Japanese or English."""
    body = drill_report(
        db, actor=caller, drill_id=drill_id, lang=lang, fmt=fmt.value, now=config.clock()
    )
    return document_response(body, fmt.value, f"{drill_id}-report.{fmt.value}", lang)
