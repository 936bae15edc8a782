"""No incident content in chat (DESIGN.md §5), as a property over every message kind.

Personal data (names, 12-digit My Number, phones, addresses, e-mails from Faker ja_JP, mixed into
arbitrary text) is typed into every free-text field an incident has — summary, containment
action, cause, prevention measure, the submitted record — and the incident is taken through
reports, reminders, escalations, acknowledgement reminders and escalations, an acknowledgement,
state changes, submission, closing, a prevention measure's reminder and escalation and a contact
drill. Not one
piece of it may appear in any request the fake Slack server recorded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from faker import Faker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from jikoflow.models.access import person
from jikoflow.models.db import transaction
from jikoflow.models.enums import Publication
from jikoflow.models.facts import service as facts_service
from jikoflow.models.facts.schemas import (
    Facts,
    InstructInput,
    InstructionDoneInput,
    PublishInput,
    ReclassifyInput,
    ReturnInput,
)
from jikoflow.models.outbox.facts import NoticeEvent
from jikoflow.models.times import tokyo_day
from jikoflow.models.types import utcnow
from tests.slack_fixtures import OutboxWorld
from tests.slack_server import Recorded

NOISE = st.text(
    alphabet=st.sampled_from("あいう漢字ABCxyz019 \n\t<>&*_~`@!#:;。、「」"), max_size=20
)


@dataclass(frozen=True)
class Personal:
    """One person's data as someone might type it into an incident."""

    name: str
    my_number: str
    phone: str
    address: str
    email: str

    def pieces(self) -> list[str]:
        """What must never leave for chat (a name also without its space)."""
        return [
            self.name,
            self.name.replace(" ", ""),
            self.my_number,
            self.phone,
            self.address,
            self.email,
        ]


@st.composite
def personal(draw: st.DrawFn) -> Personal:
    fake = Faker("ja_JP")
    fake.seed_instance(draw(st.integers(0, 2**32 - 1)))
    return Personal(
        name=fake.name(),
        my_number=draw(st.from_regex(r"[1-9][0-9]{11}", fullmatch=True)),
        phone=fake.phone_number(),
        address=fake.address(),
        email=fake.email(),
    )


@st.composite
def typed(draw: st.DrawFn, who: Personal) -> str:
    """Free text a responder might type, carrying all of one person's data."""
    parts = [draw(NOISE)]
    for piece in draw(st.permutations(who.pieces()[:1] + who.pieces()[2:])):
        parts += [piece, draw(NOISE)]
    return "".join(parts)


def walk_every_event(
    world: OutboxWorld,
    texts: list[str],
    start: datetime,
    deliver: Callable[[datetime], object] | None = None,
) -> str:
    """Take one incident through every kind of message, typing `texts` wherever text goes;
    `deliver` (by default the world's Slack) sends what is due at a time."""
    from jikoflow.models.incidents.sweep import sweep_clocks
    from tests import acts

    send = deliver or world.deliver

    def at(minutes: int) -> datetime:
        return start + timedelta(minutes=minutes)

    with transaction(world.url) as s:
        incident = acts.declare(s, summary=texts[0], now=start).incident.id
    send(at(1))  # the reports are out: each recipient's acknowledgement clock starts
    with transaction(world.url) as s:
        sweep_clocks(s, at(31), incident_id=incident)
    send(at(31))
    with transaction(world.url) as s:
        sweep_clocks(s, at(61), incident_id=incident)
    send(at(61))  # closing withdraws what has not gone out by then
    with transaction(world.url) as s:
        acts.ack(s, incident, "nerima", by="tanaka", now=at(61))
    with transaction(world.url) as s:
        acts.contain(s, incident, texts[1], done=True, by="watanabe", now=at(62))
        acts.cause(s, incident, texts[2], by="watanabe", now=at(63))
        # Due the next day: reminded at once, escalated by the sweeps after acceptance.
        due = tokyo_day(at(64)) + timedelta(days=1)
        acts.measure(s, incident, texts[3], owner="yamamoto", due=due, by="watanabe", now=at(64))
    with transaction(world.url) as s:
        _decisions_before_acceptance(s, incident, texts, at(64))
    with transaction(world.url) as s:
        acts.submit(s, incident, by="watanabe", now=at(65))
    with transaction(world.url) as s:
        facts_service.return_record(
            s,
            actor=person("tanaka"),
            incident_id=incident,
            data=ReturnInput(reason=texts[1]),
            now=at(65),
        )
    with transaction(world.url) as s:
        acts.submit(s, incident, by="watanabe", now=at(65))
    with transaction(world.url) as s:
        acts.accept(s, incident, by="tanaka", now=at(66))
    with transaction(world.url) as s:
        acts.contact_check(s, now=at(67))
    send(at(120))
    send(at(121))  # thread replies wait for their card; this pass sends them
    for moment in _decisions_after_acceptance(world, incident, texts, at(122)):
        send(moment)
        send(moment + timedelta(minutes=1))
    return incident


