"""Pytest fixtures for the fake Slack server (`tests/slack_server.py`) and the outbox on it.

- `slack_server`: a running fake Slack on 127.0.0.1 (random port).
- `slack_env`: `SLACK_BOT_TOKEN` / `SLACK_API_URL` pointed at it (request it after `env`).
- `outbox_world`: a database (SQLite, then PostgreSQL) with the sample parties loaded, the
  real `SlackChannel` on the fake server, and helpers to declare and deliver at fixed times.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from tests.slack_server import Recorded, SlackServer

SLACK_TOKEN = "xoxb-jikoflow-test"
SAMPLE_PARTIES = Path(str(files("jikoflow").joinpath("sample/parties.yaml")))


@pytest.fixture
def slack_server() -> Iterator[SlackServer]:
    """A running fake Slack on 127.0.0.1 (random port), stopped after the test."""
    server = SlackServer(token=SLACK_TOKEN)
    with server:
        yield server


@pytest.fixture
def slack_env(slack_server: SlackServer, monkeypatch: pytest.MonkeyPatch) -> SlackServer:
    """`SLACK_BOT_TOKEN` and `SLACK_API_URL` pointing at the fake Slack, which is not limited.

    The fake server does not rate-limit here, so the channel's one-second pacing per address
    is switched off; pacing is tested against a rate-limited server in test_slack_volume.py.
    """
    monkeypatch.setenv("SLACK_BOT_TOKEN", SLACK_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", slack_server.url)
    monkeypatch.setattr("jikoflow.notifications.slack.SlackChannel.interval", 0.0)
    return slack_server


@dataclass(frozen=True)
class SlackRow:
    """An outbox row with where Slack has it: channel (for a row not posted yet, the one it
    would go to now), `ts` and the card's `ts` it replied under."""

    row: Any
    channel: str | None
    ts: str | None
    thread_ts: str | None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


@dataclass
class OutboxWorld:
    """A loaded database, the fake Slack and the real Slack channel pointed at it."""

    url: str
    slack: SlackServer
    # Rows are queued at the real time, so the test's clock starts there and moves explicitly.
    t0: datetime

    def at(self, **delta: float) -> datetime:
        """`t0` plus a timedelta."""
        return self.t0 + timedelta(**delta)

    def channel(self) -> Any:
        """The real Slack channel on the fake server."""
        from jikoflow.notifications.slack import SlackChannel

        return SlackChannel(SLACK_TOKEN, self.slack.url, timeout=5)

    def deliver(self, at: datetime | None = None, **options: Any) -> Any:
        """One `deliver_due` pass at `at` (default `t0`), unpaced (the fake is not limited)."""
        from jikoflow.notifications.dispatch import ChannelPacer, deliver_due

        options.setdefault("pacer", ChannelPacer(0))
        channel = options.pop("channel", None) or self.channel()
        return deliver_due(self.url, channel, now=at or self.t0, **options)

    def declare(
        self,
        org: str = "delta",
        *,
        at: datetime | None = None,
        summary: str = "封筒1通の所在不明",
        drill: bool = False,
    ) -> str:
        """Declare a suspected leak at `org` under the sample contract; returns its id."""
        from jikoflow.models.access import OPERATOR
        from jikoflow.models.db import transaction
        from jikoflow.models.enums import IncidentKind
        from jikoflow.models.incidents.service import open_incident
        from jikoflow.models.parties.queries import chain_for, get_contract, get_organization

        with transaction(self.url) as session:
            opened = open_incident(
                session,
                chain=chain_for(session, get_contract(session, "C-2026-001")),
                org=get_organization(session, org),
                kind=IncidentKind.LEAK,
                suspected=True,
                summary=summary,
                actor=OPERATOR.actor,
                now=at or self.t0,
                drill=drill,
            )
            return opened[0].id

    def rows(self, **where: Any) -> list[SlackRow]:
        """Outbox rows, oldest first, filtered by column values, with where Slack has them."""
        from sqlmodel import col, select

        from jikoflow.models.db import reading
        from jikoflow.models.outbox.tables import Notification
        from jikoflow.notifications.delivery import destinations

        with reading(self.url) as session:
            query = select(Notification).order_by(col(Notification.id))
            for name, value in where.items():
                query = query.where(getattr(Notification, name) == value)
            rows = list(session.exec(query))
            found = destinations(session, rows)
        return [SlackRow(r, *found[r.id]) for r in rows]

    def posts(self) -> list[Recorded]:
        """chat.postMessage requests the server accepted."""
        return [r for r in self.slack.calls("chat.postMessage") if r.ok]


def load_parties_file(url: str, path: Path) -> None:
    """Load a parties file into the database at `url`."""
    from jikoflow.models.db import transaction
    from jikoflow.models.parties.file import read_parties
    from jikoflow.models.parties.service import load_parties

    with transaction(url) as session:
        load_parties(session, read_parties(path))


@pytest.fixture
def outbox_world(db_url: str, slack_server: SlackServer) -> OutboxWorld:
    """The sample parties loaded into `db_url`, with the fake Slack running."""
    from jikoflow.models.types import utcnow

    load_parties_file(db_url, SAMPLE_PARTIES)
    return OutboxWorld(db_url, slack_server, utcnow() + timedelta(minutes=1))


VOLUME_EVENTS = ("report", "state", "reminder", "escalation", "submitted")


def fill_outbox(url: str, *, channels: int, incidents: int, events: int) -> int:
    """Queue `channels × incidents × events` messages, one organisation and channel each.

    Every incident opens a card in its channel; its later events go into that thread.
    """
    from jikoflow.models.db import transaction
    from jikoflow.models.enums import IncidentKind, IncidentState, OrgKind
    from jikoflow.models.incidents.tables import Incident
    from jikoflow.models.outbox.facts import NoticeEvent, NoticeFacts, enqueue
    from jikoflow.models.parties.tables import Contract, Organization
    from jikoflow.models.types import utcnow

    now = utcnow()
    with transaction(url) as session:
        orgs = [
            Organization(
                id=f"vol{c:03d}",
                name=f"組織{c:03d}",
                kind=OrgKind.SUBCONTRACTOR,
                slack_channel=f"C0VOL{c:03d}",
            )
            for c in range(channels)
        ]
        session.add_all(orgs)
        session.flush()
        session.add(
            Contract(id="C-VOL", title="負荷試験", client_id=orgs[0].id, contractor_id=orgs[0].id)
        )
        session.flush()
        ids = {(org.id, i): f"INC-VOL-{org.id}-{i:03d}" for org in orgs for i in range(incidents)}
        session.add_all(
            Incident(
                id=ident,
                contract_id="C-VOL",
                org_id=org_id,
                kind=IncidentKind.LEAK,
                suspected=True,
                summary="負荷試験",
                discovered_at=now,
                declared_at=now,
            )
            for (org_id, _), ident in ids.items()
        )
        session.flush()
        queued = 0
        for org in orgs:
            for i in range(incidents):
                for event in VOLUME_EVENTS[:events]:
                    facts = NoticeFacts(
                        event=NoticeEvent(event),
                        subject_id=ids[(org.id, i)],
                        contract_id="C-VOL",
                        contract_title="負荷試験",
                        org_id=org.id,
                        org_name=org.name,
                        recipient_id=org.id,
                        recipient_name=org.name,
                        kind=IncidentKind.LEAK,
                        suspected=True,
                        state=IncidentState.OPEN,
                        declared_at=now,
                    )
                    queued += len(enqueue(session, facts, org))
    return queued
