"""Signing in to the portal: password, then TOTP when enrolled or required; web sessions with
idle and absolute expiry, a new id at every step of sign-in, and sign-out.

Every refusal looks the same to the browser (`SignInOutcome.REFUSED`); the audit trail keeps
the reason. Failed attempts count towards a back-off that doubles (`rules.lockout_after`).
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session, col, delete, or_

from jikoflow.models.accounts import totp
from jikoflow.models.accounts.passwords import (
    hash_password,
    needs_rehash,
    password_matches,
    spend_like_a_check,
)
from jikoflow.models.accounts.rules import (
    SessionLimits,
    digest,
    lockout_after,
    new_session_token,
    session_alive,
)
from jikoflow.models.accounts.schemas import Enrolment, SessionView, SignIn, SignInOutcome
from jikoflow.models.accounts.service import audit, credential_of
from jikoflow.models.accounts.tables import Credential, WebSession
from jikoflow.models.enums import SessionStage
from jikoflow.models.errors import BadInput, Conflict
from jikoflow.models.parties.tables import Organization, Person
from jikoflow.models.policy.service import organization_policy

REFUSED = SignIn(SignInOutcome.REFUSED)
RESTART = SignIn(SignInOutcome.RESTART)
# Person ids are slugs (the parties file says so); anything else names no one, and is never
# sent to the database (PostgreSQL refuses a NUL character outright).
_PERSON_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")


def sign_in(
    session: Session,
    *,
    username: str,
    password: str,
    now: datetime,
    limits: SessionLimits,
    client: str | None = None,
) -> SignIn:
    """Check a person id and password; on success a new session (maybe awaiting TOTP)."""
    found = session.get(Person, username) if _PERSON_ID.fullmatch(username) else None
    cred = session.get(Credential, username) if found is not None else None
    if found is None or cred is None or cred.password_hash is None:
        spend_like_a_check(password)
        reason = "unknown_person" if found is None else "no_password"
        _failed(session, found.id if found else None, reason, now, client)
        return REFUSED
    if cred.locked_at is not None or (cred.locked_until is not None and now < cred.locked_until):
        spend_like_a_check(password)
        _failed(session, cred.person_id, "locked", now, client)
        return REFUSED
    if not password_matches(cred.password_hash, password):
        _count_failure(session, cred, "password", now, client)
        return REFUSED
    if needs_rehash(cred.password_hash):
        cred.password_hash = hash_password(password)
    if cred.totp_enabled_at is not None:
        # Failures are forgotten only once the code is right too: knowing the password
        # must not buy fresh guesses at the code.
        stage = SessionStage.SECOND_FACTOR
    elif organization_policy(session, found.org_id).require_totp:
        stage = SessionStage.ENROL
        _clear_failures(cred)
    else:
        stage = SessionStage.SIGNED_IN
        _clear_failures(cred)
    session.add(cred)
    _purge_expired(session, now, limits)
    token = _open(session, found.id, stage, now, now)
    if stage is SessionStage.SIGNED_IN:
        audit(session, "signed_in", found.id, now, client=client, second_factor=False)
    return SignIn(SignInOutcome(stage.value), token)


def verify_second_factor(
    session: Session,
    *,
    token: str,
    code: str,
    now: datetime,
    limits: SessionLimits,
    client: str | None = None,
) -> SignIn:
    """Check the TOTP code of a session awaiting it; on success the session gets a new id."""
    pending = _live(session, token, now, limits)
    if pending is None or pending.stage is not SessionStage.SECOND_FACTOR:
        return RESTART
    cred = credential_of(session, pending.person_id)
    if cred.locked_at is not None or (cred.locked_until is not None and now < cred.locked_until):
        session.delete(pending)
        _failed(session, cred.person_id, "locked", now, client)
        return RESTART
    step = (
        totp.matching_step(cred.totp_secret, code, now, cred.totp_last_step)
        if cred.totp_secret
        else None
    )
    if step is None:
        if _count_failure(session, cred, "totp", now, client):
            session.delete(pending)  # backed off: start again from the password
            return RESTART
        return REFUSED
    cred.totp_last_step = step
    _clear_failures(cred)
    session.add(cred)
    fresh = _rotate(session, pending, now)
    audit(session, "signed_in", cred.person_id, now, client=client, second_factor=True)
    return SignIn(SignInOutcome.SIGNED_IN, fresh)


def start_enrolment(
    session: Session, *, token: str, now: datetime, limits: SessionLimits
) -> Enrolment:
    """A TOTP secret to enrol (the same one until confirmed), with its QR code."""
    current = _require(session, token, now, limits, SessionStage.ENROL, SessionStage.SIGNED_IN)
    cred = credential_of(session, current.person_id)
    if cred.totp_enabled_at is not None:
        raise Conflict("code", "TOTP is already enrolled; the operator can reset it")
    if current.totp_pending is None:
        current.totp_pending = totp.new_secret()
        session.add(current)
        session.flush()
    uri = totp.provisioning_uri(current.totp_pending, current.person_id)
    return Enrolment(current.totp_pending, uri, totp.qr_svg(uri, "jikoflow TOTP"))


def confirm_enrolment(
    session: Session,
    *,
    token: str,
    code: str,
    now: datetime,
    limits: SessionLimits,
    client: str | None = None,
) -> SignIn:
    """Enable TOTP when `code` matches the secret being enrolled; the session gets a new id."""
    current = _require(session, token, now, limits, SessionStage.ENROL, SessionStage.SIGNED_IN)
    cred = credential_of(session, current.person_id)
    if cred.totp_enabled_at is not None:
        raise Conflict("code", "TOTP is already enrolled; the operator can reset it")
    secret = current.totp_pending
    step = totp.matching_step(secret, code, now, None) if secret else None
    if secret is None or step is None:
        raise BadInput("code", "the code does not match; check the phone's clock and try again")
    cred.totp_secret = secret
    cred.totp_enabled_at = now
    cred.totp_last_step = step
    session.add(cred)
    fresh = _rotate(session, current, now)
    audit(session, "totp_enrolled", cred.person_id, now, client=client)
    return SignIn(SignInOutcome.SIGNED_IN, fresh)


def resolve_session(
    session: Session, *, token: str, now: datetime, limits: SessionLimits, touch: bool = True
) -> SessionView | None:
    """The person behind a session cookie at `now`, or None (unknown, expired, locked);
    `touch=False` for what a page does by itself (polling), which is not the person's activity
    and must not keep an idle session alive."""
    current = _live(session, token, now, limits)
    if current is None:
        return None
    cred = session.get(Credential, current.person_id)
    found = session.get(Person, current.person_id)
    if found is None or cred is None or cred.locked_at is not None:
        session.delete(current)
        return None
    if touch and now - current.last_seen_at >= limits.touch_every:
        current.last_seen_at = now
        session.add(current)
    org = session.get(Organization, found.org_id)
    return SessionView(
        person_id=found.id,
        name=found.name,
        org_id=found.org_id,
        org_name=org.name if org is not None else found.org_id,
        role=found.role,
        stage=current.stage,
        signed_in_at=current.signed_in_at,
        totp_enabled=cred.totp_enabled_at is not None,
    )


def sign_out(session: Session, *, token: str, now: datetime, client: str | None = None) -> None:
    """End a web session (nothing happens for an unknown one)."""
    current = session.get(WebSession, digest(token))
    if current is not None:
        session.delete(current)
        audit(session, "signed_out", current.person_id, now, client=client)


def _open(
    session: Session, person_id: str, stage: SessionStage, signed_in_at: datetime, now: datetime
) -> str:
    token = new_session_token()
    session.add(
        WebSession(
            id=digest(token),
            person_id=person_id,
            stage=stage,
            signed_in_at=signed_in_at,
            last_seen_at=now,
        )
    )
    session.flush()
    return token


def _rotate(session: Session, current: WebSession, now: datetime) -> str:
    # A new id at each step of sign-in: an id planted or seen before sign-in is worth nothing.
    session.delete(current)
    session.flush()
    return _open(session, current.person_id, SessionStage.SIGNED_IN, now, now)


def _live(session: Session, token: str, now: datetime, limits: SessionLimits) -> WebSession | None:
    if not token or len(token) > 200:
        return None
    current = session.get(WebSession, digest(token))
    if current is None:
        return None
    if not session_alive(limits, current.stage, current.signed_in_at, current.last_seen_at, now):
        session.delete(current)
        return None
    return current


def _require(
    session: Session, token: str, now: datetime, limits: SessionLimits, *stages: SessionStage
) -> WebSession:
    current = _live(session, token, now, limits)
    if current is None or current.stage not in stages:
        raise BadInput("session", "sign in again")
    return current


def _clear_failures(cred: Credential) -> None:
    cred.failed_count = 0
    cred.locked_until = None


def _count_failure(
    session: Session, cred: Credential, reason: str, now: datetime, client: str | None
) -> bool:
    """Count a failed attempt; True when it starts a back-off."""
    cred.failed_count += 1
    lock = lockout_after(cred.failed_count)
    cred.locked_until = now + lock if lock is not None else None
    session.add(cred)
    _failed(
        session,
        cred.person_id,
        reason,
        now,
        client,
        failures=cred.failed_count,
        locked_until=cred.locked_until.isoformat() if cred.locked_until else None,
    )
    return lock is not None


def _failed(
    session: Session,
    person_id: str | None,
    reason: str,
    now: datetime,
    client: str | None,
    **extra: object,
) -> None:
    # An unknown user name is not recorded: people type their password there by mistake.
    audit(
        session,
        "sign_in_failed",
        None,
        now,
        person=person_id,
        reason=reason,
        client=client,
        **extra,
    )


def _purge_expired(session: Session, now: datetime, limits: SessionLimits) -> None:
    session.execute(
        delete(WebSession).where(
            or_(
                col(WebSession.last_seen_at) < now - limits.idle,
                col(WebSession.signed_in_at) < now - limits.absolute,
            )
        )
    )
