"""Slack's 「受領確認」 button over HTTP, against the running web app (uvicorn) and the fake Slack:
requests signed with a test secret by slack-sdk's own signer. The right manager's click
acknowledges (audited as that person through Slack), the reporter's channel hears of it and the
card shows who and when; the wrong person or organisation is refused in a line only they see;
a bad signature or a stale timestamp is refused outright; a replay changes nothing twice.
SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier
from sqlmodel import select

from jikoflow.models.audit.service import events_of
from jikoflow.models.db import reading
from jikoflow.models.enums import Lang, ReportStatus
from jikoflow.models.incidents.tables import Report
from jikoflow.models.outbox.tables import Notification
from jikoflow.models.settings import Settings
from jikoflow.models.types import utcnow
from jikoflow.notifications.delivery import deliver
from jikoflow.notifications.messages import ACK_ACTION, ack_value
from tests.integration.conftest import table_rows
from tests.live_server import LiveServer
from tests.slack_fixtures import SLACK_TOKEN, load_parties_file
from tests.slack_server import SlackServer
from tests.web_fixtures import Clock

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PORTAL = "https://portal.example.lg.jp"


@dataclass
class Buttons:
    """The web app with Slack configured, an incident reported to every tier, the fake Slack."""

    url: str
    settings: Settings
    slack: SlackServer
    clock: Clock
    incident: str

    def click(
        self,
        user: str,
        org: str = "nerima",
        *,
        channel: str = "C0NERIMA",
        secret: str = SECRET,
        age: float = 0.0,
        body: bytes | None = None,
    ) -> httpx.Response:
        """POST a signed click on the acknowledge button of `org`'s card, as Slack would."""
        body = body or self.body(user, org, channel)
        timestamp = str(int(self.clock().timestamp() - age))
        signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature or "",
        }
        # A busy machine (CI) can take longer than httpx's 5-s default to answer.
        return httpx.post(
            f"{self.url}/slack/interactions", content=body, headers=headers, timeout=30
        )

    def body(self, user: str, org: str = "nerima", channel: str = "C0NERIMA") -> bytes:
        """The form body of a `block_actions` interaction."""
        payload = {
            "type": "block_actions",
            "user": {"id": user, "team_id": "T0JIKOTEST"},
            "team": {"id": "T0JIKOTEST"},
            "channel": {"id": channel},
            "container": {"type": "message", "channel_id": channel},
            "actions": [
                {"type": "button", "action_id": ACK_ACTION, "value": ack_value(self.incident, org)}
            ],
        }
        return urlencode({"payload": json.dumps(payload)}).encode()

    def report(self, org: str) -> Report:
        with reading(self.settings.database_url) as session:
            return session.exec(
                select(Report).where(
                    Report.incident_id == self.incident, Report.recipient_id == org
                )
            ).one()

    def rows(self) -> dict[str, list[tuple[str, ...]]]:
        return table_rows(self.settings.database_url, reflect=False)


