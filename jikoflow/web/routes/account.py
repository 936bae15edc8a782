"""The signed-in person's account page and TOTP enrolment (with its QR code)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Form, Query, Request
from starlette.responses import RedirectResponse, Response

from jikoflow.models.accounts.schemas import Enrolment
from jikoflow.models.accounts.sessions import confirm_enrolment, resolve_session, start_enrolment
from jikoflow.models.enums import SessionStage
from jikoflow.models.errors import BadInput, Conflict
from jikoflow.web.config import WebConfig
from jikoflow.web.deps import (
    Config,
    SignedIn,
    client_address,
    committed,
    page_router,
    session_token,
)
from jikoflow.web.security import cookie_names, safe_next, set_cookie
from jikoflow.web.templating import render

router = page_router()


@router.get("/account")
def account(request: Request, who: SignedIn) -> Response:
    """Who is signed in, and whether TOTP is set up."""
    return render(request, "account.html.j2", visitor=who)


def _enrolment(config: WebConfig, token: str) -> Enrolment | None:
    """The secret being enrolled, or None when TOTP is set up already."""
    try:
        return committed(
            config,
            lambda s: start_enrolment(s, token=token, now=config.clock(), limits=config.limits),
        )
    except Conflict:
        return None


def _to_sign_in(next_path: str) -> Response:
    return RedirectResponse(f"/login?{urlencode({'next': safe_next(next_path)})}", 303)


@router.get("/account/totp")
def enrol_form(
    request: Request,
    config: Config,
    next_path: Annotated[str, Query(alias="next")] = "/account",
) -> Response:
    """The QR code to scan and the form for its first code."""
    token = session_token(request, config) or ""
    stage = _stage(config, token)
    if stage not in (SessionStage.ENROL, SessionStage.SIGNED_IN):
        return _to_sign_in(next_path)
    try:
        enrolment = _enrolment(config, token)
    except BadInput:
        return _to_sign_in(next_path)
    return _enrol_page(request, stage, enrolment, next_path)


@router.post("/account/totp")
def enrol_confirm(
    request: Request,
    config: Config,
    code: Annotated[str, Form()] = "",
    next_path: Annotated[str, Form(alias="next")] = "/account",
) -> Response:
    """Enable TOTP when the first code matches; the session gets a new id."""
    token = session_token(request, config) or ""
    client = client_address(request)
    try:
        result = committed(
            config,
            lambda s: confirm_enrolment(
                s, token=token, code=code, now=config.clock(), limits=config.limits, client=client
            ),
        )
    except Conflict:
        return RedirectResponse("/account", status_code=303)
    except BadInput as exc:
        if exc.field != "code":
            return _to_sign_in(next_path)
        stage = _stage(config, token)
        return _enrol_page(
            request,
            stage,
            _enrolment(config, token),
            next_path,
            status=422,
            error_key="enrol_refused",
        )
    assert result.token is not None
    response = RedirectResponse(safe_next(next_path), status_code=303)
    set_cookie(response, config, cookie_names(config)[0], result.token)
    return response


def _stage(config: WebConfig, token: str) -> SessionStage | None:
    if not token:
        return None
    view = committed(
        config,
        lambda s: resolve_session(s, token=token, now=config.clock(), limits=config.limits),
    )
    return view.stage if view is not None else None


def _enrol_page(
    request: Request,
    stage: SessionStage | None,
    enrolment: Enrolment | None,
    next_path: str,
    *,
    status: int = 200,
    error_key: str | None = None,
) -> Response:
    return render(
        request,
        "enrol.html.j2",
        status=status,
        required=stage is SessionStage.ENROL,
        enrolment=enrolment,
        next=safe_next(next_path),
        error_key=error_key,
    )
