"""Password hashing with Argon2id (argon2-cffi)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Argon2id with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane): about 0.07 s per
# check on a busy two-core server, where argon2-cffi's default (64 MiB, 4 lanes) takes 0.5 s
# and lets a burst of sign-ins starve the rest of the service. Hashes made with other
# parameters are upgraded at the next sign-in.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


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