def wait(condition: Callable[[], object], timeout: float = 20.0) -> None:
    """Until `condition()` holds: the app answers Slack first and follows up after."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the follow-up did not happen in time"
        time.sleep(0.02)


@pytest.fixture
def buttons(
    db_url: str,
    slack_server: SlackServer,
    tmp_path: Path,
    parties_variant: Callable[[Callable[[dict[str, Any]], object]], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Buttons]:
    from jikoflow.web import create_app
    from tests import acts

    def sato_on_slack(data: dict[str, Any]) -> None:
        acme = next(o for o in data["organizations"] if o["id"] == "acme")
        next(p for p in acme["people"] if p["id"] == "sato")["slack_user"] = "U0SATO"

    load_parties_file(db_url, parties_variant(sato_on_slack))
    monkeypatch.setattr("jikoflow.notifications.slack.SlackChannel.interval", 0.0)
    settings = Settings(
        home=tmp_path / "home",
        database_url=db_url,
        slack_token=SLACK_TOKEN,
        slack_api_url=slack_server.url,
        lang=Lang.JA,
        base_url=PORTAL,
        slack_signing_secret=SECRET,
    )
    clock = Clock(utcnow())
    from jikoflow.models.db import transaction

    with transaction(db_url) as session:
        incident = acts.declare(session, suspected=True, now=clock()).incident.id
    deliver(settings, subjects=[incident])
    with LiveServer(create_app(settings, clock=clock)) as server:
        yield Buttons(server.url, settings, slack_server, clock, incident)


def test_the_right_manager_acknowledges_from_the_card(buttons: Buttons) -> None:
    [card] = buttons.slack.messages("C0NERIMA")
    assert [e["action_id"] for e in card["blocks"][-1]["elements"]] == [
        "jikoflow_ack",
        "jikoflow_open",
    ]
    answer = buttons.click("U0TANAKA")
    assert answer.status_code == 200
    report = buttons.report("nerima")
    assert (report.status, report.acknowledged_by) == (ReportStatus.ACKNOWLEDGED, "tanaka")
    assert report.acknowledged_at == buttons.clock()
    with reading(buttons.settings.database_url) as session:
        [event] = [e for e in events_of(session, buttons.incident) if e.action == "acknowledged"]
    assert (event.actor, event.detail) == ("tanaka", {"org": "nerima", "via": "slack"})

    # The reporting organisation's channel hears that its report was received (in its thread).
    def told() -> list[dict[str, Any]]:
        [delta_card] = buttons.slack.messages("C0DELTA")
        return [
            m
            for m in buttons.slack.replies("C0DELTA", delta_card["ts"])
            if m["metadata"]["event_payload"]["key"].split(":")[1] == "acknowledged"
        ]

    wait(told)
    assert (
        "練馬区 情報政策課が デルタ入力サービス有限会社 からの報告を受領しました"
        in told()[0]["text"]
    )

    # The card where the button was clicked shows who and when, and no button any more.
    def updated() -> bool:
        blocks = buttons.slack.messages("C0NERIMA")[0]["blocks"]
        return "受領確認済（田中 一郎、" in json.dumps(blocks, ensure_ascii=False)

    wait(updated)
    blocks = buttons.slack.messages("C0NERIMA")[0]["blocks"]
    assert [e["action_id"] for e in blocks[-1]["elements"]] == ["jikoflow_open"]
    assert not buttons.slack.workspace.ephemeral()


@pytest.mark.parametrize(
    ("user", "org", "channel"),
    [
        ("U0SATO", "acme", "C0ACME"),  # a worker of the recipient: only managers may
        ("U0SUZUKI", "nerima", "C0NERIMA"),  # a manager of another organisation
        ("U0NOBODY", "nerima", "C0NERIMA"),  # nobody in the parties file
    ],
)
def test_anyone_else_is_refused_in_a_line_only_they_see(
    buttons: Buttons, user: str, org: str, channel: str
) -> None:
    before = buttons.rows()
    answer = buttons.click(user, org, channel=channel)
    assert answer.status_code == 200
    wait(buttons.slack.workspace.ephemeral)
    [whisper] = buttons.slack.workspace.ephemeral()
    assert (whisper["channel"], whisper["user"]) == (channel, user)
    assert whisper["text"].startswith("受領確認できません")
    assert buttons.rows() == before
    assert buttons.report(org).status is ReportStatus.DELIVERED


@pytest.mark.parametrize(
    "forged",
    [
        {"secret": "another-apps-signing-secret-0000"},  # not signed by Slack
        {"age": 6 * 60},  # signed, but more than five minutes ago
    ],
)
def test_a_request_slack_did_not_sign_just_now_is_refused(
    buttons: Buttons, forged: dict[str, Any]
) -> None:
    before = buttons.rows()
    answer = buttons.click("U0TANAKA", **forged)
    assert answer.status_code == 401
    assert buttons.rows() == before
    assert buttons.report("nerima").status is ReportStatus.DELIVERED


def test_a_replayed_click_changes_nothing_twice(buttons: Buttons) -> None:
    body = buttons.body("U0TANAKA")
    assert buttons.click("U0TANAKA", body=body).status_code == 200
    wait(lambda: [r.status for r in told_rows(buttons)] == ["sent"])
    after_first = acted(buttons)
    assert buttons.click("U0TANAKA", body=body).status_code == 200  # the very same request
    assert buttons.click("U0TANAKA").status_code == 200  # a second click
    assert acted(buttons) == after_first
    # Anything a replay had queued would go now; nothing does.
    assert deliver(buttons.settings, subjects=[buttons.incident]).sent == 0
    assert buttons.report("nerima").acknowledged_at == buttons.clock()


def acted(buttons: Buttons) -> dict[str, list[tuple[str, ...]]]:
    """What an acknowledgement changes: reports, the audit trail, the outbox."""
    rows = buttons.rows()
    return {name: rows[name] for name in ("report", "auditevent", "notification")}


def told_rows(buttons: Buttons) -> list[Notification]:
    with reading(buttons.settings.database_url) as session:
        return list(
            session.exec(
                select(Notification).where(
                    Notification.incident_id == buttons.incident,
                    Notification.event == "acknowledged",
                )
            )
        )


def test_a_contact_check_is_confirmed_from_its_card(buttons: Buttons) -> None:
    from jikoflow.drills.tables import DrillParticipant
    from jikoflow.models.db import transaction
    from tests import acts

    with transaction(buttons.settings.database_url) as session:
        drill = acts.contact_check(session, now=buttons.clock()).id
    deliver(buttons.settings, subjects=[drill])
    card = next(m for m in buttons.slack.messages("C0NERIMA") if drill in m["text"])
    ack = card["blocks"][-1]["elements"][0]
    assert ack["action_id"] == "jikoflow_drill_ack"
    payload = {
        "type": "block_actions",
        "user": {"id": "U0TANAKA"},
        "channel": {"id": "C0NERIMA"},
        "actions": [{"action_id": ack["action_id"], "value": ack["value"]}],
    }
    answer = buttons.click("U0TANAKA", body=urlencode({"payload": json.dumps(payload)}).encode())
    assert answer.status_code == 200
    with reading(buttons.settings.database_url) as session:
        reached = session.exec(
            select(DrillParticipant).where(
                DrillParticipant.drill_id == drill, DrillParticipant.org_id == "nerima"
            )
        ).one()
    assert (reached.acknowledged_by, reached.acknowledged_at) == ("tanaka", buttons.clock())
