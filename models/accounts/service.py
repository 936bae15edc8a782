"""The operator's acts on accounts (passwords, locks, TOTP reset, API tokens) and resolving an
API token to the person it acts for. Every act is audited on the `accounts` chain.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, delete, select

from jikoflow.models.access import Principal, Via, person, require_operator
from jikoflow.models.accounts.passwords import hash_password
from jikoflow.models.accounts.rules import (
    API_TOKEN_PREFIX,
    digest,
    new_api_token,
    password_problem,
    token_name_problem,
)
from jikoflow.models.accounts.schemas import AccountView, PersonRef, TokenCreated, TokenView
from jikoflow.models.accounts.tables import ApiToken, Credential, WebSession
from jikoflow.models.audit.service import record_event
from jikoflow.models.errors import BadInput, NotFound
from jikoflow.models.parties.tables import Organization, Person
from jikoflow.models.types import utcnow

ACCOUNTS_CHAIN = "accounts"
# Events of a chain are numbered in order: on PostgreSQL, concurrent sign-ins take their turn
# on this transaction lock instead of colliding on the next number (SQLite has one writer).
_CHAIN_LOCK = int.from_bytes(hashlib.sha256(ACCOUNTS_CHAIN.encode()).digest()[:8], "big") >> 1
# A token's last use is written at most this often (a busy client would otherwise write on
# every request).
LAST_USE_RESOLUTION_SECONDS = 60


def audit(session: Session, action: str, actor: str | None, at: datetime, **detail: Any) -> None:
    """Append one event to the accounts chain."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    record_event(session, ACCOUNTS_CHAIN, action, actor=actor, at=at, detail=detail)


def _person(session: Session, person_id: str) -> Person:
    found = session.get(Person, person_id)
    if found is None:
        raise NotFound("person", f"unknown person {person_id!r}")
    return found


def whoami(session: Session, *, actor: Principal) -> PersonRef:
    """The person acting (a signed-in person or an API token's owner)."""
    if actor.person_id is None:
        raise NotFound("person", "the operator is not a person")
    found = _person(session, actor.person_id)
    org = session.get(Organization, found.org_id)
    return PersonRef(
        id=found.id,
        name=found.name,
        org=found.org_id,
        org_name=org.name if org is not None else found.org_id,
        role=found.role,
    )


def credential_of(session: Session, person_id: str) -> Credential:
    """The person's credential row, created empty when they have none yet."""
    found = session.get(Credential, person_id)
    if found is None:
        found = Credential(person_id=person_id)
        session.add(found)
    return found


def end_sessions(session: Session, person_id: str) -> None:
    """Sign the person out of every browser."""
    session.execute(delete(WebSession).where(col(WebSession.person_id) == person_id))


def account_view(session: Session, person_id: str) -> AccountView:
    """A person's sign-in state."""
    _person(session, person_id)
    cred = session.get(Credential, person_id) or Credential(person_id=person_id)
    return AccountView(
        person=person_id,
        has_password=cred.password_hash is not None,
        locked=cred.locked_at is not None,
        locked_until=cred.locked_until,
        failed_count=cred.failed_count,
        totp_enabled=cred.totp_enabled_at is not None,
    )


def set_password(
    session: Session,
    *,
    actor: Principal,
    person_id: str,
    password: str,
    now: datetime | None = None,
) -> AccountView:
    """Give a person a (new) password; their open sessions end and past failures are forgotten."""
    require_operator(actor)
    moment = now or utcnow()
    _person(session, person_id)
    problem = password_problem(person_id, password)
    if problem is not None:
        raise BadInput("password", problem)
    cred = credential_of(session, person_id)
    cred.password_hash = hash_password(password)
    cred.password_set_at = moment
    cred.failed_count = 0
    cred.locked_until = None
    end_sessions(session, person_id)
    audit(session, "password_set", actor.actor, moment, person=person_id)
    session.flush()
    return account_view(session, person_id)


def lock_person(
    session: Session, *, actor: Principal, person_id: str, now: datetime | None = None
) -> AccountView:
    """Refuse every sign-in and API token of a person until unlocked; their sessions end."""
    require_operator(actor)
    moment = now or utcnow()
    _person(session, person_id)
    cred = credential_of(session, person_id)
    if cred.locked_at is None:
        cred.locked_at = moment
        end_sessions(session, person_id)
        audit(session, "locked", actor.actor, moment, person=person_id)
    session.flush()
    return account_view(session, person_id)


