"""Idempotent declarations: a declaration sent again with the same key (`declare --key`, the
API's `Idempotency-Key`) returns the incident the first one opened instead of a duplicate."""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from jikoflow.models.access import Principal
from jikoflow.models.errors import BadInput, Conflict
from jikoflow.models.incidents.schemas import DeclareInput
from jikoflow.models.incidents.tables import DeclarationKey

MAX_KEY = 200


def checked_key(key: str) -> str:
    """A key of 1 to 200 visible ASCII characters (what HTTP headers carry)."""
    if not 1 <= len(key) <= MAX_KEY or not all("!" <= c <= "~" for c in key):
        raise BadInput("key", f"must be 1 to {MAX_KEY} visible ASCII characters")
    return key


def input_digest(data: DeclareInput) -> str:
    """What makes two declarations the same: every field of the parsed input."""
    return hashlib.sha256(data.model_dump_json().encode()).hexdigest()


def lock_key(session: Session, actor: Principal, key: str) -> None:
    """On PostgreSQL, retries racing with one key take turns (SQLite has one writer)."""
    if session.get_bind().dialect.name == "postgresql":
        name = f"declare\x00{actor.actor}\x00{key}".encode()
        number = int.from_bytes(hashlib.sha256(name).digest()[:8], "big") >> 1
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": number})


def earlier(
    session: Session, actor: Principal, key: str, data: DeclareInput
) -> DeclarationKey | None:
    """The declaration already made with `key`, if any; refused when its input differs."""
    found = session.get(DeclarationKey, (actor.actor, key))
    if found is not None and found.digest != input_digest(data):
        raise Conflict(
            "key", f"was used for another declaration ({found.incident_id}); use a new key"
        )
    return found


def remember(
    session: Session,
    actor: Principal,
    key: str,
    data: DeclareInput,
    *,
    incident_id: str,
    violations: list[str],
    at: datetime,
) -> None:
    """Keep the key with the incident it opened."""
    session.add(
        DeclarationKey(
            actor=actor.actor,
            key=key,
            digest=input_digest(data),
            incident_id=incident_id,
            violations=violations,
            at=at,
        )
    )
