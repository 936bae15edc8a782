"""The JSON API's bearer tokens through real HTTP: issued once by the CLI, stored hashed,
named, revocable, last use recorded; 401 without a valid one (SQLite, then PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx
import pytest
from fastapi import Query

from jikoflow.models.accounts.tables import ApiToken
from jikoflow.models.errors import BadInput, Conflict, Forbidden, NotFound
from jikoflow.web.deps import ApiCaller, api_router
from tests.conftest import CliResult, Env
from tests.integration.conftest import table_rows
from tests.web_fixtures import Portal


def _me(portal: Portal, token: str | None, scheme: str = "Bearer") -> httpx.Response:
    headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
    return httpx.get(portal.url + "/api/v1/me", headers=headers, timeout=30)


@pytest.fixture
def cli_env(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI pointed at the portal's database."""
    monkeypatch.setenv("JIKOFLOW_HOME", str(portal.home))
    monkeypatch.setenv("JIKOFLOW_DATABASE_URL", portal.db_url)


@pytest.mark.usefixtures("cli_env")
def test_a_token_from_the_cli_acts_as_its_person_and_is_kept_only_hashed(
    portal: Portal, cli: Callable[..., CliResult]
) -> None:
    created = cli("users", "token", "suzuki", "--name", "監視スクリプト", "--json")
    assert created.code == 0, created.err
    token = created.json()["token"]
    assert token.startswith("jfk_")
    assert len(token) >= 40

    answer = _me(portal, token)

    assert answer.status_code == 200
    assert answer.json() == {
        "id": "suzuki",
        "name": "鈴木 花子",
        "org": "acme",
        "org_name": "アクメ情報システム株式会社",
        "role": "manager",
    }
    everything = str(table_rows(portal.db_url))
    assert token not in everything
    assert token.removeprefix("jfk_") not in everything
    listed = cli("users", "tokens", "suzuki", "--json")
    assert token not in listed.out
    [row] = listed.json()
    assert row["name"] == "監視スクリプト"
    assert row["last_used_at"] is not None
    assert row["revoked_at"] is None
    assert "token" not in row
    # Times as everywhere in jikoflow's JSON: with their offset, never pydantic's `Z`.
    for name in ("created_at", "last_used_at"):
        assert row[name].endswith("+00:00"), row[name]
        assert datetime.fromisoformat(row[name]).tzinfo is not None


@pytest.mark.usefixtures("cli_env")
def test_a_revoked_token_is_refused_at_once(portal: Portal, cli: Callable[..., CliResult]) -> None:
    token = cli("users", "token", "suzuki", "--json").json()["token"]
    other = cli("users", "token", "suzuki", "--name", "other", "--json").json()["token"]
    assert _me(portal, token).status_code == 200
    token_id = cli("users", "tokens", "suzuki", "--json").json()[0]["id"]

    revoked = cli("users", "revoke-token", str(token_id))

    assert revoked.code == 0
    assert f"token #{token_id}" in revoked.out
    answer = _me(portal, token)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert _me(portal, other).status_code == 200  # only that one
    assert cli("users", "revoke-token", str(token_id)).code == 0  # again: nothing changes
    assert len(portal.events("token_revoked")) == 1
    missing = cli("users", "revoke-token", "9999")
    assert missing.code == 2
    assert missing.err.strip() == "error: ID: unknown token 9999"


def test_without_a_valid_token_every_answer_is_401(portal: Portal) -> None:
    token = portal.token("suzuki")
    for answer in (
        _me(portal, None),
        _me(portal, "-"),
        _me(portal, "jfk_not-a-token"),
        _me(portal, token + "x"),
        _me(portal, token, scheme="Basic"),
        _me(portal, token.removeprefix("jfk_")),
    ):
        assert answer.status_code == 401
        assert answer.json() == {"detail": "a valid API token is required"}
        assert answer.headers["www-authenticate"] == "Bearer"


def test_a_locked_persons_tokens_stop_working_until_unlocked(portal: Portal) -> None:
    from jikoflow.models.access import OPERATOR
    from jikoflow.models.accounts.service import lock_person, unlock_person
    from jikoflow.models.db import transaction

    token = portal.token("suzuki")
    with transaction(portal.db_url) as session:
        lock_person(session, actor=OPERATOR, person_id="suzuki")
    assert _me(portal, token).status_code == 401
    with transaction(portal.db_url) as session:
        unlock_person(session, actor=OPERATOR, person_id="suzuki")
    assert _me(portal, token).status_code == 200


