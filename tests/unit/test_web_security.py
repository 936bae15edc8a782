"""Pure parts of the web app's hardening: `next=` targets, CSRF tokens, access-log lines,
where `jikoflow web` listens, the sign-in rate limit, and the portal's words."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from jikoflow.web.i18n import _WORDS, lang_of, translator
from jikoflow.web.ratelimit import SignInLimiter
from jikoflow.web.security import csrf_matches, csrf_token, safe_next
from jikoflow.web.server import WithoutQuery, listen_address

TEMPLATES = Path(__file__).resolve().parents[2] / "jikoflow" / "web" / "templates"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/incidents/INC-1", "/incidents/INC-1"),
        ("/incidents?open=1", "/incidents?open=1"),
        ("/a/b#c", "/a/b#c"),
        (None, "/"),
        ("", "/"),
        ("incidents", "/"),
        ("//evil.example", "/"),
        ("///evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/\\/evil.example", "/"),
        ("/x\\y", "/"),
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("/\x7f", "/"),
        ("https://evil.example/", "/"),
        ("HTTPS://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("data:text/html,x", "/"),
        ("/login", "/"),
        ("/login/totp?next=//evil", "/"),
        ("/logout", "/"),
        ("/" + "a" * 2001, "/"),
    ],
)
def test_next_is_a_local_path_or_home(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_the_language_switch_may_return_to_the_sign_in_page() -> None:
    assert safe_next("/login?next=/account", sign_in_pages=True) == "/login?next=/account"
    assert safe_next("//evil.example", sign_in_pages=True) == "/"


def test_a_csrf_token_belongs_to_one_cookie_and_one_key() -> None:
    key, other_key = b"k" * 32, b"o" * 32
    token = csrf_token(key, "cookie-a")
    assert re.fullmatch(r"[0-9a-f]{64}", token)
    assert "cookie-a" not in token
    assert csrf_matches(key, "cookie-a", token)
    assert not csrf_matches(key, "cookie-b", token)
    assert not csrf_matches(other_key, "cookie-a", token)
    assert not csrf_matches(key, None, token)
    assert not csrf_matches(key, "cookie-a", None)
    assert not csrf_matches(key, "cookie-a", ["list"])
    assert not csrf_matches(key, "cookie-a", "")


def test_access_log_lines_lose_their_query_string() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/login?next=/incidents/INC-1&q=山田", "1.1", 200),
        None,
    )
    assert WithoutQuery().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /login HTTP/1.1" 200'


@pytest.mark.parametrize(
    ("base_url", "host", "port", "expected"),
    [
        ("http://127.0.0.1:8080", None, None, ("127.0.0.1", 8080)),
        ("https://portal.example.lg.jp", None, None, ("portal.example.lg.jp", 443)),
        ("http://portal.example.lg.jp", None, None, ("portal.example.lg.jp", 80)),
        ("http://127.0.0.1:8080", "0.0.0.0", 9000, ("0.0.0.0", 9000)),
        ("http://127.0.0.1:8080", None, 0, ("127.0.0.1", 0)),
    ],
)
def test_web_listens_where_the_base_url_says_unless_told(
    base_url: str, host: str | None, port: int | None, expected: tuple[str, int]
) -> None:
    assert listen_address(base_url, host, port) == expected


def test_sign_in_attempts_per_address_are_limited_in_a_moving_window() -> None:
    limiter = SignInLimiter("3/minute")
    with time_machine.travel(datetime(2026, 12, 1, tzinfo=UTC), tick=False) as traveller:
        assert [limiter.attempt("10.0.0.1") for _ in range(3)] == [None, None, None]
        assert limiter.attempt("10.0.0.1") == 60
        assert limiter.attempt("10.0.0.2") is None  # another address counts on its own
        traveller.shift(30)
        assert limiter.attempt("10.0.0.1") == 30
        traveller.shift(31)  # the first attempts have left the window
        assert limiter.attempt("10.0.0.1") is None


def test_every_word_of_the_portal_is_in_both_languages_and_every_key_used_exists() -> None:
    assert all(ja and en for ja, en in _WORDS.values())
    used = set()
    for template in TEMPLATES.glob("*.j2"):
        used |= set(re.findall(r'\bt\("([a-z0-9_]+)"', template.read_text(encoding="utf-8")))
    assert used - set(_WORDS) == set()
    assert translator(lang_of("en"))("sign_in") == "Sign in"
    assert translator(lang_of(None))("sign_in") == "サインイン"
    assert translator(lang_of("fr"))("home_welcome", name="田中") == "ようこそ、田中 さん"
