"""Transports behind one outbox: each delivers, retries and fails on its own, a report counts as
delivered once any transport delivered it and as failed only when every one failed, addresses
are resolved when a message is sent, and a card shows the reports as they are when it is posted
or updated. The second transport is an e-mail stand-in built on the `Channel` interface alone."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlmodel import select

from jikoflow.models.audit.service import events_of
from jikoflow.models.db import reading, transaction
from jikoflow.models.enums import ReportStatus
from jikoflow.models.incidents.tables import Report
from jikoflow.models.outbox.facts import OutboxStatus
from jikoflow.models.outbox.service import waiting
from jikoflow.models.outbox.tables import Notification, Transport
from jikoflow.models.parties.tables import Organization
from jikoflow.notifications.base import Addressee, DeliveryError, Message, Sent
from jikoflow.notifications.dispatch import deliver_due
from jikoflow.notifications.memory import MemoryLedger
from tests.slack_fixtures import OutboxWorld

RECIPIENTS = {"nerima", "acme", "beta", "gamma"}


class Mail:
    """What an e-mail transport needs to honour: send, a pace, an address, a ledger."""

    transport = Transport.EMAIL
    interval = 0.0

    def __init__(self, *, refused: frozenset[str] = frozenset()) -> None:
        self.ledger = MemoryLedger()
        self.refused = refused
        self.sent: list[tuple[str, str | None, Message]] = []

    def resolve(self, to: Addressee) -> str | None:
        return f"{to.org_id}@example.lg.jp" if to.org_id else to.email

    def send(self, address: str, message: Message, *, thread: str | None = None) -> Sent:
        if address in self.refused:
            raise DeliveryError("550 mailbox unavailable", permanent=True)
        self.sent.append((address, thread, message))
        return Sent(address, f"<{len(self.sent)}@jikoflow.example>")


@pytest.fixture
def by_chat_and_mail(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every message is queued for chat and for e-mail, as it will be once e-mail exists."""
    monkeypatch.setattr("jikoflow.models.outbox.facts.QUEUED", (Transport.CHAT, Transport.EMAIL))


def reports(world: OutboxWorld, incident: str) -> dict[str, ReportStatus]:
    with reading(world.url) as session:
        rows = session.exec(select(Report).where(Report.incident_id == incident)).all()
        return {r.recipient_id: r.status for r in rows}


def statuses(world: OutboxWorld, org: str) -> dict[Transport, str]:
    with reading(world.url) as session:
        rows = session.exec(select(Notification).where(Notification.org_id == org)).all()
        return {r.transport: r.status for r in rows}


@pytest.mark.usefixtures("by_chat_and_mail")
def test_a_report_chat_cannot_deliver_is_delivered_by_mail(outbox_world: OutboxWorld) -> None:
    world = outbox_world
    incident = world.declare()
    with reading(world.url) as session:
        queued = Counter(r.transport for r in session.exec(select(Notification)))
    assert queued == {Transport.CHAT: 5, Transport.EMAIL: 5}
    world.slack.known_channels = {"C0NERIMA", "C0ACME", "C0GAMMA", "C0DELTA"}
    chat = world.deliver()
    assert (chat.sent, chat.failed) == (4, 1)
    # Chat failed for beta for good, but mail may still deliver it: not failed yet.
    assert reports(world, incident)["beta"] is ReportStatus.PENDING
    # Nothing waits for chat any more; all five wait for mail.
    assert waiting(world.url, [incident], transports={Transport.CHAT}) == 0
    assert waiting(world.url, [incident]) == 5
    mail = Mail()
    stats = deliver_due(world.url, mail, now=world.t0)
    assert (stats.sent, stats.failed) == (5, 0)
    assert statuses(world, "beta") == {Transport.CHAT: "failed", Transport.EMAIL: "sent"}
    assert set(reports(world, incident).values()) == {ReportStatus.DELIVERED}
    assert {address for address, _, _ in mail.sent} == {
        f"{org}@example.lg.jp" for org in [*RECIPIENTS, "delta"]
    }
    with reading(world.url) as session:
        trail = [
            (e.action, e.detail["to"], e.detail["via"])
            for e in events_of(session, incident)
            if e.action.startswith("report_")
        ]
    assert ("report_failed", "beta", "chat") in trail
    assert ("report_sent", "beta", "email") in trail
    # A later message replies in each address's conversation, in each transport of its own.
    from tests import acts

    with transaction(world.url) as session:
        acts.contain(session, incident, "隔離", now=world.at(minutes=5))
    deliver_due(world.url, mail, now=world.at(minutes=6))
    first = {address: i for i, (address, _, _) in enumerate(mail.sent[:5], start=1)}
    for address, thread, _ in mail.sent[5:]:
        assert thread == f"<{first[address]}@jikoflow.example>"


