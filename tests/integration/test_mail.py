"""E-mail as a second transport, against a real SMTP server (aiosmtpd): what arrives (headers
decoded, UTF-8, the portal's link, nothing typed), one thread per incident, 4xx retried, 5xx
failed and shown, a server down then up, a resend after a crash being the same message, and
`status` naming the channels each report reached. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlmodel import select

from jikoflow.models.access import OPERATOR
from jikoflow.models.db import reading, transaction
from jikoflow.models.incidents.service import incident_status
from jikoflow.models.outbox.facts import OutboxStatus
from jikoflow.models.outbox.service import STALE_CLAIM, candidates, claim
from jikoflow.models.outbox.tables import Notification, Transport
from jikoflow.notifications.base import Message
from jikoflow.notifications.mail_tables import MailMessage, MailThread
from jikoflow.notifications.service import list_messages
from tests import acts
from tests.mail_fixtures import PORTAL, SENDER, MailWorld

SUMMARY = "住民票の写し3通を誤送付（山田 太郎 様 090-1234-5678）"
NERIMA = "joho@example.lg.jp, tanaka@example.jp"
ACME = "suzuki@example.jp"


def mail_rows(world: MailWorld, **where: object) -> list[Notification]:
    with reading(world.url) as session:
        query = select(Notification).where(Notification.transport == Transport.EMAIL)
        for name, value in where.items():
            query = query.where(getattr(Notification, name) == value)
        return list(session.exec(query.order_by(Notification.id)))


def test_reports_arrive_in_japanese_with_the_link_and_nothing_typed(mail_world: MailWorld) -> None:
    incident = mail_world.world.declare(summary=SUMMARY)
    stats = mail_world.deliver()
    # nerima has a role address and a manager's; acme a manager's; beta, gamma and delta none.
    assert (stats.sent, stats.unreachable, stats.failed) == (2, 3, 0)
    envelopes = {tuple(to): data for _, to, data in mail_world.smtp.envelopes}
    assert set(envelopes) == {("joho@example.lg.jp", "tanaka@example.jp"), ("suzuki@example.jp",)}
    for data in envelopes.values():
        assert data.isascii()  # headers RFC 2047-encoded, the body base64
    ward = next(m for m in mail_world.smtp.messages if m["To"] == NERIMA)
    assert ward["From"] == SENDER
    assert ward["Subject"] == f"事故等 {incident}（住民情報システム運用保守業務）"
    assert ward["Auto-Submitted"] == "auto-generated"
    assert ward["Message-ID"].endswith("@example.lg.jp>")
    sent = parsedate_to_datetime(ward["Date"])
    assert ward["Date"].endswith(" +0900")  # written in Tokyo time
    assert abs(sent - datetime.now(UTC)) < timedelta(minutes=1)
    assert ward.get_content_type() == "text/plain"
    assert ward.get_content_charset() == "utf-8"
    body = ward.get_content()
    assert "デルタ入力サービス有限会社 から練馬区 情報政策課へ、漏えい（おそれ）" in body
    assert f"{PORTAL}/incidents/{incident}" in body
    assert "受領確認" in body
    assert "■ 報告の状況" in body  # the first e-mail of a thread shows every report
    for message in mail_world.smtp.messages:
        assert "住民票" not in message.as_string()
        assert "山田" not in message.get_content()


def test_one_thread_per_incident_and_recipients(mail_world: MailWorld) -> None:
    incident = mail_world.world.declare()
    mail_world.deliver()
    with transaction(mail_world.url) as session:
        acts.contain(
            session, incident, "端末を隔離", by="watanabe", now=mail_world.world.at(minutes=5)
        )
    mail_world.deliver(mail_world.world.at(minutes=6))
    ward = [m for m in mail_world.smtp.messages if m["To"] == NERIMA]
    assert len(ward) == 2
    first, reply = ward
    assert "In-Reply-To" not in first
    assert reply["In-Reply-To"] == first["Message-ID"]
    assert reply["References"] == first["Message-ID"]
    assert reply["Subject"] == f"Re: {first['Subject']}"
    assert "■ 報告の状況" not in reply.get_content()
    with reading(mail_world.url) as session:
        threads = list(session.exec(select(MailThread)))
        sent = list(session.exec(select(MailMessage).order_by(MailMessage.notification_id)))
    assert {(t.subject_id, t.address) for t in threads} == {(incident, ACME), (incident, NERIMA)}
    assert [m.in_reply_to for m in sent if m.address == NERIMA] == [None, first["Message-ID"]]


def test_status_names_the_channels_that_reached_each_recipient(mail_world: MailWorld) -> None:
    incident = mail_world.world.declare()
    mail_world.deliver()
    mail_world.world.deliver()  # chat too, through the fake Slack
    with reading(mail_world.url) as session:
        view = incident_status(session, actor=OPERATOR, incident_id=incident)
    reached = {r.to: [str(c) for c in r.channels] for r in view.reports}
    assert reached == {
        "nerima": ["chat", "email"],
        "acme": ["chat", "email"],
        "beta": ["chat"],
        "gamma": ["chat"],
    }


def test_a_temporary_refusal_is_retried_with_backoff(mail_world: MailWorld) -> None:
    mail_world.world.declare()
    mail_world.smtp.fail_next(451, "4.3.0 try again later")
    first = mail_world.deliver()
    assert (first.sent, first.retrying) == (1, 1)
    [waiting] = [r for r in mail_world_rows(mail_world) if r.status == OutboxStatus.PENDING]
    assert waiting.last_error == "smtp 451 4.3.0"
    assert waiting.next_attempt_at > mail_world.world.t0  # backoff: not at once
    again = mail_world.deliver(mail_world.world.at(minutes=5))
    assert (again.sent, again.retrying) == (1, 0)
    ids = [m["Message-ID"] for m in mail_world.smtp.messages]
    assert len(ids) == len(set(ids)) == 2


def mail_world_rows(world: MailWorld) -> list[Notification]:
    return [r for r in mail_rows(world) if r.org_id in ("nerima", "acme")]


def test_a_permanent_refusal_fails_and_is_shown(mail_world: MailWorld) -> None:
    incident = mail_world.world.declare()
    mail_world.smtp.fail_next(550, "5.1.1 <tanaka@example.jp>: mailbox unavailable")
    stats = mail_world.deliver()
    assert (stats.sent, stats.failed) == (1, 1)
    [failed] = [r for r in mail_world_rows(mail_world) if r.status == OutboxStatus.FAILED]
    assert failed.last_error == "smtp 550 5.1.1"  # never the server's words (an address)
    later = mail_world.deliver(mail_world.world.at(hours=2))
    assert later.sent == 0  # a failed message waits for `notifications retry`
    with reading(mail_world.url) as session:
        shown = list_messages(session, actor=OPERATOR, failed_only=True, subject_id=incident)
        view = incident_status(session, actor=OPERATOR, incident_id=incident)
    assert [(m.transport, m.org, m.last_error) for m in shown if m.status == "failed"] == [
        ("email", failed.org_id, "smtp 550 5.1.1")
    ]
    assert failed.id in {f.id for f in view.notifications.failed}


def test_a_server_down_then_up(mail_world: MailWorld) -> None:
    mail_world.world.declare()
    mail_world.smtp.stop()
    down = mail_world.deliver()
    assert (down.sent, down.retrying) == (0, 2)
    assert {r.last_error for r in mail_world_rows(mail_world)} == {
        "connection: ConnectionRefusedError"
    }
    mail_world.smtp.start()  # the same port again
    up = mail_world.deliver(mail_world.world.at(minutes=5))
    assert (up.sent, up.retrying) == (2, 0)
    assert len(mail_world.smtp.messages) == 2


def test_sent_again_after_a_crash_it_is_the_same_message(mail_world: MailWorld) -> None:
    world = mail_world.world
    world.declare()
    channel = mail_world.channel()
    rows = candidates(world.url, world.t0, transport=Transport.EMAIL)
    [held] = [c for c in claim(world.url, [r.id for r in rows], world.t0) if c.org_id == "acme"]
    # The process sends and dies before it writes the outcome down.
    channel.send(ACME, Message(text="", key=held.key, facts=held.facts))
    channel.close()
    mail_world.deliver(world.t0 + STALE_CLAIM + timedelta(seconds=1))
    to_acme = [m for m in mail_world.smtp.messages if m["To"] == ACME]
    assert len(to_acme) == 2
    assert to_acme[0]["Message-ID"] == to_acme[1]["Message-ID"]  # mail systems show it once
    with reading(world.url) as session:
        assert len(list(session.exec(select(MailMessage)))) == 2  # acme once, nerima once
    assert mail_world.deliver(world.at(hours=1)).sent == 0  # delivered once per key


@pytest.mark.usefixtures("outbox_world")
def test_mail_is_queued_only_where_it_is_configured(
    outbox_world, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JIKOFLOW_SMTP_URL", raising=False)
    outbox_world.declare()
    with reading(outbox_world.url) as session:
        transports = set(session.exec(select(Notification.transport)))
    assert transports == {Transport.CHAT}
