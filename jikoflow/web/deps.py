"""What routes stand on, as `Annotated` dependencies: the database session, the signed-in
person (pages), the API caller (bearer token), the CSRF check of every form.

A page is a few lines:

    @router.get("/incidents/{incident_id}")
    def incident_page(incident_id: str, request: Request, db: Db, who: SignedIn) -> Response:
        view = incident_status(db, who.principal, incident_id=incident_id)
        return render(request, "incident.html.j2", visitor=who, incident=view)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, TypeVar

import sqlalchemy.exc
from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from jikoflow.models.access import Principal, Via, person
from jikoflow.models.accounts.schemas import SessionView
from jikoflow.models.accounts.service import authenticate_api_token
from jikoflow.models.accounts.sessions import resolve_session
from jikoflow.models.db import transaction
from jikoflow.models.enums import Lang, SessionStage
from jikoflow.models.errors import BadInput, Conflict, Forbidden, NotFound
from jikoflow.models.schemas import MAX_NUMBER
from jikoflow.web.api_docs import refusals
from jikoflow.web.config import WebConfig, config_of
from jikoflow.web.courier import Courier
from jikoflow.web.i18n import LANG_COOKIE, lang_of
from jikoflow.web.security import CSRF_FIELD, SAFE_METHODS, cookie_names, csrf_matches

T = TypeVar("T")
# Audit chains are appended by number and SQLite lets one writer in at a time: a transaction
# that lost such a race is run again.
_ATTEMPTS = 5


def get_config(request: Request) -> WebConfig:
    """The app's configuration."""
    return config_of(request.app.state)


Config = Annotated[WebConfig, Depends(get_config)]
# A prevention measure's or an instruction's number in a path; a larger one is refused (422)
# before it reaches the database.
NumberPath = Annotated[int, Path(ge=1, le=MAX_NUMBER)]


class Deliveries:
    """The incidents and drills whose queued messages go out once the request's transaction
    has committed (and not at all when it rolled back)."""

    def __init__(self) -> None:
        self.subjects: list[str] = []

    def add(self, *subjects: str | None) -> None:
        """Deliver what these incidents or drills queued, after the commit."""
        self.subjects.extend(s for s in subjects if s)


def get_courier(request: Request) -> Courier:
    """The app's background delivery of what acts queued."""
    courier: Courier = request.app.state.courier
    return courier


def after_commit(request: Request) -> Iterator[Deliveries]:
    """Hand what the request's acts queued to the courier, once their transaction committed:
    the session depends on this, so it is closed (committed) before this resumes."""
    deliveries = Deliveries()
    yield deliveries  # a refusal or failure is raised here, and nothing is sent
    get_courier(request).send(deliveries.subjects)


AfterCommit = Annotated[Deliveries, Depends(after_commit, scope="function")]


def db_session(config: Config, _deliveries: AfterCommit) -> Iterator[Session]:
    """One transaction per request: committed before the response is sent, or rolled back."""
    with transaction(config.database_url) as session:
        yield session


# scope="function": the commit happens before the response leaves, never after it.
Db = Annotated[Session, Depends(db_session, scope="function")]


def committed(config: WebConfig, work: Callable[[Session], T]) -> T:
    """Run `work` in its own transaction and commit it, again when it lost a race with another
    writer (used where a refusal must still be recorded, such as a failed sign-in)."""
    for attempt in range(_ATTEMPTS):
        try:
            with transaction(config.database_url) as session:
                return work(session)
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.OperationalError):
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def client_address(request: Request) -> str:
    """The client's address (the proxy's forwarded one when uvicorn trusts the proxy)."""
    return request.client.host if request.client else "unknown"


def browser_lang(request: Request) -> Lang:
    """The language this browser chose."""
    return lang_of(request.cookies.get(LANG_COOKIE))


