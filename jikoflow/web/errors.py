"""How refusals and failures answer: pages that reveal nothing for the portal, JSON naming the
field for the API (DESIGN.md §7: 401, 403, 404, 409, 422)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jikoflow.models.enums import SessionStage
from jikoflow.models.errors import BadInput, Conflict, Forbidden, NotFound, problem_text
from jikoflow.web.deps import CsrfRefused, SignInRequired
from jikoflow.web.templating import render

log = logging.getLogger("jikoflow.web")


_EXPLAINED = {
    "error_404_title": "error_404",
    "error_403_title": "error_403",
    "error_csrf_title": "error_csrf",
    "error_500_title": "error_500",
}


def _page(request: Request, status: int, title: str, message: str | None) -> Response:
    return render(
        request,
        "error.html.j2",
        status=status,
        title_key=title,
        message=message,
        message_key=_EXPLAINED.get(title),
        here="/",  # an error page does not repeat the address asked for
    )


def _refusal_status(exc: BadInput) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, Conflict):
        return 409
    return 422


async def page_refused(request: Request, exc: Exception) -> Response:
    """A service's refusal on a page: 404 and 403 say nothing of the subject."""
    assert isinstance(exc, BadInput)
    status = _refusal_status(exc)
    if status == 404:
        return _page(request, 404, "error_404_title", None)
    if status == 403:
        return _page(request, 403, "error_403_title", None)
    return _page(request, status, f"error_{status}_title", exc.message)


async def page_http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (an unknown path, a wrong method) as pages."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return _page(request, 404, "error_404_title", None)
    title = f"error_{exc.status_code}_title"
    response = _page(
        request,
        exc.status_code,
        title if exc.status_code in (403, 409, 422, 429) else "error_500_title",
        None,
    )
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def page_invalid(request: Request, exc: Exception) -> Response:
    """A malformed request to a page (a form field of the wrong kind)."""
    return _page(request, 422, "error_422_title", None)


async def page_csrf_refused(request: Request, exc: Exception) -> Response:
    """A form without its token: refused, nothing changed."""
    return _page(request, 403, "error_csrf_title", None)


async def sign_in_first(request: Request, exc: Exception) -> Response:
    """To sign-in (or its next step), coming back to the page asked for afterwards."""
    assert isinstance(exc, SignInRequired)
    target = (
        {
            SessionStage.SECOND_FACTOR: "/login/totp",
            SessionStage.ENROL: "/account/totp",
        }.get(exc.stage, "/login")
        if exc.stage
        else "/login"
    )
    return RedirectResponse(f"{target}?{urlencode({'next': exc.next_path})}", status_code=303)


class CatchAll:
    """ASGI middleware: an unexpected failure answers 500 and stops here. The log names the
    error's type only: messages of database errors carry the values written, which may be
    incident content (DESIGN.md §5)."""

    def __init__(self, app: ASGIApp, *, respond: Callable[[Request], Response]) -> None:
        self.app = app
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            log.error(
                "%s %s failed: %s", scope.get("method"), scope.get("path"), type(exc).__name__
            )
            if not started:
                await self.respond(Request(scope))(scope, receive, send)


def failure_page(request: Request) -> Response:
    """The page of an unexpected failure."""
    return _page(request, 500, "error_500_title", None)


def failure_json(_request: Request) -> Response:
    """The API's answer to an unexpected failure."""
    return JSONResponse({"detail": "internal error"}, status_code=500)


def install_page_handlers(app: FastAPI) -> None:
    """The portal's answers to refusals and failures."""
    app.add_exception_handler(BadInput, page_refused)
    app.add_exception_handler(StarletteHTTPException, page_http_error)
    app.add_exception_handler(CsrfRefused, page_csrf_refused)
    app.add_exception_handler(SignInRequired, sign_in_first)
    app.add_exception_handler(RequestValidationError, page_invalid)


async def api_refused(request: Request, exc: Exception) -> Response:
    """A service's refusal as JSON naming the field; 404 says nothing more. A refusal of who
    acts (the caller, known by its token) or of what the address names points into no body."""
    assert isinstance(exc, BadInput)
    status = _refusal_status(exc)
    if status == 404:
        return JSONResponse({"detail": "not found"}, status_code=404)
    if exc.field == "by":  # the caller itself
        return JSONResponse({"detail": exc.message}, status_code=status)
    if exc.field == "id":  # the incident or drill of the address
        return JSONResponse({"detail": exc.message, "field": "id"}, status_code=status)
    return JSONResponse(
        {"detail": exc.message, "field": exc.field, "pointer": "/" + exc.field.replace(".", "/")},
        status_code=status,
    )


async def api_invalid(request: Request, exc: Exception) -> Response:
    """Request validation in the same shape as a service's bad input: 422 naming the field."""
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    # Malformed JSON is located by its character offset, which names no field: the body is.
    where = () if first.get("type") == "json_invalid" else first.get("loc", ())
    parts = [str(p) for p in where if p not in ("body", "query", "path", "header")]
    field = ".".join(parts) or "body"
    return JSONResponse(
        {
            "detail": problem_text(first) if "msg" in first else "invalid",
            "field": field,
            "pointer": "/" + "/".join(parts),
        },
        status_code=422,
    )


async def api_http_error(request: Request, exc: Exception) -> Response:
    """An HTTP refusal before any route ran. A body that could not be read at all (not UTF-8,
    nested past the parser's depth) is bad input like malformed JSON: 422 naming the body."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        detail = "the body could not be read as JSON"
        return JSONResponse({"detail": detail, "field": "body", "pointer": "/"}, status_code=422)
    return await http_exception_handler(request, exc)


def install_api_handlers(app: FastAPI) -> None:
    """The API's answers to refusals and failures."""
    app.add_exception_handler(BadInput, api_refused)
    app.add_exception_handler(RequestValidationError, api_invalid)
    app.add_exception_handler(StarletteHTTPException, api_http_error)
