"""Running one use case the way every surface does: its own session, all or nothing.

The CLI, the web app and the flows call services through these two functions, so none of them
opens a session or touches a table itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from jikoflow.models.db import close_engines, reading, transaction

T = TypeVar("T")


def act(url: str, service: Callable[..., T], /, **kwargs: Any) -> T:
    """Run a use case that changes something, in one transaction that commits on success."""
    with transaction(url) as session:
        return service(session, **kwargs)


def read(url: str, service: Callable[..., T], /, **kwargs: Any) -> T:
    """Run a use case that only reads."""
    with reading(url) as session:
        return service(session, **kwargs)


def close_connections() -> None:
    """Close the database connections this process opened (before it exits)."""
    close_engines()
