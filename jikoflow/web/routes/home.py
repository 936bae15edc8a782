"""The home page, the health check and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from jikoflow.database import reachable
from jikoflow.models.enums import Lang
from jikoflow.web.deps import Config, SignedIn, page_router
from jikoflow.web.i18n import LANG_COOKIE
from jikoflow.web.security import safe_next
from jikoflow.web.templating import render

router = page_router()


@router.get("/")
def home(request: Request, who: SignedIn) -> Response:
    """The landing page after sign-in."""
    return render(request, "home.html.j2", visitor=who)


@router.get("/healthz")
def healthz(config: Config) -> Response:
    """200 when the web app can reach its database, 503 when it cannot."""
    if not reachable(config.database_url):
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


@router.get("/lang/{code}")
def switch_language(
    code: str, config: Config, next_path: Annotated[str, Query(alias="next")] = "/"
) -> Response:
    """Show the portal in Japanese (`ja`) or English (`en`) from now on."""
    response = RedirectResponse(safe_next(next_path, sign_in_pages=True), status_code=303)
    chosen = Lang.EN if code == Lang.EN.value else Lang.JA
    response.set_cookie(
        LANG_COOKIE,
        chosen.value,
        max_age=365 * 24 * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=config.https,
    )
    return response
