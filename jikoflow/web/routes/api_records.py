"""The API's documents: the written record (DESIGN.md §7 `record`) — Markdown, HTML or PDF, in
Japanese or English; a submitted version's frozen Markdown byte for byte, with its SHA-256 in a
header — and the draft of 甲's report to the PPC (`ppc`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from jikoflow.models.enums import AppiStage, Lang
from jikoflow.models.facts.service import ppc_draft_file
from jikoflow.models.response.documents import record_file
from jikoflow.records.render import DateStyle, RecordFormat
from jikoflow.web.api_docs import refusals
from jikoflow.web.deps import ApiCaller, Config, Db, api_router
from jikoflow.web.documents import (
    MEDIA_TYPES,
    SHA256_HEADER,
    VERSION_HEADER,
    document_response,
    record_response,
)

router = api_router()
_HEADERS = {
    VERSION_HEADER: {
        "description": "the submitted version this document presents (absent for a draft)",
        "schema": {"type": "integer"},
    },
    SHA256_HEADER: {
        "description": "SHA-256 (hex) of that version's frozen Markdown",
        "schema": {"type": "string"},
    },
}


@router.get(
    "/incidents/{incident_id}/record",
    summary="The written record",
    response_class=Response,
    responses={
        200: {
            "description": "the record (a draft while the incident is open)",
            "content": {media: {} for media in MEDIA_TYPES.values()},
            "headers": _HEADERS,
        },
        **refusals(404, 422),
    },
)
def record(
    incident_id: str,
    db: Db,
    caller: ApiCaller,
    config: Config,
    fmt: Annotated[RecordFormat, Query(alias="format")] = RecordFormat.MD,
    lang: Annotated[Lang, Query()] = Lang.JA,
    version: Annotated[
        int | None,
        Query(ge=1, description="a submitted version; earlier ones are kept as Markdown only"),
    ] = None,
) -> Response:
    """Without `version`: the latest submitted version once submitted (its frozen Markdown as
    hashed, or rendered as HTML or PDF), a draft of the next while open."""
    document = record_file(
        db,
        actor=caller,
        incident_id=incident_id,
        fmt=fmt,
        lang=lang,
        version=version,
        now=config.clock(),
    )
    return record_response(document)


@router.get(
    "/incidents/{incident_id}/ppc",
    summary="The draft of 甲's report to the PPC (漏えい等報告)",
    response_class=Response,
    responses={
        200: {
            "description": "the draft, in Japanese, with what the facts cannot tell marked 要記入",
            "content": {media: {} for media in MEDIA_TYPES.values()},
        },
        **refusals(403, 404, 409, 422),
    },
)
def ppc(
    incident_id: str,
    db: Db,
    caller: ApiCaller,
    config: Config,
    stage: Annotated[AppiStage, Query()] = AppiStage.PRELIMINARY,
    fmt: Annotated[RecordFormat, Query(alias="format")] = RecordFormat.MD,
    dates: Annotated[DateStyle, Query()] = DateStyle.WESTERN,
) -> Response:
    """For 甲's managers: 速報 (`preliminary`) or 確報 (`final`). To the other tiers 甲's APPI
    duties are not shown, so they are answered 404 as for an incident off their path."""
    draft = ppc_draft_file(
        db,
        actor=caller,
        incident_id=incident_id,
        stage=stage,
        fmt=fmt.value,
        era=dates is DateStyle.ERA,
        now=config.clock(),
    )
    return document_response(draft.body, draft.format, draft.filename, Lang.JA)
