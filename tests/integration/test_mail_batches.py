"""E-mail in volume against a real SMTP server (aiosmtpd): outcomes are written back in batches,
and a batch keeps every promise a single message does. A crash before a batch is written back
resends the same messages (same Message-ID, same thread), so a receiver shows each once; a batch
with refusals retries only the refused; a pass reuses a few connections for many messages; two
dispatcher processes racing over one outbox send every message once. SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from jikoflow.models.db import reading, transaction
from jikoflow.models.outbox.facts import OutboxStatus
from jikoflow.models.outbox.service import STALE_CLAIM, Settlement, candidates, claim, settle
from jikoflow.models.outbox.tables import Notification, Transport
from jikoflow.models.parties.tables import Organization
from jikoflow.models.types import utcnow
from jikoflow.notifications.base import Receipt
from jikoflow.notifications.dispatch import ChannelPacer, DeliveryStats, deliver_due
from jikoflow.notifications.mail import MailChannel, message_id
from jikoflow.notifications.mail_ledger import MailLedger
from jikoflow.notifications.mail_tables import MailMessage, MailThread
from tests.conftest import subprocess_environ
from tests.mail_fixtures import SENDER
from tests.slack_fixtures import fill_outbox
from tests.smtp_server import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = "example.lg.jp"


def mail_outbox(url: str, smtp: SmtpServer, mp: pytest.MonkeyPatch, *, orgs: int) -> datetime:
    """`orgs` organisations with an address each, five e-mails queued to each (the first opens
    the incident's thread); returns a time at which all of them are due."""
    mp.setenv("JIKOFLOW_SMTP_URL", smtp.url)
    fill_outbox(url, channels=orgs, incidents=1, events=5)
    with transaction(url) as session:
        for org in session.exec(select(Organization)):
            org.email = f"{org.id}@{DOMAIN}"
            session.add(org)
    return utcnow() + timedelta(minutes=1)


def deliver(
    url: str, smtp: SmtpServer, at: datetime, *, channel: MailChannel | None = None, **options: Any
) -> DeliveryStats:
    """One e-mail pass at `at`, unpaced."""
    channel = channel or MailChannel(smtp.url, SENDER, timeout=5)
    try:
        return deliver_due(url, channel, now=at, pacer=ChannelPacer(0), **options)
    finally:
        channel.close()


def mail_rows(url: str) -> list[Notification]:
    with reading(url) as session:
        query = select(Notification).where(Notification.transport == Transport.EMAIL)
        return list(session.exec(query.order_by(col(Notification.id))))


def ident(row: Notification) -> str:
    return message_id(row.key, DOMAIN)


def by_message_id(messages: Sequence[EmailMessage]) -> dict[str, list[EmailMessage]]:
    found: dict[str, list[EmailMessage]] = {}
    for message in messages:
        found.setdefault(str(message["Message-ID"]), []).append(message)
    return found


class Crash(Exception):
    """The process died."""


class DiesBeforeWritingBack(MailLedger):
    """The e-mail ledger of a process that dies once its first batch is sent, before the
    transaction that writes the batch back commits."""

    def record(self, session: Session, receipts: Sequence[Receipt]) -> None:
        raise Crash("died before the write-back committed")


def test_a_crash_before_the_write_back_resends_the_same_messages(
    db_url: str, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    t0 = mail_outbox(db_url, smtp_server, monkeypatch, orgs=6)
    dying = MailChannel(smtp_server.url, SENDER, timeout=5)
    dying.ledger = DiesBeforeWritingBack()
    with pytest.raises(Crash):
        deliver(db_url, smtp_server, t0, channel=dying)
    rows = mail_rows(db_url)
    assert len(rows) == 30
    assert {r.status for r in rows} == {OutboxStatus.SENDING}  # nothing was written back
    first = smtp_server.messages
    assert {str(m["Message-ID"]) for m in first} <= {ident(r) for r in rows}
    # Another dispatcher takes the stale claims over and sends what it cannot know was sent.
    again = deliver(db_url, smtp_server, t0 + STALE_CLAIM + timedelta(seconds=1))
    assert again.sent == 30
    received = by_message_id(smtp_server.messages)
    assert set(received) == {ident(r) for r in rows}  # a receiver keeps one of each
    for copies in received.values():
        assert len(copies) <= 2
        # A copy is the same message: its thread, recipients, subject and words.
        assert (
            len({(m["In-Reply-To"], m["References"], m["To"], m["Subject"]) for m in copies}) == 1
        )
        assert len({m.get_content() for m in copies}) == 1
    assert sum(len(c) == 2 for c in received.values()) == len(first)
    rows = mail_rows(db_url)
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    with reading(db_url) as session:
        kept = {m.notification_id: m for m in session.exec(select(MailMessage))}
        threads = {t.address: t.message_id for t in session.exec(select(MailThread))}
    assert {i: m.message_id for i, m in kept.items()} == {r.id: ident(r) for r in rows}
    assert len(threads) == 6  # one thread per incident and address
    for row in rows:
        opening = threads[f"{row.org_id}@{DOMAIN}"]
        assert kept[row.id].in_reply_to == (None if ident(row) == opening else opening)
    assert deliver(db_url, smtp_server, t0 + timedelta(hours=1)).sent == 0


def test_refusals_in_a_batch_retry_only_the_refused(
    db_url: str, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    t0 = mail_outbox(db_url, smtp_server, monkeypatch, orgs=6)
    # Once every thread is open, three replies are refused for now and one for good.
    smtp_server.fail_next(451, "4.3.0 try again later", times=3, after=6)
    smtp_server.fail_next(550, "5.1.1 mailbox unavailable")
    first = deliver(db_url, smtp_server, t0, workers=1)
    refused = {str(m["Message-ID"]): reply[:3] for reply, m in smtp_server.rejected}
    assert sorted(refused.values()) == ["451", "451", "451", "550"]  # each refused once
    assert (first.sent, first.retrying, first.failed) == (30 - 3 * 4 - 1, 3, 1)
    rows = {ident(r): r for r in mail_rows(db_url)}
    accepted = {str(m["Message-ID"]) for m in smtp_server.messages}
    assert accepted == {i for i, r in rows.items() if r.status == OutboxStatus.SENT}
    [failed] = [i for i, code in refused.items() if code == "550"]
    assert (rows[failed].status, rows[failed].last_error) == (OutboxStatus.FAILED, "smtp 550 5.1.1")
    # An address that refused for now takes nothing more in this pass: its later messages wait.
    waiting = {r.org_id for i, r in rows.items() if refused.get(i) == "451"}
    assert len(waiting) == 3
    assert {i for i, r in rows.items() if r.status == OutboxStatus.PENDING} == {
        i for i, r in rows.items() if r.org_id in waiting and i not in accepted
    }
    assert {rows[i].last_error for i in refused if refused[i] == "451"} == {"smtp 451 4.3.0"}
    later = deliver(db_url, smtp_server, t0 + timedelta(hours=2))
    assert (later.sent, later.retrying, later.failed) == (12, 0, 0)  # only what waited
    accepted_now = Counter(str(m["Message-ID"]) for m in smtp_server.messages)
    assert set(accepted_now.values()) == {1}  # nothing sent twice
    assert set(accepted_now) == set(rows) - {failed}
    assert {r.status for r in mail_rows(db_url) if ident(r) != failed} == {OutboxStatus.SENT}


def test_a_pass_sends_many_messages_over_a_few_connections(
    db_url: str, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    t0 = mail_outbox(db_url, smtp_server, monkeypatch, orgs=12)
    stats = deliver(db_url, smtp_server, t0, workers=3)
    assert stats.sent == 60
    assert 1 <= smtp_server.connections <= 3  # one per worker at most, reused


def test_a_batch_writes_each_outcome_and_skips_rows_taken_over(db_url: str) -> None:
    fill_outbox(db_url, channels=1, incidents=1, events=5)
    now = utcnow() + timedelta(minutes=1)
    ids = [c.id for c in candidates(db_url, now, transport=Transport.CHAT)]
    claims = claim(db_url, ids, now)
    taken = claims[4].id
    with transaction(db_url) as session:  # settled meanwhile by a dispatcher that took over
        row = session.get(Notification, taken)
        assert row is not None
        row.status = OutboxStatus.SENT
        session.add(row)
    later = now + timedelta(seconds=5)
    retry_at = later + timedelta(minutes=3)
    recorded: list[list[int]] = []
    written = settle(
        db_url,
        [
            Settlement(claims[3].id, OutboxStatus.FAILED, error="smtp 550 5.1.1"),
            Settlement(claims[0].id, OutboxStatus.SENT),
            Settlement(claims[1].id, OutboxStatus.PENDING, error="smtp 451", retry_at=retry_at),
            Settlement(taken, OutboxStatus.SENT),
            Settlement(claims[2].id, OutboxStatus.PENDING, released=True),
        ],
        later,
        record=lambda _, ids: recorded.append(ids),
    )
    assert written == recorded[0] == [claims[i].id for i in (3, 0, 1, 2)]  # in the batch's order
    with reading(db_url) as session:
        rows = {r.id: r for r in session.exec(select(Notification))}
    sent, retried, given_back, failed = (rows[claims[i].id] for i in range(4))
    assert (sent.status, sent.sent_at, sent.claimed_at, sent.attempts) == (
        OutboxStatus.SENT,
        later,
        None,
        1,
    )
    assert (retried.status, retried.next_attempt_at, retried.last_error) == (
        OutboxStatus.PENDING,
        retry_at,
        "smtp 451",
    )
    assert (given_back.status, given_back.attempts, given_back.next_attempt_at) == (
        OutboxStatus.PENDING,
        0,
        later,
    )
    assert (failed.status, failed.last_error, failed.sent_at) == (
        OutboxStatus.FAILED,
        "smtp 550 5.1.1",
        None,
    )
    assert rows[taken].sent_at is None  # not written again
    assert settle(db_url, [Settlement(claims[0].id, OutboxStatus.SENT)], later) == []


# One e-mail dispatcher process: passes until nothing more is sent; `go` is a file it waits for,
# so two start their first claim together.
DISPATCHER = f"""
import os, sys, time
from jikoflow.notifications.dispatch import ChannelPacer, deliver_due
from jikoflow.notifications.mail import MailChannel
url, smtp, go = sys.argv[1], sys.argv[2], sys.argv[3]
while not os.path.exists(go):
    time.sleep(0.01)
sent = 0
while True:
    channel = MailChannel(smtp, {SENDER!r}, timeout=10)
    stats = deliver_due(url, channel, pacer=ChannelPacer(0))
    channel.close()
    sent += stats.sent
    if not stats.sent and not stats.retrying:
        break
print(sent)
"""


def test_two_dispatchers_racing_send_every_message_once(
    db_url: str, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    mail_outbox(db_url, smtp_server, monkeypatch, orgs=40)
    go = tmp_path / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", DISPATCHER, db_url, smtp_server.url, str(go)],
            cwd=ROOT,
            env=subprocess_environ(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    go.touch()
    sent = []
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err[-2000:]
        sent.append(int(out.strip().splitlines()[-1]))
    assert sum(sent) == 200
    rows = mail_rows(db_url)
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    accepted = Counter(str(m["Message-ID"]) for m in smtp_server.messages)
    assert accepted == Counter({ident(r): 1 for r in rows})
    with reading(db_url) as session:
        assert len(list(session.exec(select(MailThread)))) == 40
