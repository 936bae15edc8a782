"""The web app's routers: pages (sign-in, account, home) and the JSON API."""

# The use cases' models, built before any route wraps them.
from jikoflow.drills import schemas as _drills  # noqa: F401
from jikoflow.models.incidents import schemas as _incidents  # noqa: F401
from jikoflow.models.parties import schemas as _parties  # noqa: F401
from jikoflow.models.response import schemas as _response  # noqa: F401
from jikoflow.models.schemas import build_now
from jikoflow.notifications import service as _notifications  # noqa: F401

build_now()
