"""Operator acts on accounts at the service level (SQLite and PostgreSQL): who may, what a
refusal leaves (nothing), what is kept (hashes only), and concurrent sign-ins."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy.exc

from jikoflow.models.access import OPERATOR, Via, person
from jikoflow.models.accounts import service
from jikoflow.models.accounts.service import ACCOUNTS_CHAIN
from jikoflow.models.accounts.tables import Credential, WebSession
from jikoflow.models.audit.service import events_of, verify_chain
from jikoflow.models.db import reading, transaction
from jikoflow.models.errors import BadInput, Forbidden, NotFound
from jikoflow.web.config import WebConfig
from jikoflow.web.deps import committed
from tests.integration.conftest import table_rows
from tests.web_fixtures import Portal, load_sample_parties, password_of, sign_in

PASSWORD = "a long enough password"
OPERATOR_ACTS: dict[str, Callable[..., Any]] = {
    "set_password": lambda s, p: service.set_password(
        s, actor=p, person_id="sato", password=PASSWORD
    ),
    "lock": lambda s, p: service.lock_person(s, actor=p, person_id="sato"),
    "unlock": lambda s, p: service.unlock_person(s, actor=p, person_id="sato"),
    "totp_reset": lambda s, p: service.reset_totp(s, actor=p, person_id="sato"),
    "token": lambda s, p: service.create_api_token(s, actor=p, person_id="sato", name="x"),
    "tokens": lambda s, p: service.list_api_tokens(s, actor=p, person_id="sato"),
    "revoke": lambda s, p: service.revoke_api_token(s, actor=p, token_id=1),
}


@pytest.fixture
def url(db_url: str) -> str:
    """A database with the sample parties, sato with a password and a token."""
    load_sample_parties(db_url)
    with transaction(db_url) as session:
        service.set_password(session, actor=OPERATOR, person_id="sato", password=PASSWORD)
        service.create_api_token(session, actor=OPERATOR, person_id="sato")
    return db_url


def test_account_acts_are_the_operators_alone(url: str) -> None:
    before = table_rows(url)
    for act in OPERATOR_ACTS.values():
        for via in (Via.CLI, Via.WEB, Via.API):
            with pytest.raises(Forbidden) as raised, transaction(url) as session:
                act(session, person("suzuki", via))
            assert raised.value.field == "by"
    assert table_rows(url) == before


def test_an_unknown_person_or_token_is_refused_naming_the_field(url: str) -> None:
    before = table_rows(url)
    acts: list[tuple[str, Callable[[Any], Any]]] = [
        (
            "person",
            lambda s: service.set_password(s, actor=OPERATOR, person_id="ghost", password=PASSWORD),
        ),
        ("person", lambda s: service.lock_person(s, actor=OPERATOR, person_id="ghost")),
        ("person", lambda s: service.unlock_person(s, actor=OPERATOR, person_id="ghost")),
        ("person", lambda s: service.reset_totp(s, actor=OPERATOR, person_id="ghost")),
        ("person", lambda s: service.create_api_token(s, actor=OPERATOR, person_id="ghost")),
        ("person", lambda s: service.list_api_tokens(s, actor=OPERATOR, person_id="ghost")),
        ("id", lambda s: service.revoke_api_token(s, actor=OPERATOR, token_id=404)),
    ]
    for field, act in acts:
        with pytest.raises(NotFound) as raised, transaction(url) as session:
            act(session)
        assert raised.value.field == field
    assert table_rows(url) == before


def test_a_refused_password_changes_nothing(url: str) -> None:
    before = table_rows(url)
    with pytest.raises(BadInput) as raised, transaction(url) as session:
        service.set_password(session, actor=OPERATOR, person_id="sato", password="sato")
    assert raised.value.field == "password"
    assert table_rows(url) == before


def test_only_an_argon2id_hash_is_kept_and_every_act_is_audited(url: str) -> None:
    everything = str(table_rows(url))
    assert PASSWORD not in everything
    with reading(url) as session:
        cred = session.get(Credential, "sato")
        trail = events_of(session, ACCOUNTS_CHAIN)
    assert cred is not None
    assert cred.password_hash is not None
    assert cred.password_hash.startswith("$argon2id$")
    assert [(e.action, e.actor, e.detail["person"]) for e in trail] == [
        ("password_set", "@operator", "sato"),
        ("token_created", "@operator", "sato"),
    ]
    assert "token" not in str([e.detail for e in trail]).replace("token_id", "")


def test_a_new_password_lock_or_totp_reset_ends_the_persons_sessions(portal: Portal) -> None:
    portal.set_password("watanabe")
    for act in (
        lambda s: service.set_password(s, actor=OPERATOR, person_id="watanabe", password=PASSWORD),
        lambda s: service.lock_person(s, actor=OPERATOR, person_id="watanabe"),
    ):
        browser = portal.browser()
        sign_in(browser, "watanabe", password_of("watanabe"))
        assert browser.get("/").status_code == 200
        with transaction(portal.db_url) as session:
            act(session)
        assert browser.get("/").status_code == 303
        with transaction(portal.db_url) as session:
            service.unlock_person(session, actor=OPERATOR, person_id="watanabe")
            service.set_password(
                session, actor=OPERATOR, person_id="watanabe", password=password_of("watanabe")
            )
    assert portal.rows(WebSession) == []


def test_the_operator_is_no_person_to_the_api(url: str) -> None:
    with pytest.raises(NotFound), reading(url) as session:
        service.whoami(session, actor=OPERATOR)


def test_people_signing_in_at_once_all_get_in_and_the_trail_stays_whole(
    portal: Portal,
) -> None:
    people = ["tanaka", "suzuki", "sato", "takahashi", "ito", "watanabe", "yamamoto"]
    for who in people:
        portal.set_password(who)
    browsers = [portal.browser() for _ in people]
    pages = [b.get("/login") for b in browsers]

    def attempt(index: int) -> int:
        from tests.web_fixtures import csrf_of

        form = {
            "csrf_token": csrf_of(pages[index].text),
            "username": people[index],
            "password": password_of(people[index]) if index % 2 else "wrong-password-123",
            "next": "/",
        }
        return browsers[index].post("/login", data=form).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(people)) as pool:
        codes = list(pool.map(attempt, range(len(people))))

    assert codes == [401 if i % 2 == 0 else 303 for i in range(len(people))]
    trail = portal.events()
    assert verify_chain(trail)
    assert sorted(e.action for e in trail if e.action.startswith("sign")) == sorted(
        ["sign_in_failed"] * 4 + ["signed_in"] * 3
    )


def test_a_transaction_that_lost_a_race_runs_again(url: str) -> None:
    config = WebConfig(database_url=url, secret_key=b"k" * 32, base_url="http://x")
    tries: list[int] = []

    def flaky(_session: Any) -> str:
        tries.append(1)
        if len(tries) < 3:
            raise sqlalchemy.exc.IntegrityError("insert", {}, Exception("duplicate seq"))
        return "done"

    assert committed(config, flaky) == "done"
    assert len(tries) == 3

    def hopeless(_session: Any) -> str:
        raise sqlalchemy.exc.IntegrityError("insert", {}, Exception("duplicate seq"))

    with pytest.raises(sqlalchemy.exc.IntegrityError):
        committed(config, hopeless)