def test_last_use_is_recorded_once_a_minute_at_most(portal: Portal) -> None:
    token = portal.token("suzuki")
    _me(portal, token)
    first = portal.rows(ApiToken)[0].last_used_at
    assert first == portal.clock.now
    portal.clock.advance(seconds=59)
    _me(portal, token)
    assert portal.rows(ApiToken)[0].last_used_at == first
    portal.clock.advance(seconds=1)
    _me(portal, token)
    assert portal.rows(ApiToken)[0].last_used_at == portal.clock.now


def test_the_openapi_document_describes_the_api_only(portal: Portal) -> None:
    document = httpx.get(portal.url + "/api/v1/openapi.json", timeout=30).json()

    assert document["servers"] == [{"url": "/api/v1"}]
    assert "/me" in document["paths"]
    assert not any(p.startswith(("/login", "/account", "/lang")) for p in document["paths"])
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert document["paths"]["/me"]["get"]["security"] == [{"HTTPBearer": []}]
    for docs in ("/api/v1/docs", "/api/v1/redoc", "/docs"):  # their scripts come from a CDN
        assert httpx.get(portal.url + docs, timeout=30).status_code == 404


def test_api_refusals_name_the_field_and_hide_what_the_caller_may_not_see(
    portal: Portal,
) -> None:
    router = api_router()

    @router.get("/probe/{kind}")
    def probe(kind: str, caller: ApiCaller, n: int = Query(default=0)) -> dict[str, str]:
        refusal = {
            "bad": BadInput("summary", "must not be empty"),
            "hidden": NotFound("id", "unknown incident INC-20261201-SECRET"),
            "forbidden": Forbidden("by", "only managers of 甲"),
            "conflict": Conflict("state", "the incident is closed"),
        }.get(kind)
        if refusal is not None:
            raise refusal
        return {"ok": caller.actor}

    api_app = next(r.app for r in portal.app.routes if getattr(r, "path", "") == "/api/v1")
    api_app.include_router(router)
    token = portal.token("suzuki")

    def get(path: str) -> httpx.Response:
        return httpx.get(
            portal.url + "/api/v1" + path, headers={"Authorization": f"Bearer {token}"}
        )

    assert get("/probe/ok").json() == {"ok": "suzuki"}
    assert httpx.get(portal.url + "/api/v1/probe/ok").status_code == 401
    bad = get("/probe/bad")
    assert (bad.status_code, bad.json()) == (
        422,
        {"detail": "must not be empty", "field": "summary", "pointer": "/summary"},
    )
    hidden = get("/probe/hidden")
    assert (hidden.status_code, hidden.json()) == (404, {"detail": "not found"})
    assert get("/probe/forbidden").status_code == 403
    assert get("/probe/conflict").status_code == 409
    invalid = get("/probe/ok?n=many")
    assert invalid.status_code == 422
    assert invalid.json()["field"] == "n"


def test_the_cli_commands_speak_plainly(
    cli: Callable[..., CliResult], sqlite_env: Env, parties_file, monkeypatch
) -> None:
    import io

    assert cli("parties", "load", parties_file).code == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    done = cli("users", "set-password", "sato", "--password-stdin")
    assert done.code == 0
    assert done.out.strip() == "sato: active, password set, TOTP off"
    assert "long enough" not in done.out + done.err

    without_flag = cli("users", "set-password", "sato")
    assert without_flag.code == 2
    assert "--password-stdin" in without_flag.err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    short = cli("users", "set-password", "sato", "--password-stdin")
    assert (short.code, short.err.strip()) == (
        2,
        "error: password: must be at least 12 characters",
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    unknown = cli("users", "set-password", "nobody", "--password-stdin")
    assert (unknown.code, unknown.err.strip()) == (2, "error: PERSON: unknown person 'nobody'")

    plain = cli("users", "token", "sato", "--name", "nightly")
    assert plain.code == 0
    assert plain.out.strip().startswith("jfk_")
    assert len(plain.out.strip().splitlines()) == 1
    assert "shown once" in plain.err
    assert cli("users", "lock", "sato").out.strip() == "sato: locked, password set, TOTP off"
    unlocked = cli("users", "unlock", "sato", "--json").json()
    assert unlocked["locked"] is False
    assert cli("users", "totp-reset", "sato").code == 0
    assert cli("users", "show", "sato", "--json").json()["has_password"] is True
    bad_name = cli("users", "token", "sato", "--name", "")
    assert (bad_name.code, bad_name.err.strip()) == (2, "error: --name: must not be empty")
