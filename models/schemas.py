"""What the services take and return: typed inputs and read models (pydantic), shared bits.

Inputs are the request bodies of the JSON API and what the CLI builds from its options; read
models are what `--json` prints and the API answers. `parse` turns a validation failure into
the refusal the surfaces word for themselves (the field, then what is wrong).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_serializer,
)

from jikoflow.models.errors import BadInput
from jikoflow.models.times import TOKYO

M = TypeVar("M", bound=BaseModel)


class Input(BaseModel):
    """A use case's input: unknown fields refused, strings stripped."""

    # Validators are built on first use: a command pays only for the models it uses.
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, frozen=True, defer_build=True
    )


class ReadModel(BaseModel):
    """A use case's answer; times in JSON as `datetime.isoformat()` writes them (+00:00)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    @field_serializer("*", mode="wrap", when_used="json")
    def _iso_times(self, value: Any, handler: SerializerFunctionWrapHandler) -> Any:
        return value.isoformat() if isinstance(value, datetime) else handler(value)


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
# control characters (an ANSI escape repaints a terminal) and bidi overrides are refused.
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}


def _hostile(c: str) -> bool:
    return (unicodedata.category(c) == "Cc" and c not in _ALLOWED_CONTROLS) or c in _BIDI


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    if any(_hostile(c) for c in text):
        raise ValueError("control characters (terminal escapes) are not allowed")
    return text.strip()


def _tokyo(value: Any) -> Any:
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must not be empty (an ISO 8601 time)")
        value = datetime.fromisoformat(value.strip())
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=TOKYO)
    return value


Text = Annotated[str, AfterValidator(_not_blank)]
# A time as a person gives it: ISO 8601, Asia/Tokyo when no offset is given.
TokyoDatetime = Annotated[datetime, BeforeValidator(_tokyo)]


def parse(model: type[M], data: dict[str, Any]) -> M:
    """`data` as `model`, or the first problem as a refusal naming its field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "input"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise BadInput(field, message) from None
