"""E-mails as built from the facts alone: subject, body, headers and threading; the SMTP URL."""

from __future__ import annotations

import copy
import email
from datetime import UTC, datetime
from email.header import Header
from email.mime.text import MIMEText
from email.policy import compat32, default

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jikoflow.models.enums import IncidentKind, IncidentState, Lang, ReportStatus
from jikoflow.models.errors import BadInput
from jikoflow.models.outbox.facts import NoticeEvent, NoticeFacts, ReportFact
from jikoflow.notifications.base import Message
from jikoflow.notifications.mail import MailChannel, SmtpServer, message_id, recipients, wire
from jikoflow.notifications.mail_messages import build_mail, subject_line

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def facts(event: NoticeEvent = NoticeEvent.REPORT, **changes: object) -> NoticeFacts:
    base = NoticeFacts(
        event=event,
        subject_id="INC-20261201-ABC123",
        contract_id="C-2026-001",
        contract_title="住民情報システム運用保守業務",
        org_id="delta",
        org_name="デルタ入力サービス有限会社 & Co.",
        recipient_id="nerima",
        recipient_name="練馬区 情報政策課",
        kind=IncidentKind.LEAK,
        suspected=True,
        state=IncidentState.OPEN,
        declared_at=T0,
        reports=(
            ReportFact(
                org_name="練馬区 情報政策課", status=ReportStatus.DELIVERED, org_id="nerima"
            ),
        ),
        mentions=("U0TANAKA",),
    )
    return base.model_copy(update=changes)


def test_every_mail_of_an_incident_has_one_subject() -> None:
    subjects = {build_mail(facts(event)).subject for event in NoticeEvent}
    assert subjects == {"事故等 INC-20261201-ABC123（住民情報システム運用保守業務）"}
    assert subject_line(facts(drill=True)).startswith("【訓練】")
    assert subject_line(facts(), Lang.EN) == (
        "Incident INC-20261201-ABC123 (住民情報システム運用保守業務)"
    )


def test_the_body_is_plain_text_with_the_portal_link() -> None:
    opening = build_mail(facts(), portal="https://portal.example.lg.jp/", opening=True).body
    assert "デルタ入力サービス有限会社 & Co. から練馬区 情報政策課へ" in opening  # no &amp;
    assert "<@U0TANAKA>" not in opening
    assert "*" not in opening
    assert "https://portal.example.lg.jp/incidents/INC-20261201-ABC123" in opening
    assert "受領確認は、上記ページの「受領確認」から" in opening
    assert "■ 報告の状況" in opening
    reply = build_mail(facts(NoticeEvent.STATE)).body
    assert "■ 報告の状況" not in reply
    acknowledged = facts(
        NoticeEvent.ACKNOWLEDGED,
        recipient_id="delta",
        recipient_name="デルタ入力サービス有限会社",
        party_id="nerima",
        party_name="練馬区 情報政策課",
        person_name="田中 一郎",
        at=T0,
    )
    said = build_mail(acknowledged).body
    assert "練馬区 情報政策課が デルタ入力サービス有限会社 & Co. からの報告を受領しました" in said
    assert "（田中 一郎、2026年12月1日 10:00）" in said
    assert "受領確認は" not in said  # the reporter has nothing to acknowledge


def test_headers_are_encoded_and_a_reply_answers_the_first() -> None:
    channel = MailChannel("smtp://127.0.0.1:2525", "jikoflow 通知 <jikoflow@example.lg.jp>")
    first = channel.compose(
        "joho@example.lg.jp, tanaka@example.jp",
        Message(text="", key="INC-1:report:nerima", facts=facts()),
    )
    raw = first.as_bytes()
    assert raw.isascii()
    parsed = email.message_from_bytes(raw, policy=default)
    assert parsed["Subject"] == "事故等 INC-20261201-ABC123（住民情報システム運用保守業務）"
    assert parsed["From"] == "jikoflow 通知 <jikoflow@example.lg.jp>"
    assert parsed["Message-ID"] == message_id("INC-1:report:nerima", "example.lg.jp")
    assert "In-Reply-To" not in parsed
    answer = channel.compose(
        "joho@example.lg.jp, tanaka@example.jp",
        Message(text="", key="INC-1:state:x", facts=facts(NoticeEvent.STATE)),
        thread=parsed["Message-ID"],
    )
    reply = email.message_from_bytes(answer.as_bytes(), policy=default)
    assert reply["In-Reply-To"] == reply["References"] == parsed["Message-ID"]
    assert reply["Subject"] == f"Re: {parsed['Subject']}"
    assert reply.get_content().startswith("対応状況の更新 INC-20261201-ABC123")