def _decisions_before_acceptance(
    session: Session, incident: str, texts: list[str], now: datetime
) -> None:
    """Facts and a reclassification, each carrying typed text."""
    data = Facts(how=texts[0], secondary_damage=texts[1], sensitive=True)
    facts_service.record_facts(
        session, actor=person("watanabe"), incident_id=incident, data=data, now=now
    )
    change = ReclassifyInput(suspected=True, reason=texts[2])
    facts_service.reclassify(
        session, actor=person("watanabe"), incident_id=incident, data=change, now=now
    )


def _decisions_after_acceptance(
    world: OutboxWorld, incident: str, texts: list[str], now: datetime
) -> list[datetime]:
    """甲's instruction, publication decision and the sweeps of their clocks, of 甲's APPI
    reports and of the prevention measure; returns the times to deliver at."""
    from jikoflow.models.facts.store import decisions_view
    from jikoflow.models.facts.sweep import sweep_decisions
    from jikoflow.models.incidents.service import get_incident
    from jikoflow.models.response.sweep import sweep_measures

    due = tokyo_day(now) + timedelta(days=1)
    with transaction(world.url) as s:
        given = InstructInput(text=texts[3], due=due)
        facts_service.instruct(s, actor=person("tanaka"), incident_id=incident, data=given, now=now)
        decided = PublishInput(decision=Publication.WITHHOLD, reason=texts[0])
        facts_service.publish(
            s, actor=person("tanaka"), incident_id=incident, data=decided, now=now
        )
        appi = decisions_view(s, get_incident(s, incident), now=now).appi
        sweep_decisions(s, now, incident_id=incident)  # the instruction is due tomorrow
        sweep_measures(s, now, incident_id=incident)  # so is the measure: reminded
    late = now + timedelta(days=3)
    appi_moments = []
    for due_at in (appi.preliminary_due_at, appi.final_due_at):
        assert due_at is not None
        appi_moments.append(due_at - timedelta(hours=1))
    # In the order of time, whatever the time of day the walk starts at: 3 days after a late
    # evening in Tokyo is already past the 速報's due, which must be swept before.
    for moment in sorted([late, *appi_moments]):
        with transaction(world.url) as s:
            sweep_decisions(s, moment, incident_id=incident)
            if moment == late:
                sweep_measures(s, late, incident_id=incident)  # the measure is overdue
                finished = InstructionDoneInput(number=1, note=texts[2])
                facts_service.complete_instruction(
                    s, actor=person("watanabe"), incident_id=incident, data=finished, now=late
                )
    return sorted([now, late, *appi_moments])


def events_in(requests: list[Recorded]) -> set[str]:
    keys = [
        r.body.get("metadata", {}).get("event_payload", {}).get("key", "")
        for r in requests
        if r.method == "chat.postMessage"
    ]
    return {k.split(":")[1] for k in keys if k}


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_personal_data_reaches_chat(outbox_world: OutboxWorld, data: st.DataObject) -> None:
    who = data.draw(personal())
    texts = [data.draw(typed(who)) for _ in range(4)]
    seen = len(outbox_world.slack.requests)
    walk_every_event(outbox_world, texts, utcnow())
    requests = outbox_world.slack.requests[seen:]
    # A deeper tier with no notice upward is walked in test_decisions_cli (the sample parties
    # record every notice).
    unwalked = {NoticeEvent.DRILL_INJECT, NoticeEvent.UPSTREAM_UNNOTIFIED}
    assert events_in(requests) == set(NoticeEvent) - unwalked
    for request in requests:
        recorded = request.raw + json.dumps(request.body, ensure_ascii=False)
        recorded += json.dumps(request.headers, ensure_ascii=False)
        for piece in who.pieces():
            assert piece not in recorded, (request.method, piece)
