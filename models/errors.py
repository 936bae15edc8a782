"""Refusals the services raise; every surface words them its own way (DESIGN.md §3).

A refusal names the *field* it is about (`summary`, `discovered_at`, `id`, or a place in a
file such as `parties.yaml: contracts[0].client`); the CLI turns `summary` into `--summary`,
the API into a JSON pointer. The kind of refusal decides the answer: bad input (exit 2 / 422),
an id the caller may not see (404, its existence not revealed), an act the caller may see but
not do (403), or an act the current state does not allow (409).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class BadInput(Exception):
    """Input refused: `field` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(BadInput):
    """An id that names nothing the caller may see."""


class Forbidden(BadInput):
    """The caller may see the subject but may not do this to it (DESIGN.md §8)."""


class Conflict(BadInput):
    """The subject's state does not allow this now (closed, not submitted, already done)."""


def problem_text(error: Mapping[str, Any]) -> str:
    """A validation problem (one of pydantic's `errors()`) in plain words, without pydantic's
    `Value error, ` before the message a validator gave."""
    return str(error["msg"]).removeprefix("Value error, ")
