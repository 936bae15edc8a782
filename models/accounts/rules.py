"""The rules of signing in, as plain functions: passwords, back-off, session expiry, tokens."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from jikoflow.models.enums import SessionStage

MIN_PASSWORD = 12
MAX_PASSWORD = 256  # Argon2 takes any length; a cap keeps one request from costing much
FREE_FAILURES = 4  # failures before the back-off starts
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(hours=1)
API_TOKEN_PREFIX = "jfk_"  # recognisable in a leaked file or a secret scanner
MAX_TOKEN_NAME = 100


@dataclass(frozen=True)
class SessionLimits:
    """How long a web session lives."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    second_factor: timedelta = timedelta(minutes=10)  # to type the code, or to enrol
    # The last-seen time is written at most this often: a read does not cost a write each time.
    touch_every: timedelta = timedelta(minutes=1)


def password_problem(person_id: str, password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD:
        return f"must be at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"must be at most {MAX_PASSWORD} characters"
    if any(unicodedata.category(c) == "Cc" for c in password):
        return "must not contain control characters"
    if password.casefold() == person_id.casefold() or len(set(password)) < 4:
        return "is too easy to guess"
    return None


def lockout_after(failures: int) -> timedelta | None:
    """How long sign-in is refused after `failures` consecutive failures: doubling, capped."""
    if failures <= FREE_FAILURES:
        return None
    doubled: timedelta = FIRST_LOCK * 2 ** min(failures - FREE_FAILURES - 1, 16)
    return min(doubled, LONGEST_LOCK)


def session_alive(
    limits: SessionLimits,
    stage: SessionStage,
    signed_in_at: datetime,
    last_seen_at: datetime,
    now: datetime,
) -> bool:
    """Whether a session is still valid at `now`."""
    if stage is not SessionStage.SIGNED_IN:
        return now - signed_in_at < limits.second_factor
    return now - last_seen_at < limits.idle and now - signed_in_at < limits.absolute


def new_session_token() -> str:
    """The random value a browser's session cookie holds."""
    return secrets.token_urlsafe(32)


def new_api_token() -> str:
    """A new API token: 256 random bits behind a recognisable prefix."""
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """What is stored of a session id or an API token (both carry 256 random bits, so a fast
    hash suffices: no one can guess their way back)."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_name_problem(name: str) -> str | None:
    """Why a token name is refused, or None."""
    if not name.strip():
        return "must not be empty"
    if len(name) > MAX_TOKEN_NAME:
        return f"must be at most {MAX_TOKEN_NAME} characters"
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        return "must not contain control characters"
    return None
