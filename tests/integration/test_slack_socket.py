"""Slack's buttons over Socket Mode: slack-sdk's own client asks the fake Web API for a
connection (`apps.connections.open` with the app-level token), connects to a local WebSocket
server speaking the envelope protocol (hello, an interactive envelope), acknowledges the
envelope, and the click is answered as one over HTTP: acknowledged as the manager, or refused
in a line only the clicker sees."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from jikoflow.models.db import reading, transaction
from jikoflow.models.enums import Lang, ReportStatus
from jikoflow.models.incidents.tables import Report
from jikoflow.models.settings import Settings
from jikoflow.models.types import utcnow
from jikoflow.notifications.delivery import deliver
from jikoflow.notifications.messages import ACK_ACTION, ack_value
from jikoflow.notifications.slack_socket import SocketButtons
from tests import acts
from tests.slack_fixtures import SAMPLE_PARTIES, SLACK_TOKEN, load_parties_file
from tests.slack_server import SlackServer
from tests.slack_socket import SocketServer

APP_TOKEN = "xapp-1-A0JIKO-jikoflow-test"


@pytest.fixture
def socket_world(
    sqlite_url: str, slack_server: SlackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Settings, SocketServer, str]]:
    load_parties_file(sqlite_url, SAMPLE_PARTIES)
    monkeypatch.setattr("jikoflow.notifications.slack.SlackChannel.interval", 0.0)
    settings = Settings(
        home=tmp_path / "home",
        database_url=sqlite_url,
        slack_token=SLACK_TOKEN,
        slack_api_url=slack_server.url,
        lang=Lang.JA,
        slack_app_token=APP_TOKEN,
    )
    with transaction(sqlite_url) as session:
        incident = acts.declare(session, suspected=True, now=utcnow()).incident.id
    deliver(settings, subjects=[incident])
    with SocketServer() as socket:
        slack_server.workspace.app_token = APP_TOKEN
        slack_server.workspace.socket_url = socket.url
        yield settings, socket, incident


def click(user: str, incident: str, org: str, channel: str) -> dict[str, object]:
    """A `block_actions` payload as Slack puts it in an interactive envelope."""
    return {
        "type": "block_actions",
        "user": {"id": user},
        "channel": {"id": channel},
        "container": {"type": "message", "channel_id": channel},
        "actions": [{"action_id": ACK_ACTION, "value": ack_value(incident, org)}],
    }


def status_of(url: str, incident: str, org: str) -> ReportStatus:
    with reading(url) as session:
        query = select(Report.status).where(
            Report.incident_id == incident, Report.recipient_id == org
        )
        return ReportStatus(session.exec(query).one())


def test_a_click_over_socket_mode_is_acknowledged_and_answered(
    socket_world: tuple[Settings, SocketServer, str], slack_server: SlackServer
) -> None:
    settings, socket, incident = socket_world
    buttons = SocketButtons(settings)
    buttons.start()
    try:
        socket.wait(lambda: socket.connections == 1)
        [opened] = slack_server.calls("apps.connections.open")
        assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"

        refused = socket.push("interactive", click("U0SUZUKI", incident, "nerima", "C0NERIMA"))
        socket.wait(lambda: socket.acknowledged(refused))
        socket.wait(slack_server.workspace.ephemeral)
        [whisper] = slack_server.workspace.ephemeral()
        assert (whisper["channel"], whisper["user"]) == ("C0NERIMA", "U0SUZUKI")
        assert status_of(settings.database_url, incident, "nerima") is ReportStatus.DELIVERED

        envelope = socket.push("interactive", click("U0TANAKA", incident, "nerima", "C0NERIMA"))
        socket.wait(lambda: socket.acknowledged(envelope))
        url = settings.database_url
        socket.wait(lambda: status_of(url, incident, "nerima") is ReportStatus.ACKNOWLEDGED)
        socket.wait(lambda: "受領確認済（田中 一郎、" in str(slack_server.messages("C0NERIMA")))
    finally:
        buttons.stop()
    assert [m for m in socket.received if "envelope_id" in m] == [
        {"envelope_id": refused},
        {"envelope_id": envelope},
    ]
