"""Every table of the application on one SQLAlchemy MetaData (for migrations and foreign keys).

The transports' own tables (Slack's messages and threads, e-mail's Message-IDs) live beside
their code in `notifications/` and are registered here with the domain's.
"""

from __future__ import annotations

from sqlmodel import SQLModel

from jikoflow.drills import tables as _drills  # noqa: F401
from jikoflow.models.accounts import tables as _accounts  # noqa: F401
from jikoflow.models.audit import seal as _seal  # noqa: F401  (rows are sealed on flush)
from jikoflow.models.audit import tables as _audit  # noqa: F401
from jikoflow.models.facts import tables as _facts  # noqa: F401
from jikoflow.models.handoff import tables as _handoff  # noqa: F401
from jikoflow.models.incidents import tables as _incidents  # noqa: F401
from jikoflow.models.outbox import tables as _outbox  # noqa: F401
from jikoflow.models.parties import tables as _parties  # noqa: F401
from jikoflow.models.policy import tables as _policy  # noqa: F401
from jikoflow.models.response import tables as _response  # noqa: F401
from jikoflow.notifications import mail_tables as _mail  # noqa: F401
from jikoflow.notifications import slack_tables as _slack  # noqa: F401

metadata = SQLModel.metadata
