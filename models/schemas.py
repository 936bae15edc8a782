"""What the services take and return: typed inputs and read models (pydantic), shared bits.

Inputs are the request bodies of the JSON API and what the CLI builds from its options; read
models are what `--json` prints and the API answers. `parse` turns a validation failure into
the refusal the surfaces word for themselves (the field, then what is wrong).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_serializer,
)

from jikoflow.models.errors import BadInput, problem_text
from jikoflow.models.times import TOKYO, out_of_range

M = TypeVar("M", bound=BaseModel)


class Input(BaseModel):
    """A use case's input: unknown fields refused, strings stripped."""

    # Validators are built on first use: a command pays only for the models it uses.
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, frozen=True, defer_build=True
    )


class IsoTimes(BaseModel):
    """Times in JSON as `datetime.isoformat()` writes them, with their offset (+00:00, or
    +09:00 for a Tokyo end of day), in every answer alike: never pydantic's `Z`."""

    @field_serializer("*", mode="wrap", when_used="json")
    def _iso_times(self, value: Any, handler: SerializerFunctionWrapHandler) -> Any:
        return value.isoformat() if isinstance(value, datetime) else handler(value)


class ReadModel(IsoTimes):
    """A use case's answer."""

    model_config = ConfigDict(frozen=True, defer_build=True)


def build_now() -> None:
    """Build every input and read model imported so far, instead of on first use.

    A server would rather pay at start than on a request, and FastAPI must find the models
    built when it wraps them for a route (a deferred model is wrapped with a spurious warning).
    """
    pending: list[type[BaseModel]] = [Input, ReadModel]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        # Wrappers (FastAPI's TypeAdapters) read the flag too: built now, nothing defers.
        model.model_config = {**model.model_config, "defer_build": False}
        model.model_rebuild()


# Free text is shown in terminals, chat and records: line breaks and tabs are text, but other
# control characters (Unicode's Cc: an ANSI escape repaints a terminal) and bidi overrides are
# refused. One regular expression: a megabyte is searched in a millisecond, not a second.
_HOSTILE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return inert_text(text).strip()


def inert_text(text: str) -> str:
    """`text` if it has no control characters but line breaks and tabs, nor bidi overrides."""
    if _HOSTILE.search(text):
        raise ValueError("control characters (terminal escapes) are not allowed")
    return text


def _tokyo(value: Any) -> Any:
    if not isinstance(value, str | datetime):
        # JSON's number would be read as seconds since 1970: a time is written, not counted.
        raise ValueError("must be an ISO 8601 time such as 2026-11-25T18:30")
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must not be empty (an ISO 8601 time)")
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("is not an ISO 8601 time such as 2026-11-25T18:30") from None
    if isinstance(value, datetime) and (why := out_of_range(value)) is not None:
        raise ValueError(f"out of range ({why})")
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=TOKYO)
    return value


Text = Annotated[str, AfterValidator(_not_blank)]
# Optional free text (a note, a reason that may be left empty): no control characters either.
Plain = Annotated[str, AfterValidator(inert_text)]
# A time as a person gives it: ISO 8601, Asia/Tokyo when no offset is given.
TokyoDatetime = Annotated[datetime, BeforeValidator(_tokyo)]


def _typed_day(value: date) -> date:
    if (why := out_of_range(value)) is not None:
        raise ValueError(f"out of range ({why})")
    return value


# A calendar day as a person gives it (a due date, a day of publication).
Day = Annotated[date, AfterValidator(_typed_day)]

# The number of an incident's prevention measure or 甲's instruction, as a person gives it.
MAX_NUMBER = 10**6
Number = Annotated[int, Field(ge=1, le=MAX_NUMBER)]


def check_number(number: int) -> int:
    """`number` if it can name a measure or an instruction; refused (naming `number`) if not."""
    if not 1 <= number <= MAX_NUMBER:
        raise BadInput("number", f"must be between 1 and {MAX_NUMBER}")
    return number


def parse(model: type[M], data: dict[str, Any]) -> M:
    """`data` as `model`, or the first problem as a refusal naming its field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "input"
        raise BadInput(field, problem_text(error)) from None
