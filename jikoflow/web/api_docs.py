"""What the API's OpenAPI document says of refusals, in the shape `errors.api_refused` answers
(DESIGN.md §7): 401 without a valid token, 404 for what the caller may not see, 403 for an act
they may not do, 409 when the state does not allow it, 422 naming the field."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Refusal(BaseModel):
    """Why a request was refused; `field` and `pointer` name the input to fix."""

    detail: str
    field: str | None = None
    pointer: str | None = Field(default=None, description="a JSON pointer into the request")


_WHY = {
    401: "no valid API token (`Authorization: Bearer TOKEN`)",
    403: "the caller may see this but may not do this act",
    404: "unknown, or not visible to the caller (its existence is not revealed)",
    409: "the current state does not allow this now",
    422: "bad input; `field` and `pointer` name what to fix",
}


def refusals(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route refused with these status codes (every API router adds
    401)."""
    return {code: {"model": Refusal, "description": _WHY[code]} for code in codes}