class SignInRequired(Exception):
    """The page needs a signed-in person; `stage` says where the browser's sign-in stands."""

    def __init__(self, next_path: str, stage: SessionStage | None = None) -> None:
        super().__init__(next_path)
        self.next_path = next_path
        self.stage = stage


class CsrfRefused(Exception):
    """A form arrived without this browser's CSRF token."""


@dataclass(frozen=True)
class Visitor:
    """The signed-in person at the browser."""

    principal: Principal
    person: SessionView


def session_token(request: Request, config: WebConfig) -> str | None:
    """The value of this browser's session cookie."""
    return request.cookies.get(cookie_names(config)[0])


def _visitor(request: Request, db: Session, config: WebConfig, *, touch: bool) -> Visitor:
    token = session_token(request, config)
    view = (
        resolve_session(db, token=token, now=config.clock(), limits=config.limits, touch=touch)
        if token
        else None
    )
    if view is None or view.stage is not SessionStage.SIGNED_IN:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(here, view.stage if view else None)
    return Visitor(principal=person(view.person_id, Via.WEB), person=view)


def signed_in(request: Request, db: Db, config: Config) -> Visitor:
    """The signed-in person, or a redirect to sign-in that comes back here afterwards."""
    return _visitor(request, db, config, touch=True)


SignedIn = Annotated[Visitor, Depends(signed_in)]


def watching(request: Request, db: Db, config: Config) -> Visitor:
    """The signed-in person behind a page's own polling, which does not count as activity: an
    open page left alone still signs out when the session's idle time runs out."""
    return _visitor(request, db, config, touch=False)


Watching = Annotated[Visitor, Depends(watching)]


def web_principal(visitor: SignedIn) -> Principal:
    """The signed-in person as the services see them (`Principal(person_id, via=WEB)`)."""
    return visitor.principal


WebPrincipal = Annotated[Principal, Depends(web_principal)]


async def require_csrf(request: Request) -> None:
    """Refuse a form (any method but GET/HEAD/OPTIONS) without this browser's token."""
    if request.method in SAFE_METHODS:
        return
    config = config_of(request.app.state)
    session_cookie, pre_cookie = cookie_names(config)
    binding = request.cookies.get(session_cookie) or request.cookies.get(pre_cookie)
    content_type = request.headers.get("content-type", "")
    token: object = None
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        token = (await request.form()).get(CSRF_FIELD)
    if not csrf_matches(config.secret_key, binding, token):
        raise CsrfRefused()


_bearer = HTTPBearer(auto_error=False, description="An API token from `jikoflow users token`.")


def api_principal(
    db: Db,
    config: Config,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The person an `Authorization: Bearer TOKEN` acts for (`Principal(person_id, via=API)`);
    401 without a valid token."""
    found = (
        authenticate_api_token(db, token=credentials.credentials, now=config.clock())
        if credentials is not None
        else None
    )
    if found is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid API token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return found


ApiCaller = Annotated[Principal, Depends(api_principal)]


def page_router() -> APIRouter:
    """A router for pages: every form it serves is checked for its CSRF token, and nothing of
    it enters the API's OpenAPI document."""
    return APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf)])


def api_router() -> APIRouter:
    """A router for `/api/v1`: every route answers 401 without a valid bearer token."""
    return APIRouter(dependencies=[Depends(api_principal)], responses=refusals(401))


@dataclass(frozen=True)
class Refused:
    """A form's input refused by the service, to show beside the form: `status` is 409 when
    the state does not allow the act now, 422 for bad input."""

    field: str
    message: str
    status: int


def attempt(db: Session, work: Callable[[], T]) -> T | Refused:
    """Run a form's act. Input the service refused comes back as `Refused`, with everything the
    act had written undone; an unknown subject (404) or an act the person may not do (403) is
    raised, and answered as a page that says nothing more."""
    try:
        return work()
    except (NotFound, Forbidden):
        raise
    except BadInput as exc:
        db.rollback()
        return Refused(exc.field, exc.message, 409 if isinstance(exc, Conflict) else 422)
