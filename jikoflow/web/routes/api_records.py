"""The API's written record (DESIGN.md §7 `record`): Markdown, HTML or PDF, in Japanese or
English; a submitted version's frozen Markdown byte for byte, with its SHA-256 in a header."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from jikoflow.models.enums import Lang
from jikoflow.models.response.documents import record_file
from jikoflow.records.render import RecordFormat
from jikoflow.web.api_docs import refusals
from jikoflow.web.deps import ApiCaller, Config, Db, api_router
from jikoflow.web.documents import MEDIA_TYPES, SHA256_HEADER, VERSION_HEADER, record_response

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
