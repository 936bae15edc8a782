"""The app factory: pages, the JSON API mounted at `/api/v1`, static files, and the layers
every response passes (HEAD as GET, security headers, a last catch of failures)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from jikoflow.models.accounts.rules import SessionLimits
from jikoflow.models.settings import Settings, secret_key
from jikoflow.models.types import utcnow
from jikoflow.notifications.delivery import deliver
from jikoflow.web.config import SIGN_IN_RATE, WebConfig
from jikoflow.web.courier import Courier
from jikoflow.web.errors import (
    CatchAll,
    failure_json,
    failure_page,
    install_api_handlers,
    install_page_handlers,
)
from jikoflow.web.ratelimit import SignInLimiter
from jikoflow.web.routes import (
    account,
    api,
    api_decisions,
    api_drills,
    api_incidents,
    api_records,
    api_response,
    auth,
    drills,
    home,
    incident_acts,
    incidents,
    slack,
)
from jikoflow.web.security import HeadAsGet, SecurityHeaders

STATIC = Path(__file__).resolve().parent / "static"
PAGE_ROUTERS = [
    auth.router,
    account.router,
    home.router,
    incidents.router,
    incident_acts.router,
    drills.router,
]
# One router per domain: a new domain's API is a module here and one line in this list.
API_ROUTERS = [
    api.router,
    api_incidents.router,
    api_response.router,
    api_records.router,
    api_decisions.router,
    api_drills.router,
]
API_PREFIX = "/api/v1"


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    limits: SessionLimits | None = None,
    sign_in_rate: str = SIGN_IN_RATE,
) -> FastAPI:
    """The portal and the API for `settings` (`JIKOFLOW_SECRET_KEY` signs; generated into
    `JIKOFLOW_HOME` when unset)."""
    config = WebConfig(
        database_url=settings.database_url,
        secret_key=secret_key(settings),
        base_url=settings.base_url,
        limits=limits or SessionLimits(),
        sign_in_rate=sign_in_rate,
        clock=clock,
    )
    app = FastAPI(title="jikoflow", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.config = config
    app.state.settings = settings
    app.state.limiter = SignInLimiter(config.sign_in_rate)
    app.state.courier = courier = Courier(lambda subjects: deliver(settings, subjects=subjects))
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.include_router(slack.router)  # Slack signs its requests: no sign-in, no form token
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount(API_PREFIX, create_api(config, courier))
    install_page_handlers(app)
    app.add_middleware(CatchAll, respond=failure_page)
    app.add_middleware(SecurityHeaders, https=config.https)
    app.add_middleware(HeadAsGet)
    return app


def create_api(config: WebConfig, courier: Courier) -> FastAPI:
    """The JSON API (DESIGN.md §7); its OpenAPI document is at `/api/v1/openapi.json`."""
    from jikoflow import __version__

    api = FastAPI(
        title="jikoflow API",
        version=__version__,
        description="Article 24 incident response. Authorization: Bearer TOKEN "
        "(from `jikoflow users token PERSON`).",
        openapi_url="/openapi.json",
        docs_url=None,  # the interactive pages load scripts from a CDN
        redoc_url=None,
    )
    api.state.config = config
    api.state.courier = courier
    for router in API_ROUTERS:
        api.include_router(router)
    install_api_handlers(api)
    api.add_middleware(CatchAll, respond=failure_json)
    return api
