"""No incident content in chat (DESIGN.md §5): personal data typed into an incident never
reaches Slack — checked on every request the real WebClient sends to the fake Slack server."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import astuple, dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from faker import Faker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jikoflow.models.db import transaction
from jikoflow.models.enums import IncidentKind
from jikoflow.models.incidents.sweep import sweep_clocks
from jikoflow.models.types import utcnow
from jikoflow.notifications.dispatch import ChannelPacer, deliver_due
from jikoflow.notifications.slack import SlackChannel
from tests import acts
from tests.conftest import CliResult, Env
from tests.slack_fixtures import SLACK_TOKEN
from tests.slack_server import SlackServer

Cli = Callable[..., CliResult]
FAKERS = {locale: Faker(locale) for locale in ("ja_JP", "en_US")}
ORG_NAME = "デルタ入力サービス有限会社"


@dataclass(frozen=True)
class Personal:
    """One person's data as a responder might type it into an incident."""

    name: str
    my_number: str
    phone: str
    address: str
    email: str

    def sentence(self) -> str:
        """The data inside free text, as in a summary or a containment note."""
        return (
            f"{self.name}（個人番号 {self.my_number}、電話 {self.phone}、住所 {self.address}、"
            f"{self.email}）の書類を含む封筒の所在不明"
        )


def _personal(locale: str, seed: int, my_number: str) -> Personal:
    fake = FAKERS[locale]
    fake.seed_instance(seed)
    return Personal(
        fake.name(), my_number, fake.phone_number(), fake.address().replace("\n", " "), fake.email()
    )


personal_data = st.builds(
    _personal,
    st.sampled_from(sorted(FAKERS)),
    st.integers(min_value=0, max_value=2**32),
    st.from_regex(r"[1-9][0-9]{11}", fullmatch=True),
)


def _bodies(slack: SlackServer) -> list[str]:
    """Every request body as sent and as decoded (JSON escapes non-ASCII text)."""
    out = []
    for request in slack.requests:
        out.append(request.raw)
        out.append(json.dumps(request.body, ensure_ascii=False))
    return out


def _assert_absent(person: Personal, bodies: list[str]) -> None:
    for value in (person.sentence(), *astuple(person)):
        leaked = [b for b in bodies if value in b]
        assert not leaked, f"{value!r} reached Slack"


@pytest.fixture
def parties_loaded(sqlite_env: Env, cli: Cli, parties_file: Path) -> Env:
    """SQLite with the sample parties."""
    assert cli("parties", "load", parties_file).code == 0
    return sqlite_env


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(person=personal_data, other=personal_data, kind=st.sampled_from(IncidentKind))
def test_personal_data_in_an_incident_never_reaches_slack(
    parties_loaded: Env,
    slack_server: SlackServer,
    person: Personal,
    other: Personal,
    kind: IncidentKind,
) -> None:
    slack_server.reset()
    url = parties_loaded.url
    now = utcnow()
    with transaction(url) as session:
        incident = acts.declare(
            session, kind=kind, summary=person.sentence(), by="watanabe", now=now
        ).incident.id
        acts.contain(session, incident, other.sentence(), by="watanabe", now=now)
        acts.cause(session, incident, person.sentence(), now=now)
        acts.measure(session, incident, other.sentence(), now=now)
        # A month later every remaining clock has warned and run out.
        sweep_clocks(session, now + timedelta(days=60), incident_id=incident)
    stats = deliver_due(
        url,
        SlackChannel(SLACK_TOKEN, slack_server.url),
        subjects=[incident],
        now=now + timedelta(days=60),
        # No pause between posts: the fake Slack does not rate-limit, and time is not waited on.
        pacer=ChannelPacer(0.0),
    )
    assert stats.sent >= 5
    bodies = _bodies(slack_server)
    # The decoded bodies are the messages: the organisation's name is there, the data is not.
    assert any(ORG_NAME in b for b in bodies)
    _assert_absent(person, bodies)
    _assert_absent(other, bodies)


@pytest.mark.prefect
def test_the_cli_and_flow_post_no_personal_data(
    loaded_env: Env, slack_env: SlackServer, cli: Cli
) -> None:
    person = _personal("ja_JP", 24, "123456789012")
    declared = cli(
        "declare",
        "--contract",
        "C-2026-001",
        "--org",
        "delta",
        "--kind",
        "leak",
        "--summary",
        person.sentence(),
        "--by",
        "watanabe",
        "--json",
    )
    assert declared.code == 0, declared.err
    incident = declared.json()["id"]
    for argv in (
        ["contain", incident, "--action", person.sentence(), "--done"],
        ["cause", incident, "--text", person.sentence()],
        ["prevent", incident, "--measure", person.sentence()],
    ):
        result = cli(*argv, "--by", "watanabe")
        assert result.code == 0, result.err
    later = (utcnow() + timedelta(days=60)).isoformat()
    assert cli("sweep", "--now", later).code == 0
    assert len(slack_env.calls("chat.postMessage")) >= 5
    # The summary is kept in the database and shown by `status`, only never in chat.
    assert person.name in cli("status", incident, "--json").json()["summary"]
    _assert_absent(person, _bodies(slack_env))
