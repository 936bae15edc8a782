"""No incident content in e-mail (DESIGN.md §5), as a property over every e-mail kind.

The same walk as for chat (tests/integration/test_slack_privacy.py): personal data from Faker
ja_JP typed into every free-text field, the incident taken through every kind of message, each
organisation given a role address; every e-mail the SMTP server accepted — headers decoded and
body decoded — must hold not one piece of it.
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from jikoflow.models.db import reading, transaction
from jikoflow.models.outbox.facts import NoticeEvent, OutboxStatus
from jikoflow.models.outbox.tables import Notification, Transport
from jikoflow.models.parties.tables import Organization
from jikoflow.models.types import utcnow
from tests.integration.test_slack_privacy import personal, typed, walk_every_event
from tests.mail_fixtures import MailWorld


def every_organisation_has_an_address(world: MailWorld) -> None:
    with transaction(world.url) as session:
        for org in session.exec(select(Organization)):
            org.email = f"{org.id}@example.lg.jp"
            session.add(org)


def mailed_events(world: MailWorld) -> set[str]:
    with reading(world.url) as session:
        rows = session.exec(
            select(Notification.event).where(
                Notification.transport == Transport.EMAIL,
                Notification.status == OutboxStatus.SENT,
            )
        )
        return set(rows)


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_personal_data_reaches_e_mail(mail_world: MailWorld, data: st.DataObject) -> None:
    every_organisation_has_an_address(mail_world)
    who = data.draw(personal())
    texts = [data.draw(typed(who)) for _ in range(4)]
    seen = len(mail_world.smtp.envelopes)

    def send(at: datetime) -> None:
        mail_world.deliver(at)

    walk_every_event(mail_world.world, texts, utcnow(), deliver=send)
    unwalked = {"drill_inject", "upstream_unnotified"}  # see test_slack_privacy
    assert mailed_events(mail_world) == {str(e) for e in NoticeEvent} - unwalked
    for message in mail_world.smtp.messages[seen:]:
        shown = "".join(f"{k}: {v}\n" for k, v in message.items()) + message.get_content()
        for piece in who.pieces():
            assert piece not in shown, (message["Subject"], piece)
