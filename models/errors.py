"""Errors the domain raises for input a user can correct."""

from __future__ import annotations


class BadInput(Exception):
    """Input refused: `field` names what to fix (a CLI option, a file place or an id)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(BadInput):
    """An id that names nothing."""
