"""Every table of the application on one SQLAlchemy MetaData (for migrations and foreign keys)."""

from __future__ import annotations

from sqlmodel import SQLModel

from jikoflow.drills import tables as _drills  # noqa: F401
from jikoflow.models.audit import tables as _audit  # noqa: F401
from jikoflow.models.facts import tables as _facts  # noqa: F401
from jikoflow.models.incidents import tables as _incidents  # noqa: F401
from jikoflow.models.outbox import tables as _outbox  # noqa: F401
from jikoflow.models.parties import tables as _parties  # noqa: F401
from jikoflow.models.response import tables as _response  # noqa: F401

metadata = SQLModel.metadata
