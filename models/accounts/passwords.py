"""Password hashing with Argon2id (argon2-cffi, RFC 9106 parameters)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # Argon2id, t=3, m=64 MiB, p=4: RFC 9106's second recommendation


def hash_password(password: str) -> str:
    """A salted Argon2id hash of `password`."""
    return _hasher.hash(password)


def password_matches(stored: str, password: str) -> bool:
    """Whether `password` is the one `stored` was made from."""
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether `stored` was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored)


@cache
def _decoy() -> str:
    return _hasher.hash("a password no account has")


def spend_like_a_check(password: str) -> None:
    """Take as long as a real check, so a missing account answers no faster than a wrong
    password (the answer would reveal which person ids exist)."""
    password_matches(_decoy(), password)
