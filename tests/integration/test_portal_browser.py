"""Journeys in a real browser (Chromium via Playwright) against the portal on a live server:
sign in, the Japanese layout, a form without its CSRF token refused, sign out, TOTP enrolment.
Screenshots of each page are saved; the browser must report no error (a Content-Security-Policy
violation would be one)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from jikoflow.models.accounts import totp
from tests.web_fixtures import Portal, password_of


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """A browser journey runs on SQLite (the API and pages are tested on both backends)."""
    return sqlite_url


def _shot(page: Any, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return path


def _sign_in(page: Any, person: str) -> None:
    page.get_by_label("ユーザーID").fill(person)
    page.get_by_label("パスワード").fill(password_of(person))
    page.get_by_role("button", name="サインイン").click()


def test_sign_in_see_the_layout_refuse_a_tokenless_form_and_sign_out(
    portal: Portal, page: Any, page_errors: list[str], screenshots: Path
) -> None:
    portal.set_password("watanabe")

    page.goto(portal.url + "/account")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Faccount$"))
    expect(page.get_by_role("heading", name="サインイン")).to_be_visible()
    _shot(page, screenshots, "login")
    _sign_in(page, "watanabe")

    expect(page).to_have_url(portal.url + "/account")
    expect(page.get_by_role("heading", name="アカウント")).to_be_visible()
    expect(page.locator("dd").first).to_have_text("watanabe")
    _shot(page, screenshots, "account")
    page.goto(portal.url + "/")
    expect(page.get_by_role("heading", name="ようこそ、渡辺 直子 さん")).to_be_visible()
    nav = page.get_by_role("navigation")
    for text in ("事故等の報告", "事故等一覧", "訓練", "サインアウト"):
        expect(nav.get_by_text(text, exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    _shot(page, screenshots, "home")

    # A forged form: the sign-out form without its token.
    page.evaluate(
        "document.querySelector('form[action=\"/logout\"] input[name=csrf_token]').remove()"
    )
    with page.expect_response(lambda r: r.url.endswith("/logout")) as refused:
        nav.get_by_role("button", name="サインアウト").click()
    assert refused.value.status == 403
    expect(page.get_by_role("heading", name="フォームを受け付けられません")).to_be_visible()
    _shot(page, screenshots, "csrf-refused")
    page.goto(portal.url + "/")
    expect(page.get_by_role("heading", name="ようこそ、渡辺 直子 さん")).to_be_visible()

    page.get_by_role("navigation").get_by_role("button", name="サインアウト").click()
    expect(page).to_have_url(portal.url + "/login")
    page.goto(portal.url + "/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))

    # The refused form is the only thing the browser reported (no CSP violation, no 404).
    assert page_errors == [
        "Failed to load resource: the server responded with a status of 403 (Forbidden)"
    ]
    assert sorted(p.name for p in screenshots.iterdir()) == [
        "account.png",
        "csrf-refused.png",
        "home.png",
        "login.png",
    ]


def test_enrol_totp_from_the_qr_page_then_sign_in_with_a_code(
    portal: Portal, page: Any, page_errors: list[str], screenshots: Path
) -> None:
    portal.load_policy("organizations:\n  - {id: nerima, require_totp: true}\n")
    portal.set_password("tanaka")

    page.goto(portal.url + "/login")
    _sign_in(page, "tanaka")

    expect(page).to_have_url(re.compile(r"/account/totp\?next=%2F$"))
    expect(page.get_by_text("所属組織の方針により")).to_be_visible()
    expect(page.locator("figure.qr svg")).to_be_visible()
    _shot(page, screenshots, "enrol")
    secret = page.locator("code.secret").inner_text()
    page.get_by_label("確認コード").fill(totp.code_at(secret, portal.clock()))
    page.get_by_role("button", name="確認").click()
    expect(page.get_by_role("heading", name="ようこそ、田中 一郎 さん")).to_be_visible()

    page.get_by_role("navigation").get_by_role("button", name="サインアウト").click()
    portal.clock.advance(minutes=1)
    _sign_in(page, "tanaka")
    expect(page.get_by_role("heading", name="確認コード")).to_be_visible()
    _shot(page, screenshots, "code")
    page.get_by_label("確認コード").fill(totp.code_at(secret, portal.clock()))
    page.get_by_role("button", name="確認").click()
    expect(page.get_by_role("heading", name="ようこそ、田中 一郎 さん")).to_be_visible()
    assert page_errors == []
