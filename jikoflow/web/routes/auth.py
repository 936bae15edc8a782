"""Sign-in (password, then the TOTP code when enrolled) and sign-out."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Form, Query, Request
from starlette.responses import RedirectResponse, Response

from jikoflow.models.accounts.schemas import SignIn, SignInOutcome
from jikoflow.models.accounts.sessions import resolve_session, sign_in, sign_out
from jikoflow.models.accounts.sessions import verify_second_factor as verify_code
from jikoflow.models.enums import SessionStage
from jikoflow.web.config import WebConfig
from jikoflow.web.deps import Config, Db, client_address, committed, page_router, session_token
from jikoflow.web.ratelimit import SignInLimiter
from jikoflow.web.security import clear_cookie, cookie_names, safe_next, set_cookie
from jikoflow.web.templating import render

router = page_router()
NextQuery = Annotated[str, Query(alias="next")]
NextField = Annotated[str, Form(alias="next")]


def _limited(request: Request) -> Response | None:
    """The answer when this client tried too often, else None (the attempt is counted)."""
    limiter: SignInLimiter = request.app.state.limiter
    wait = limiter.attempt(client_address(request))
    if wait is None:
        return None
    response = render(
        request,
        "error.html.j2",
        status=429,
        title_key="error_429_title",
        message=None,
        message_key="too_many",
    )
    response.headers["Retry-After"] = str(wait)
    return response


def _login_page(
    request: Request, next_path: str, *, status: int = 200, error: str | None = None
) -> Response:
    return render(
        request, "login.html.j2", status=status, next=safe_next(next_path), error_key=error
    )


def _onward(result: SignIn, next_path: str) -> str:
    """Where the browser goes after a successful step of sign-in."""
    query = urlencode({"next": safe_next(next_path)})
    if result.outcome is SignInOutcome.SECOND_FACTOR:
        return f"/login/totp?{query}"
    if result.outcome is SignInOutcome.ENROL:
        return f"/account/totp?{query}"
    return safe_next(next_path)


def _with_session(config: WebConfig, result: SignIn, target: str) -> Response:
    """Redirect with the new session cookie (the before-sign-in cookie is no longer needed)."""
    assert result.token is not None
    session_cookie, pre_cookie = cookie_names(config)
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, config, session_cookie, result.token)
    clear_cookie(response, config, pre_cookie)
    return response


@router.get("/login")
def login_form(request: Request, db: Db, config: Config, next_path: NextQuery = "/") -> Response:
    """The sign-in form (straight on when this browser is signed in already)."""
    token = session_token(request, config)
    view = (
        resolve_session(db, token=token, now=config.clock(), limits=config.limits)
        if token
        else None
    )
    if view is not None and view.stage is SessionStage.SIGNED_IN:
        return RedirectResponse(safe_next(next_path), status_code=303)
    return _login_page(request, next_path)


@router.post("/login")
def login(
    request: Request,
    config: Config,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next_path: NextField = "/",
) -> Response:
    """Check the person id and password; the refusal never says which was wrong."""
    refused = _limited(request)
    if refused is not None:
        return refused
    client = client_address(request)
    result = committed(
        config,
        lambda s: sign_in(
            s,
            username=username.strip(),
            password=password,
            now=config.clock(),
            limits=config.limits,
            client=client,
        ),
    )
    if result.outcome is SignInOutcome.REFUSED:
        return _login_page(request, next_path, status=401, error="sign_in_refused")
    return _with_session(config, result, _onward(result, next_path))


@router.get("/login/totp")
def code_form(request: Request, db: Db, config: Config, next_path: NextQuery = "/") -> Response:
    """The form for the TOTP code, after the password was accepted."""
    token = session_token(request, config)
    view = (
        resolve_session(db, token=token, now=config.clock(), limits=config.limits)
        if token
        else None
    )
    if view is None or view.stage is not SessionStage.SECOND_FACTOR:
        return RedirectResponse(f"/login?{urlencode({'next': safe_next(next_path)})}", 303)
    return render(request, "totp.html.j2", next=safe_next(next_path), error_key=None)


@router.post("/login/totp")
def code_check(
    request: Request,
    config: Config,
    code: Annotated[str, Form()] = "",
    next_path: NextField = "/",
) -> Response:
    """Check the TOTP code; the session gets a new id once it is right."""
    refused = _limited(request)
    if refused is not None:
        return refused
    token = session_token(request, config) or ""
    client = client_address(request)
    result = committed(
        config,
        lambda s: verify_code(
            s, token=token, code=code, now=config.clock(), limits=config.limits, client=client
        ),
    )
    if result.outcome is SignInOutcome.SIGNED_IN:
        return _with_session(config, result, safe_next(next_path))
    if result.outcome is SignInOutcome.RESTART:
        response = _login_page(request, next_path, status=401, error="sign_in_again")
        clear_cookie(response, config, cookie_names(config)[0])
        return response
    return render(
        request, "totp.html.j2", status=401, next=safe_next(next_path), error_key="totp_refused"
    )


@router.post("/logout")
def logout(request: Request, config: Config) -> Response:
    """Sign out: the session ends on the server, the cookie is removed."""
    token = session_token(request, config)
    if token:
        client = client_address(request)
        committed(config, lambda s: sign_out(s, token=token, now=config.clock(), client=client))
    response = RedirectResponse("/login", status_code=303)
    clear_cookie(response, config, cookie_names(config)[0])
    return response