@pytest.mark.usefixtures("by_chat_and_mail")
def test_a_report_fails_only_when_every_transport_failed(outbox_world: OutboxWorld) -> None:
    world = outbox_world
    incident = world.declare()
    deliver_due(world.url, Mail(refused=frozenset({"beta@example.lg.jp"})), now=world.t0)
    assert reports(world, incident)["beta"] is ReportStatus.PENDING  # chat has not tried yet
    world.slack.known_channels = {"C0NERIMA", "C0ACME", "C0GAMMA", "C0DELTA"}
    world.deliver()
    assert statuses(world, "beta") == {Transport.CHAT: "failed", Transport.EMAIL: "failed"}
    assert reports(world, incident) == {
        "nerima": ReportStatus.DELIVERED,
        "acme": ReportStatus.DELIVERED,
        "beta": ReportStatus.FAILED,
        "gamma": ReportStatus.DELIVERED,
    }


def test_the_channel_is_read_when_the_message_is_sent(outbox_world: OutboxWorld) -> None:
    world = outbox_world
    world.declare()
    with transaction(world.url) as session:
        beta = session.get_one(Organization, "beta")
        beta.slack_channel = "C0BETANEW"  # the parties file changed after the report was queued
        session.add(beta)
    assert world.deliver().sent == 5
    channels = Counter(p.body["channel"] for p in world.posts())
    assert channels == {"C0NERIMA": 1, "C0ACME": 1, "C0BETANEW": 1, "C0GAMMA": 1, "C0DELTA": 1}
    [to_beta] = world.rows(org_id="beta")
    assert (to_beta.channel, to_beta.status) == ("C0BETANEW", OutboxStatus.SENT)


def card_reports(card: dict) -> list[str]:
    """The report lines of a card as Slack shows it."""
    [lines] = [
        b["text"]["text"]
        for b in card["blocks"]
        if b.get("text", {}).get("text", "").startswith("*報告の状況*")
    ]
    return lines.splitlines()[1:]


def test_a_card_shows_the_reports_as_they_are_when_posted_and_when_updated(
    outbox_world: OutboxWorld,
) -> None:
    world = outbox_world
    world.declare()
    stats = world.deliver()
    assert stats.sent == 5
    posted = {p.body["channel"]: p.body for p in world.posts()}
    # Posted: the report this card delivers is shown delivered, those still on their way not.
    nerima_posted = card_reports(posted["C0NERIMA"])
    assert "• 練馬区 情報政策課: 送信済" in nerima_posted
    assert "• ベータソリューションズ株式会社: 未送信" in nerima_posted
    # Once the pass is over every card is brought up to date: all four delivered.
    assert stats.cards_updated == 5
    for channel in posted:
        [card] = world.slack.messages(channel)
        assert card_reports(card) == [
            "• ガンマデータセンター株式会社: 送信済",
            "• ベータソリューションズ株式会社: 送信済",
            "• アクメ情報システム株式会社: 送信済",
            "• 練馬区 情報政策課: 送信済",
        ]
    updates = len(world.slack.calls("chat.update"))
    assert world.deliver(world.at(minutes=5)).cards_updated == 0
    assert len(world.slack.calls("chat.update")) == updates