def unlock_person(
    session: Session, *, actor: Principal, person_id: str, now: datetime | None = None
) -> AccountView:
    """Lift the operator's lock and any back-off; failures are forgotten."""
    require_operator(actor)
    moment = now or utcnow()
    _person(session, person_id)
    cred = credential_of(session, person_id)
    if cred.locked_at is not None or cred.locked_until is not None or cred.failed_count:
        cred.locked_at = None
        cred.locked_until = None
        cred.failed_count = 0
        audit(session, "unlocked", actor.actor, moment, person=person_id)
    session.flush()
    return account_view(session, person_id)


def reset_totp(
    session: Session, *, actor: Principal, person_id: str, now: datetime | None = None
) -> AccountView:
    """Remove a person's TOTP (a lost phone); they enrol again at their next sign-in if needed."""
    require_operator(actor)
    moment = now or utcnow()
    _person(session, person_id)
    cred = credential_of(session, person_id)
    if cred.totp_secret is not None:
        cred.totp_secret = None
        cred.totp_enabled_at = None
        cred.totp_last_step = None
        end_sessions(session, person_id)
        audit(session, "totp_reset", actor.actor, moment, person=person_id)
    session.flush()
    return account_view(session, person_id)


def _token_view(row: ApiToken) -> TokenView:
    assert row.id is not None
    return TokenView(
        id=row.id,
        person=row.person_id,
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def create_api_token(
    session: Session,
    *,
    actor: Principal,
    person_id: str,
    name: str = "api",
    now: datetime | None = None,
) -> TokenCreated:
    """A new API token acting as the person; its value is returned here and never again."""
    require_operator(actor)
    moment = now or utcnow()
    _person(session, person_id)
    problem = token_name_problem(name)
    if problem is not None:
        raise BadInput("name", problem)
    token = new_api_token()
    row = ApiToken(person_id=person_id, name=name.strip(), digest=digest(token), created_at=moment)
    session.add(row)
    session.flush()
    assert row.id is not None
    audit(
        session,
        "token_created",
        actor.actor,
        moment,
        person=person_id,
        token_id=row.id,
        name=row.name,
    )
    return TokenCreated(id=row.id, person=person_id, name=row.name, token=token)


def list_api_tokens(session: Session, *, actor: Principal, person_id: str) -> list[TokenView]:
    """A person's API tokens, oldest first (names and dates, never values)."""
    require_operator(actor)
    _person(session, person_id)
    rows = session.exec(
        select(ApiToken).where(ApiToken.person_id == person_id).order_by(col(ApiToken.id))
    )
    return [_token_view(r) for r in rows]


def revoke_api_token(
    session: Session, *, actor: Principal, token_id: int, now: datetime | None = None
) -> TokenView:
    """Revoke an API token at once; revoking it again changes nothing."""
    require_operator(actor)
    moment = now or utcnow()
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound("id", f"unknown token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = moment
        session.add(row)
        audit(
            session,
            "token_revoked",
            actor.actor,
            moment,
            person=row.person_id,
            token_id=token_id,
        )
        session.flush()
    return _token_view(row)


def authenticate_api_token(
    session: Session, *, token: str, now: datetime | None = None
) -> Principal | None:
    """The person an API token acts for, or None (unknown, revoked, or the person is locked)."""
    moment = now or utcnow()
    if not token.startswith(API_TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.exec(select(ApiToken).where(ApiToken.digest == digest(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    cred = session.get(Credential, row.person_id)
    if cred is not None and cred.locked_at is not None:
        return None
    last = row.last_used_at
    if last is None or (moment - last).total_seconds() >= LAST_USE_RESOLUTION_SECONDS:
        row.last_used_at = moment
        session.add(row)
        session.flush()
    return person(row.person_id, Via.API)


def authenticate_slack_user(session: Session, *, slack_user: str) -> Principal | None:
    """The person a Slack user id belongs to (the parties file's `slack_user`), acting through
    Slack; None when no one, or more than one person, has it, or the person is locked."""
    found = session.exec(select(Person.id).where(Person.slack_user == slack_user)).all()
    if len(found) != 1:
        return None
    cred = session.get(Credential, found[0])
    if cred is not None and cred.locked_at is not None:
        return None
    return person(found[0], Via.SLACK)
