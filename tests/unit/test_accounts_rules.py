"""The rules of signing in: back-off, passwords, session expiry, tokens, TOTP codes, hashing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from jikoflow.models.accounts import totp
from jikoflow.models.accounts.passwords import hash_password, needs_rehash, password_matches
from jikoflow.models.accounts.rules import (
    API_TOKEN_PREFIX,
    SessionLimits,
    digest,
    lockout_after,
    new_api_token,
    new_session_token,
    password_problem,
    session_alive,
    token_name_problem,
)
from jikoflow.models.enums import SessionStage

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def test_the_back_off_starts_at_the_fifth_failure_and_doubles_to_an_hour() -> None:
    minutes = [lockout_after(n) for n in range(1, 14)]
    assert minutes[:4] == [None] * 4
    assert [m // timedelta(minutes=1) for m in minutes[4:] if m] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert lockout_after(10_000) == timedelta(hours=1)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "must be at least 12 characters"),
        ("x" * 257, "must be at most 256 characters"),
        ("twelve chars\x00", "must not contain control characters"),
        ("aaaaaaaaaaaaaaaa", "is too easy to guess"),
        ("WATANABE-1234"[:8] * 2, None),
        ("watanabe", "must be at least 12 characters"),
        ("パスワードは十二文字以上です", None),
    ],
)
def test_password_rules(password: str, problem: str | None) -> None:
    assert password_problem("watanabe", password) == problem


def test_a_password_equal_to_the_person_id_is_refused() -> None:
    assert password_problem("watanabe-taro", "Watanabe-Taro") == "is too easy to guess"


def test_sessions_expire_when_idle_or_old_and_a_half_sign_in_soon() -> None:
    limits = SessionLimits()
    signed = SessionStage.SIGNED_IN
    assert session_alive(limits, signed, T0, T0 + timedelta(minutes=10), T0 + timedelta(minutes=39))
    assert not session_alive(limits, signed, T0, T0, T0 + timedelta(minutes=30))
    late = T0 + timedelta(hours=11, minutes=59)
    assert session_alive(limits, signed, T0, late, late + timedelta(seconds=59))
    assert not session_alive(limits, signed, T0, late, T0 + timedelta(hours=12))
    for stage in (SessionStage.SECOND_FACTOR, SessionStage.ENROL):
        assert session_alive(limits, stage, T0, T0, T0 + timedelta(minutes=9, seconds=59))
        assert not session_alive(limits, stage, T0, T0, T0 + timedelta(minutes=10))


def test_tokens_are_random_recognisable_and_stored_as_a_digest() -> None:
    tokens = {new_api_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(
        t.startswith(API_TOKEN_PREFIX) and len(t) == len(API_TOKEN_PREFIX) + 43 for t in tokens
    )
    assert len({new_session_token() for _ in range(50)}) == 50
    one = next(iter(tokens))
    assert digest(one) == digest(one)
    assert len(digest(one)) == 64
    assert one not in digest(one)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("nightly", None),
        ("監視", None),
        (" ", "must not be empty"),
        ("a\u202eb", "must not contain control characters"),
        ("n" * 101, "must be at most 100 characters"),
    ],
)
def test_token_names(name: str, problem: str | None) -> None:
    assert token_name_problem(name) == problem


def test_a_code_counts_in_its_window_with_a_step_of_drift_and_only_once() -> None:
    # A fixed secret: with a new one each run, the codes of two steps in the window are the same
    # six digits now and then (a few times in a million), and the step found is the earlier one.
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    now = T0 + timedelta(seconds=15)
    step = int(now.timestamp()) // 30
    code = totp.code_at(secret, now)

    assert totp.matching_step(secret, code, now, None) == step
    assert totp.matching_step(secret, code[:3] + " " + code[3:], now, None) == step
    assert totp.matching_step(secret, code, now + timedelta(seconds=30), None) == step
    assert totp.matching_step(secret, code, now - timedelta(seconds=30), None) == step
    assert totp.matching_step(secret, code, now + timedelta(seconds=60), None) is None
    assert totp.matching_step(secret, code, now, step) is None  # used already
    assert totp.matching_step(secret, "12345", now, None) is None
    assert totp.matching_step(secret, "１２３４５６", now, None) is None  # full-width digits
    assert totp.matching_step(secret, "abcdef", now, None) is None


def test_the_enrolment_qr_code_is_plain_svg_of_the_otpauth_uri() -> None:
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "watanabe")
    assert (
        uri
        == "otpauth://totp/jikoflow:watanabe?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=jikoflow"
    )
    svg = totp.qr_svg(uri, "jikoflow TOTP")
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert "style" not in svg
    assert "script" not in svg


def test_passwords_are_argon2id_hashes_upgraded_from_weaker_parameters() -> None:
    stored = hash_password("a long enough password")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert "a long enough password" not in stored
    assert password_matches(stored, "a long enough password")
    assert not password_matches(stored, "a long enough passwore")
    assert not password_matches("not a hash", "a long enough password")
    assert not needs_rehash(stored)
    weaker = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    assert needs_rehash(weaker.hash("a long enough password"))
