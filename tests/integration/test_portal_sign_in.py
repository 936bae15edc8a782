"""Signing in to the portal through real HTTP: sessions, expiry, rotation, sign-out, back-off,
rate limiting, TOTP, and `next=` (SQLite, then PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import time_machine

from jikoflow.models.accounts import totp
from jikoflow.models.accounts.rules import digest
from jikoflow.models.accounts.tables import Credential, WebSession
from tests.web_fixtures import T0, Portal, csrf_of, sign_in

SESSION = "jikoflow_session"


def _signed_in_home(browser) -> bool:
    page = browser.get("/")
    return page.status_code == 200 and "ようこそ" in page.text


def test_a_person_signs_in_sees_the_home_page_and_signs_out(portal: Portal) -> None:
    portal.set_password("watanabe")
    browser = portal.browser()

    answer = sign_in(browser, "watanabe")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION}=")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # JIKOFLOW_BASE_URL is http here
    home = browser.get("/")
    assert home.status_code == 200
    for link in ("事故等の報告", "事故等一覧", "訓練", "サインアウト"):
        assert link in home.text
    assert "渡辺 直子" in home.text

    out = browser.post("/logout", data={"csrf_token": csrf_of(home.text)})

    assert out.status_code == 303
    assert out.headers["location"] == "/login"
    assert browser.get("/").status_code == 303
    assert portal.rows(WebSession) == []
    assert [e.action for e in portal.events()][-2:] == ["signed_in", "signed_out"]


def test_a_session_cookie_kept_after_sign_out_is_worth_nothing(portal: Portal) -> None:
    portal.set_password("watanabe")
    browser = portal.browser()
    sign_in(browser, "watanabe")
    stolen = browser.cookies[SESSION]
    home = browser.get("/")
    browser.post("/logout", data={"csrf_token": csrf_of(home.text)})

    thief = portal.browser()
    thief.cookies.set(SESSION, stolen, domain="127.0.0.1")

    assert thief.get("/").status_code == 303


def test_the_session_id_is_new_at_sign_in_and_stored_only_as_a_digest(portal: Portal) -> None:
    portal.set_password("watanabe")
    browser = portal.browser()
    planted = "planted-by-someone-else-0123456789abcdef"
    browser.cookies.set(SESSION, planted, domain="127.0.0.1")

    sign_in(browser, "watanabe")

    issued = browser.cookies[SESSION]
    assert issued != planted
    stored = [row.id for row in portal.rows(WebSession)]
    assert stored == [digest(issued)]
    assert issued not in stored


def test_an_idle_session_ends_after_thirty_minutes(portal: Portal) -> None:
    portal.set_password("watanabe")
    browser = portal.browser()
    sign_in(browser, "watanabe")

    portal.clock.advance(minutes=29)
    assert _signed_in_home(browser)  # using it keeps it alive
    portal.clock.advance(minutes=29)
    assert _signed_in_home(browser)
    portal.clock.advance(minutes=30, seconds=1)

    answer = browser.get("/")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2F"


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(portal: Portal) -> None:
    portal.set_password("watanabe")
    browser = portal.browser()
    sign_in(browser, "watanabe")

    for _ in range(11 * 3):
        portal.clock.advance(minutes=20)
        assert _signed_in_home(browser)
    portal.clock.advance(minutes=60)

    assert browser.get("/").status_code == 303


def test_a_wrong_password_and_an_unknown_person_are_refused_alike(portal: Portal) -> None:
    portal.set_password("watanabe")
    wrong = sign_in(portal.browser(), "watanabe", "not-the-password-at-all")
    unknown = sign_in(portal.browser(), "nobody", "not-the-password-at-all")
    no_password = sign_in(portal.browser(), "yamamoto", "not-the-password-at-all")
    odd = [sign_in(portal.browser(), name, "x") for name in ("a\x00b", "x" * 65, " ", "渡辺")]

    for answer in (wrong, unknown, no_password, *odd):
        assert answer.status_code == 401
        assert "ユーザーIDまたはパスワードが正しくないか" in answer.text
        assert "set-cookie" not in answer.headers or SESSION not in answer.headers["set-cookie"]
    failed = portal.events("sign_in_failed")
    assert [(e.detail["person"], e.detail["reason"]) for e in failed] == [
        ("watanabe", "password"),
        (None, "unknown_person"),  # what was typed is not kept: it may be a password
        ("yamamoto", "no_password"),
        *[(None, "unknown_person")] * 4,
    ]
    assert all(e.detail["client"] == "127.0.0.1" for e in failed)
    assert "not-the-password-at-all" not in str([e.detail for e in portal.events()])


def test_repeated_failures_back_off_doubling_and_the_right_password_waits_too(
    portal: Portal,
) -> None:
    portal.set_password("watanabe")
    browser = portal.browser()
    for _ in range(4):
        assert sign_in(browser, "watanabe", "wrong-password-123").status_code == 401
    assert portal.rows(Credential)[0].locked_until is None

    sign_in(browser, "watanabe", "wrong-password-123")  # the fifth: one minute
    locked = portal.rows(Credential)[0]
    assert locked.locked_until == T0 + timedelta(minutes=1)
    assert sign_in(browser, "watanabe").status_code == 401  # right, but too soon
    assert portal.events("sign_in_failed")[-1].detail["reason"] == "locked"

    portal.clock.advance(minutes=1)
    sign_in(browser, "watanabe", "wrong-password-123")  # the sixth: two minutes
    assert portal.rows(Credential)[0].locked_until == portal.clock.now + timedelta(minutes=2)
    portal.clock.advance(minutes=1, seconds=59)
    assert sign_in(browser, "watanabe").status_code == 401
    portal.clock.advance(seconds=1)

    assert sign_in(browser, "watanabe").status_code == 303
    assert portal.rows(Credential)[0].failed_count == 0


def test_the_operator_lock_refuses_sign_in_and_ends_open_sessions(portal: Portal, cli) -> None:
    from jikoflow.models.access import OPERATOR
    from jikoflow.models.accounts.service import lock_person, unlock_person
    from jikoflow.models.db import transaction

    portal.set_password("watanabe")
    browser = portal.browser()
    sign_in(browser, "watanabe")
    with transaction(portal.db_url) as session:
        lock_person(session, actor=OPERATOR, person_id="watanabe", now=portal.clock())

    assert browser.get("/").status_code == 303
    assert sign_in(portal.browser(), "watanabe").status_code == 401

    with transaction(portal.db_url) as session:
        unlock_person(session, actor=OPERATOR, person_id="watanabe", now=portal.clock())
    assert sign_in(portal.browser(), "watanabe").status_code == 303


def test_sign_in_is_rate_limited_per_client_address(
    make_portal: Callable[..., Portal],
) -> None:
    portal = make_portal(sign_in_rate="3/minute")
    portal.set_password("watanabe")
    browser = portal.browser()
    # The limiter counts in real seconds; time stands still so no attempt slips out of the
    # window however slow the machine is.
    with time_machine.travel(T0, tick=False) as traveller:
        for _ in range(3):
            assert sign_in(browser, "watanabe", "wrong-password-123").status_code == 401
        limited = sign_in(browser, "watanabe")
        assert limited.status_code == 429
        assert "試行回数が多すぎます" in limited.text
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert SESSION not in browser.cookies
        assert len(portal.events("sign_in_failed")) == 3  # the refused one was not tried

        traveller.shift(61)
        assert sign_in(browser, "watanabe").status_code == 303


NEXT_CASES = [
    ("/incidents/INC-20261201-ABCDEF", "/incidents/INC-20261201-ABCDEF"),
    ("/account?tab=totp", "/account?tab=totp"),
    ("https://evil.example/", "/"),
    ("//evil.example/path", "/"),
    ("/\\evil.example", "/"),
    ("/\t/evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("/logout", "/"),
]


def test_next_leads_only_to_a_path_on_this_site(portal: Portal) -> None:
    portal.set_password("watanabe")
    landed = [
        sign_in(portal.browser(), "watanabe", next_path=asked).headers["location"]
        for asked, _ in NEXT_CASES
    ]
    assert landed == [lands for _, lands in NEXT_CASES]


def test_a_page_asks_for_sign_in_first_and_returns_to_it(portal: Portal) -> None:
    portal.set_password("watanabe")
    browser = portal.browser()

    asked = browser.get("/account")
    assert asked.status_code == 303
    target = asked.headers["location"]
    assert target == "/login?next=%2Faccount"
    login_page = browser.get(target)
    assert 'name="next" value="/account"' in login_page.text

    answer = sign_in(browser, "watanabe", next_path="/account")

    assert answer.headers["location"] == "/account"
    assert "渡辺 直子" not in browser.get("/login").text  # signed in: straight on
    assert browser.get("/login?next=/account").headers["location"] == "/account"


REQUIRE_TOTP = "organizations:\n  - {id: delta, require_totp: true}\n"


def _enrol(portal: Portal, browser) -> str:
    """Enrol TOTP on the page shown after the password; returns the secret."""
    page = browser.get("/account/totp")
    assert page.status_code == 200
    assert "<svg" in page.text
    secret = page.text.split('class="secret">')[1].split("<")[0]
    code = totp.code_at(secret, portal.clock())
    answer = browser.post(
        "/account/totp", data={"csrf_token": csrf_of(page.text), "code": code, "next": "/"}
    )
    assert answer.status_code == 303, answer.text
    return secret


def test_an_organisation_requiring_totp_has_its_people_enrol_before_anything_else(
    portal: Portal,
) -> None:
    portal.load_policy(REQUIRE_TOTP)
    portal.set_password("watanabe")
    browser = portal.browser()

    answer = sign_in(browser, "watanabe", next_path="/account")

    assert answer.headers["location"] == "/account/totp?next=%2Faccount"
    half = browser.cookies[SESSION]
    assert browser.get("/").headers["location"].startswith("/account/totp?next=")
    page = browser.get("/account/totp")
    assert "所属組織の方針により" in page.text
    secret = page.text.split('class="secret">')[1].split("<")[0]
    assert browser.get("/account/totp").text.count(secret) == 1  # the same secret on reload
    wrong = browser.post(
        "/account/totp", data={"csrf_token": csrf_of(page.text), "code": "000000", "next": "/"}
    )
    assert wrong.status_code == 422
    assert "コードが一致しません" in wrong.text

    right = browser.post(
        "/account/totp",
        data={
            "csrf_token": csrf_of(page.text),
            "code": totp.code_at(secret, portal.clock()),
            "next": "/account",
        },
    )

    assert right.headers["location"] == "/account"
    assert browser.cookies[SESSION] != half  # a new id once the second factor is in
    account = browser.get("/account")
    assert "二要素認証" in account.text
    assert "有効" in account.text
    assert portal.events("totp_enrolled")[0].actor == "watanabe"
    assert portal.rows(Credential)[0].totp_secret == secret


def test_an_enrolled_person_signs_in_with_a_code_which_counts_once(portal: Portal) -> None:
    portal.load_policy(REQUIRE_TOTP)
    portal.set_password("watanabe")
    first = portal.browser()
    sign_in(first, "watanabe")
    secret = _enrol(portal, first)
    portal.clock.advance(minutes=1)
    browser = portal.browser()

    answer = sign_in(browser, "watanabe", next_path="/account")

    assert answer.headers["location"] == "/login/totp?next=%2Faccount"
    assert browser.get("/").headers["location"].startswith("/login/totp?next=")
    form = browser.get("/login/totp?next=/account")
    assert "6桁のコード" in form.text
    code = totp.code_at(secret, portal.clock())
    wrong = browser.post(
        "/login/totp", data={"csrf_token": csrf_of(form.text), "code": "123456", "next": "/"}
    )
    assert wrong.status_code == 401
    right = browser.post(
        "/login/totp",
        data={"csrf_token": csrf_of(form.text), "code": code, "next": "/account"},
    )
    assert right.headers["location"] == "/account"
    assert browser.get("/account").status_code == 200

    again = portal.browser()  # the same code, seen over a shoulder, a few seconds later
    sign_in(again, "watanabe")
    form = again.get("/login/totp")
    replay = again.post(
        "/login/totp", data={"csrf_token": csrf_of(form.text), "code": code, "next": "/"}
    )
    assert replay.status_code == 401
    assert again.get("/").status_code == 303


def test_wrong_codes_back_off_and_send_back_to_the_password(portal: Portal) -> None:
    portal.load_policy(REQUIRE_TOTP)
    portal.set_password("watanabe")
    browser = portal.browser()
    sign_in(browser, "watanabe")
    _enrol(portal, browser)
    attacker = portal.browser()
    sign_in(attacker, "watanabe")  # knows the password, not the phone
    form = attacker.get("/login/totp")
    token = csrf_of(form.text)

    answers = [
        attacker.post("/login/totp", data={"csrf_token": token, "code": f"{n:06d}", "next": "/"})
        for n in range(5)
    ]

    assert [a.status_code for a in answers] == [401] * 5
    assert "もう一度サインインしてください" in answers[-1].text
    assert portal.rows(Credential)[0].locked_until is not None
    assert attacker.get("/login/totp").status_code == 303  # the half session is gone
    assert [e.detail["reason"] for e in portal.events("sign_in_failed")] == ["totp"] * 5


def test_a_second_factor_left_unfinished_expires(portal: Portal) -> None:
    portal.load_policy(REQUIRE_TOTP)
    portal.set_password("watanabe")
    browser = portal.browser()
    sign_in(browser, "watanabe")
    secret = _enrol(portal, browser)
    late = portal.browser()
    sign_in(late, "watanabe")
    form = late.get("/login/totp")
    portal.clock.advance(minutes=10, seconds=1)

    answer = late.post(
        "/login/totp",
        data={
            "csrf_token": csrf_of(form.text),
            "code": totp.code_at(secret, portal.clock()),
            "next": "/",
        },
    )

    assert answer.status_code == 401
    assert "もう一度サインインしてください" in answer.text
    assert late.get("/").status_code == 303


def test_next_survives_the_totp_step(portal: Portal) -> None:
    portal.set_password("watanabe")
    answer = sign_in(portal.browser(), "watanabe", next_path="//evil.example")
    assert answer.headers["location"] == "/"
    portal.load_policy(REQUIRE_TOTP)
    answer = sign_in(portal.browser(), "watanabe", next_path="https://evil.example/")
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["next"] == ["/"]