def test_a_message_id_is_the_same_for_a_key_and_differs_between_keys() -> None:
    one = message_id("INC-1:report:nerima", "example.lg.jp")
    assert one == message_id("INC-1:report:nerima", "example.lg.jp")
    assert one != message_id("INC-1:report:acme", "example.lg.jp")
    assert one.startswith("<")
    assert one.endswith("@example.lg.jp>")


def test_smtp_urls() -> None:
    server = SmtpServer.from_url("smtp://jikoflow:p%40ss@mail.example.lg.jp:587")
    assert server == SmtpServer("mail.example.lg.jp", 587, False, "jikoflow", "p@ss")
    assert not server.local
    assert SmtpServer.from_url("smtps://mail.example.lg.jp").port == 465
    assert SmtpServer.from_url("smtps://mail.example.lg.jp").implicit_tls
    assert SmtpServer.from_url("smtp://127.0.0.1").port == 25
    assert SmtpServer.from_url("smtp://localhost:2525").local
    for bad in ("http://mail.example.lg.jp", "smtp://", "smtp://host:99999", "mail.example.lg.jp"):
        with pytest.raises(BadInput) as refused:
            SmtpServer.from_url(bad)
        assert refused.value.field == "JIKOFLOW_SMTP_URL"
    with pytest.raises(BadInput) as sender:
        MailChannel("smtp://127.0.0.1:25", "no address here")
    assert sender.value.field == "JIKOFLOW_MAIL_FROM"


def test_a_to_list_splits_into_mailboxes() -> None:
    assert recipients("joho@example.lg.jp, tanaka@example.jp") == [
        "joho@example.lg.jp",
        "tanaka@example.jp",
    ]


_MAILBOX = st.from_regex(r"[a-z][a-z0-9.]{0,20}@[a-z]{1,12}\.(lg\.)?jp", fullmatch=True)
_NAME = st.text(
    st.sampled_from("abcxyz 　練馬区情報政策課デルタ入力サービス&()<>「」,;:\"'\\-"), max_size=90
)


@settings(max_examples=150, deadline=None)
@given(
    mailboxes=st.lists(_MAILBOX, min_size=1, max_size=8),
    title=_NAME,
    sender=st.text(st.sampled_from("abcxyz 練馬区通知"), max_size=40),
    key=st.text(st.characters(codec="ascii", exclude_categories=("Cc",)), min_size=1),
    thread=st.booleans(),
)
def test_mail_on_the_wire_is_what_the_standard_library_writes(
    mailboxes: list[str], title: str, sender: str, key: str, thread: bool
) -> None:
    # The wire format skips work (folding short ASCII headers, encoding a subject again) that
    # cannot change the result: byte for byte the classic policy's output, folded or not.
    channel = MailChannel("smtp://127.0.0.1:2525", f"{sender} <jikoflow@example.lg.jp>")
    answered = message_id("INC-1:report:nerima", "example.lg.jp") if thread else None
    mail = channel.compose(
        ", ".join(mailboxes),
        Message(text="", key=key, facts=facts(contract_title=title)),
        thread=answered,
    )
    assert wire(mail) == classic(mail)
    again = channel.compose(", ".join(mailboxes), Message(text="", key=key, facts=facts()))
    assert wire(again) == classic(again)


def classic(mail: MIMEText) -> bytes:
    """The message as the standard library writes it with a plain `Header` subject."""
    reference = copy.deepcopy(mail)
    reference.replace_header("Subject", Header(str(mail["Subject"]), "utf-8"))
    return reference.as_bytes(policy=compat32.clone(linesep="\r\n"))
