"""Fixtures for the portal and the API: the real app on a real uvicorn server, a database with
the sample parties, an injectable clock, and browsers (httpx clients with their own cookies).

- `make_portal(**options)`: start a portal (options go to `create_app`, e.g. `sign_in_rate`;
  `clock=Clock(…)`, `base_url=…`, `slack_url=…` to deliver to a fake Slack) over `db_url`
  (SQLite, then PostgreSQL); returns a `Portal`.
- `portal`: one started with the defaults (sign-in rate limit raised out of the way).
- `Portal`: `.url`, `.clock` (`.advance(minutes=…)`), `.browser()` (an httpx client with its
  own cookie jar, redirects not followed), `.set_password(person)`, `.token(person)`,
  `.load_policy(yaml_text)`, `.events(action)`, `.rows(table)`.
- `sign_in(browser, person, password=…, next=…)`: the sign-in form filled as a person would;
  `csrf_of(html)`: the CSRF token of the first form on a page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live_server import LiveServer
from tests.slack_fixtures import SLACK_TOKEN

SAMPLE_CONTRACT = "C-2026-001"
T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Tokyo


def password_of(person: str) -> str:
    """The password the fixtures give `person`."""
    return f"{person}-correct-horse"


class Clock:
    """The portal's clock: stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move on by a timedelta; returns the new time."""
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Portal:
    """A running portal over a database with the sample parties loaded."""

    url: str
    db_url: str
    home: Path
    clock: Clock
    app: Any
    _browsers: list[httpx.Client] = field(default_factory=list)

    def browser(self) -> httpx.Client:
        """A new browser: its own cookie jar, redirects shown rather than followed."""
        client = httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)
        self._browsers.append(client)
        return client

    def close(self) -> None:
        """Close every browser opened."""
        for client in self._browsers:
            client.close()

    def set_password(self, person: str, password: str | None = None) -> str:
        """Give `person` a password (as the operator); returns it."""
        from jikoflow.models.access import OPERATOR
        from jikoflow.models.accounts.service import set_password
        from jikoflow.models.db import transaction

        chosen = password or password_of(person)
        with transaction(self.db_url) as session:
            set_password(
                session, actor=OPERATOR, person_id=person, password=chosen, now=self.clock()
            )
        return chosen

    def token(self, person: str, name: str = "test") -> str:
        """A new API token acting as `person`."""
        from jikoflow.models.access import OPERATOR
        from jikoflow.models.accounts.service import create_api_token
        from jikoflow.models.db import transaction

        with transaction(self.db_url) as session:
            created = create_api_token(
                session, actor=OPERATOR, person_id=person, name=name, now=self.clock()
            )
        return created.token

    def load_policy(self, text: str) -> None:
        """Load a policy file's text (as the operator)."""
        from jikoflow.models.access import OPERATOR
        from jikoflow.models.db import transaction
        from jikoflow.models.policy.file import parse_policy
        from jikoflow.models.policy.service import load_policy

        with transaction(self.db_url) as session:
            load_policy(
                session,
                actor=OPERATOR,
                policy=parse_policy(text, "policy.yaml"),
                name="policy.yaml",
                text=text,
            )

    def events(self, action: str | None = None) -> list[Any]:
        """Events of the accounts chain, oldest first (optionally one action only)."""
        from jikoflow.models.accounts.service import ACCOUNTS_CHAIN
        from jikoflow.models.audit.service import events_of
        from jikoflow.models.db import reading

        with reading(self.db_url) as session:
            found = events_of(session, ACCOUNTS_CHAIN)
        return [e for e in found if action is None or e.action == action]

    def rows(self, table: type[Any]) -> list[Any]:
        """Every row of a table."""
        from sqlmodel import select

        from jikoflow.models.db import reading

        with reading(self.db_url) as session:
            return list(session.exec(select(table)))


_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    assert found is not None, "no form with a CSRF token on the page"
    return found.group(1)


def sign_in(
    browser: httpx.Client,
    person: str,
    password: str | None = None,
    *,
    next_path: str | None = None,
) -> httpx.Response:
    """Open the sign-in page and send its form; returns the answer to the form."""
    page = browser.get("/login", params={"next": next_path} if next_path else None)
    assert page.status_code == 200, page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "username": person,
        "password": password if password is not None else password_of(person),
        "next": next_path or "/",
    }
    return browser.post("/login", data=form)


def load_sample_parties(url: str) -> None:
    """The sample parties file, loaded into `url`."""
    from tests.slack_fixtures import SAMPLE_PARTIES, load_parties_file

    load_parties_file(url, SAMPLE_PARTIES)


@pytest.fixture
def make_portal(db_url: str, tmp_path: Path) -> Iterator[Callable[..., Portal]]:
    """Start portals over `db_url` with the sample parties; all stopped after the test."""
    from jikoflow.models.enums import Lang
    from jikoflow.models.settings import Settings
    from jikoflow.web import create_app

    load_sample_parties(db_url)
    stack: list[tuple[LiveServer, Portal]] = []

    def start(**options: Any) -> Portal:
        options.setdefault("sign_in_rate", "1000/minute")
        base_url = options.pop("base_url", "http://127.0.0.1:8080")
        slack_url = options.pop("slack_url", None)  # deliver to this fake Slack
        home = tmp_path / f"home{len(stack)}"
        settings = Settings(
            home=home,
            database_url=db_url,
            slack_token=SLACK_TOKEN if slack_url else None,
            slack_api_url=slack_url or "http://127.0.0.1:9/",
            lang=Lang.JA,
            base_url=base_url,
        )
        clock = options.pop("clock", None) or Clock(T0)
        app = create_app(settings, clock=clock, **options)
        server = LiveServer(app).__enter__()
        portal = Portal(url=server.url, db_url=db_url, home=home, clock=clock, app=app)
        stack.append((server, portal))
        return portal

    yield start
    for server, portal in reversed(stack):
        portal.close()
        portal.app.state.courier.wait()  # no delivery outlives its test
        server.__exit__(None, None, None)


@pytest.fixture
def portal(make_portal: Callable[..., Portal]) -> Portal:
    """A portal with default settings (but no rate limit in the way)."""
    return make_portal()
