"""The JSON API under `/api/v1`: every route behind a bearer token (`users token`)."""

from __future__ import annotations

from jikoflow.models.accounts.schemas import PersonRef
from jikoflow.models.accounts.service import whoami
from jikoflow.web.deps import ApiCaller, Db, api_router

router = api_router()


@router.get("/me", response_model=PersonRef, summary="The person the token acts for")
def me(db: Db, caller: ApiCaller) -> PersonRef:
    """The person, organisation and role behind the bearer token."""
    return whoami(db, actor=caller)
