"""Read models of accounts: what the CLI prints and the portal shows (never a secret, except a
new API token once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from jikoflow.models.enums import Role, SessionStage
from jikoflow.models.schemas import ReadModel


class AccountView(ReadModel):
    """A person's sign-in state."""

    person: str
    has_password: bool
    locked: bool  # by the operator, until unlocked
    locked_until: datetime | None  # back-off after failed attempts
    failed_count: int
    totp_enabled: bool


class PersonRef(ReadModel):
    """Who a person is: id, name, organisation and role."""

    id: str
    name: str
    org: str
    org_name: str
    role: Role


class TokenCreated(ReadModel):
    """A new API token: the only time its value is shown."""

    id: int
    person: str
    name: str
    token: str


class TokenView(ReadModel):
    """An API token as listed (never its value)."""

    id: int
    person: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class SignInOutcome(StrEnum):
    """Where a sign-in attempt leads."""

    SIGNED_IN = "signed_in"
    SECOND_FACTOR = "second_factor"  # ask for the TOTP code next
    ENROL = "enrol"  # enrol TOTP next (the organisation requires it)
    REFUSED = "refused"  # said the same way whatever the reason, so nothing is revealed
    RESTART = "restart"  # the half-finished sign-in ended (expired, or too many wrong codes)


@dataclass(frozen=True)
class SignIn:
    """The result of a sign-in step; `token` is the new session cookie's value, if any."""

    outcome: SignInOutcome
    token: str | None = None


@dataclass(frozen=True)
class SessionView:
    """The person behind a live web session."""

    person_id: str
    name: str
    org_id: str
    org_name: str
    role: Role
    stage: SessionStage
    signed_in_at: datetime
    totp_enabled: bool


@dataclass(frozen=True)
class Enrolment:
    """A TOTP secret being enrolled: its QR code, and the secret to type by hand."""

    secret: str
    uri: str
    qr_svg: str
