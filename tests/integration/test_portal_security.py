"""Hardening of every response and form through real HTTP: security headers, CSRF, error pages
that reveal nothing, no inline script, no third-party resources (SQLite, then PostgreSQL)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import httpx
import pytest

from jikoflow.models.accounts.tables import WebSession
from jikoflow.models.errors import Forbidden, NotFound
from jikoflow.web.app import PAGE_ROUTERS
from jikoflow.web.security import CSP
from tests.web_fixtures import Portal, csrf_of, sign_in

PERSONAL = "山田太郎 123456789012 090-1234-5678"


def _assert_hardened(response: httpx.Response) -> None:
    headers = response.headers
    assert headers["content-security-policy"] == CSP
    assert "script-src 'self'" in CSP
    assert "unsafe-inline" not in CSP
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"


def _add_failing_routes(portal: Portal) -> None:
    def boom() -> None:
        raise RuntimeError(PERSONAL)

    def hidden() -> None:
        raise NotFound("id", f"unknown incident INC-20261201-SECRET {PERSONAL}")

    def refused() -> None:
        raise Forbidden("by", f"only managers of 甲 may accept ({PERSONAL})")

    for path, endpoint in (("/boom", boom), ("/hidden", hidden), ("/refused", refused)):
        portal.app.add_api_route(path, endpoint, include_in_schema=False)


def test_every_kind_of_response_carries_the_security_headers(portal: Portal) -> None:
    _add_failing_routes(portal)
    token = portal.token("tanaka")
    browser = portal.browser()
    answers = {
        "page": browser.get("/login"),
        "redirect": browser.get("/"),
        "static": browser.get("/static/portal.js"),
        "health": browser.get("/healthz"),
        "unknown": browser.get("/no/such/page"),
        "failure": browser.get("/boom"),
        "api": browser.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}),
        "api refused": browser.get("/api/v1/me"),
        "api unknown": browser.get("/api/v1/nothing"),
        "openapi": browser.get("/api/v1/openapi.json"),
    }
    assert {k: a.status_code for k, a in answers.items()} == {
        "page": 200,
        "redirect": 303,
        "static": 200,
        "health": 200,
        "unknown": 404,
        "failure": 500,
        "api": 200,
        "api refused": 401,
        "api unknown": 404,
        "openapi": 200,
    }
    for answer in answers.values():
        _assert_hardened(answer)
    assert answers["page"].headers["cache-control"] == "no-store"
    assert "no-store" not in answers["static"].headers.get("cache-control", "")
    assert "strict-transport-security" not in answers["page"].headers
    assert answers["static"].headers["content-type"].startswith("text/javascript")


def test_behind_https_cookies_are_secure_and_pinned_to_the_host(
    make_portal: Callable[..., Portal],
) -> None:
    portal = make_portal(base_url="https://portal.example.lg.jp")
    portal.set_password("watanabe")
    browser = portal.browser()
    page = browser.get("/login")
    pre = page.headers["set-cookie"]
    assert pre.startswith("__Host-jikoflow_pre=")
    assert "Secure" in pre
    assert "HttpOnly" in pre
    assert "Path=/" in pre
    assert "Domain" not in pre
    assert page.headers["strict-transport-security"] == "max-age=31536000"
    # httpx, like a browser, keeps a Secure cookie off plain HTTP: send it by hand.
    answer = browser.post(
        "/login",
        data={
            "csrf_token": csrf_of(page.text),
            "username": "watanabe",
            "password": "watanabe-correct-horse",
            "next": "/",
        },
        headers={"Cookie": pre.split(";")[0]},
    )
    assert answer.status_code == 303
    session = [c for c in answer.headers.get_list("set-cookie") if "jikoflow_session" in c]
    assert session[0].startswith("__Host-jikoflow_session=")
    assert "Secure" in session[0]
    assert "HttpOnly" in session[0]


def test_a_form_posted_without_its_token_is_refused_and_changes_nothing(portal: Portal) -> None:
    portal.set_password("watanabe")
    browser = portal.browser()
    browser.get("/login")  # has its cookie, but the form below lost its token

    answer = browser.post(
        "/login",
        data={"username": "watanabe", "password": "watanabe-correct-horse", "next": "/"},
    )

    assert answer.status_code == 403
    assert "フォームを受け付けられません" in answer.text
    assert portal.rows(WebSession) == []
    assert portal.events("signed_in") == []


def test_a_token_from_another_browser_or_without_its_cookie_is_refused(portal: Portal) -> None:
    portal.set_password("watanabe")
    victim = portal.browser()
    sign_in(victim, "watanabe")
    attacker = portal.browser()
    attacker_token = csrf_of(attacker.get("/login").text)

    forged = victim.post("/logout", data={"csrf_token": attacker_token})
    cookieless = httpx.post(
        portal.url + "/login",
        data={
            "csrf_token": attacker_token,
            "username": "watanabe",
            "password": "watanabe-correct-horse",
        },
    )
    as_json = victim.post("/logout", json={"csrf_token": csrf_of(victim.get("/").text)})

    assert [forged.status_code, cookieless.status_code, as_json.status_code] == [403, 403, 403]
    assert victim.get("/").status_code == 200  # still signed in
    assert len(portal.rows(WebSession)) == 1


def test_every_form_of_every_page_router_checks_its_token(portal: Portal) -> None:
    # Pages added later on a `page_router()` are covered by the same check.
    portal.set_password("watanabe")
    browser = portal.browser()
    sign_in(browser, "watanabe")
    unsafe = [
        (method, re.sub(r"\{[^}]+\}", "x", route.path))
        for router in PAGE_ROUTERS
        for route in router.routes
        for method in getattr(route, "methods", set())
        if method not in ("GET", "HEAD", "OPTIONS")
    ]
    assert ("POST", "/login") in unsafe
    assert ("POST", "/logout") in unsafe

    answers = {(m, p): browser.request(m, p, data={"code": "123456"}) for m, p in unsafe}

    assert {k: a.status_code for k, a in answers.items()} == dict.fromkeys(answers, 403)
    assert browser.get("/").status_code == 200


def test_error_pages_reveal_nothing(portal: Portal, caplog: pytest.LogCaptureFixture) -> None:
    _add_failing_routes(portal)
    portal.set_password("tanaka")
    browser = portal.browser()
    sign_in(browser, "tanaka")  # incident pages ask for sign-in first

    unknown = browser.get("/incidents/INC-20261201-SECRET")
    hidden = browser.get("/hidden")
    refused = browser.get("/refused")
    with caplog.at_level(logging.INFO):
        failed = browser.get("/boom")

    assert (unknown.status_code, hidden.status_code) == (404, 404)
    assert unknown.text == hidden.text  # an id one may not see answers like one that is not
    assert "SECRET" not in unknown.text
    assert refused.status_code == 403
    assert "許可されていません" in refused.text
    assert failed.status_code == 500
    assert "エラーが発生しました" in failed.text
    for answer in (hidden, refused, failed):
        assert "山田" not in answer.text
        assert "123456789012" not in answer.text
    assert "RuntimeError" in caplog.text
    assert "123456789012" not in caplog.text


def test_pages_carry_no_inline_script_style_or_third_party_resource(portal: Portal) -> None:
    portal.load_policy("organizations:\n  - {id: delta, require_totp: true}\n")
    portal.set_password("watanabe")
    portal.set_password("tanaka")
    signed = portal.browser()
    sign_in(signed, "tanaka")
    enrolling = portal.browser()
    sign_in(enrolling, "watanabe")
    pages = [
        portal.browser().get("/login").text,
        signed.get("/").text,
        signed.get("/account").text,
        signed.get("/nothing-here").text,
        enrolling.get("/account/totp").text,
    ]
    for html in pages:
        assert re.search(r"<script(?![^>]*\bsrc=)", html) is None
        assert re.search(r"\sstyle=|<style|\son[a-z]+=", html) is None
        for url in re.findall(r'(?:src|href|action)="([^"]*)"', html):
            assert url.startswith(("/", "#")), url


def test_the_api_does_not_accept_a_session_cookie(portal: Portal) -> None:
    portal.set_password("tanaka")
    browser = portal.browser()
    sign_in(browser, "tanaka")

    assert browser.get("/api/v1/me").status_code == 401


def test_the_portal_speaks_english_on_request(portal: Portal) -> None:
    browser = portal.browser()
    switched = browser.get("/lang/en", params={"next": "/login?next=/account"})
    assert switched.status_code == 303
    assert switched.headers["location"] == "/login?next=/account"

    page = browser.get("/login")

    assert '<html lang="en">' in page.text
    assert "Sign in" in page.text
    assert "サインイン" not in page.text
    back = browser.get("/lang/ja", params={"next": "https://evil.example/"})
    assert back.headers["location"] == "/"
    assert "サインイン" in browser.get("/login").text


def test_health_says_whether_the_database_answers(tmp_path) -> None:
    from jikoflow.models.enums import Lang
    from jikoflow.models.settings import Settings
    from jikoflow.web import create_app
    from tests.live_server import LiveServer

    settings = Settings(
        home=tmp_path / "home",
        database_url="postgresql+psycopg://nobody@127.0.0.1:9/nothing?connect_timeout=2",
        slack_token=None,
        slack_api_url="http://127.0.0.1:9/",
        lang=Lang.JA,
    )
    with LiveServer(create_app(settings)) as server:
        answer = httpx.get(server.url + "/healthz", timeout=30)
    assert answer.status_code == 503
    assert (tmp_path / "home" / "secret_key").stat().st_mode & 0o777 == 0o600
