"""Typed facts never reach chat (DESIGN.md §5): whatever a person records as facts, as 甲's
instructions or decisions, or as reasons, no chat message built for the incident carries it.

The message builders take `NoticeFacts` only, and `NoticeFacts` has no field for any of it;
this checks both the shape and the behaviour, with generated Japanese personal data.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import astuple, dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from faker import Faker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlmodel import Session, select

from jikoflow.models.db import transaction
from jikoflow.models.enums import (
    IncidentKind,
    Lang,
    Outcome,
    Publication,
    ReviewAnswer,
)
from jikoflow.models.facts.rules import parse_facts
from jikoflow.models.facts.schemas import FACT_FIELDS
from jikoflow.models.facts.store import add_facts_revision
from jikoflow.models.facts.tables import (
    Instruction,
    PublicationDecision,
    Reclassification,
    RecordReview,
)
from jikoflow.models.incidents.service import get_incident
from jikoflow.models.incidents.sweep import sweep_clocks
from jikoflow.models.incidents.tables import Incident
from jikoflow.models.outbox.facts import NoticeEvent, NoticeFacts, facts_for
from jikoflow.models.outbox.tables import Notification
from jikoflow.models.parties.file import read_parties
from jikoflow.models.parties.queries import organizations_by_id
from jikoflow.models.parties.service import load_parties
from jikoflow.notifications import messages
from jikoflow.notifications.slack import slack_blocks
from tests import acts
from tests.conftest import SAMPLE_PARTIES

T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
FAKE = Faker("ja_JP")
RECIPIENTS = ("gamma", "beta", "acme", "nerima")


@dataclass(frozen=True)
class Typed:
    """What people might type into facts, instructions and reasons about one person."""

    name: str
    address: str
    phone: str
    my_number: str
    company: str

    def sentence(self) -> str:
        """The person inside a sentence, as in a reason or an instruction."""
        return f"{self.name}（{self.address}、電話 {self.phone}、個人番号 {self.my_number}）"


def _typed(seed: int, my_number: str) -> Typed:
    FAKE.seed_instance(seed)
    return Typed(
        FAKE.name(),
        FAKE.address().replace("\n", " "),
        FAKE.phone_number(),
        my_number,
        FAKE.company(),
    )


typed_data = st.builds(
    _typed,
    st.integers(min_value=0, max_value=2**32),
    st.from_regex(r"[1-9][0-9]{11}", fullmatch=True),
)


def _record_everything(session: Session, incident_id: str, who: Typed) -> None:
    """Facts, a reclassification, instructions, a publication decision and reviews, all typed."""
    add_facts_revision(
        session,
        incident_id,
        parse_facts(
            {
                "discovered_by": who.name,
                "how": who.sentence(),
                "items": [who.address, who.phone, who.my_number],
                "people": 150,
                "sensitive": True,
                "my_number": True,
                "secondary_damage": who.sentence(),
                "subject_notice": "planned",
            }
        ),
        at=T0,
        by="watanabe",
    )
    session.add_all(
        [
            Reclassification(
                incident_id=incident_id,
                at=T0,
                by="watanabe",
                kind_before=IncidentKind.LEAK,
                kind_after=IncidentKind.LEAK,
                suspected_before=True,
                suspected_after=False,
                reason=who.sentence(),
            ),
            Instruction(
                incident_id=incident_id,
                number=1,
                text=f"{who.company} に {who.sentence()} の件を照会すること",
                due_date=date(2026, 11, 27),
                given_at=T0,
                given_by="tanaka",
                done_note=who.sentence(),
            ),
            PublicationDecision(
                incident_id=incident_id,
                decision=Publication.WITHHOLD,
                on_date=date(2026, 11, 25),
                reason=who.sentence(),
                decided_at=T0,
                decided_by="tanaka",
            ),
            RecordReview(
                incident_id=incident_id,
                version=1,
                outcome=Outcome.NOT_AN_INCIDENT,
                reason=who.sentence(),
                submitted_at=T0,
                answer=ReviewAnswer.RETURNED,
                answered_at=T0,
                answer_reason=who.sentence(),
            ),
        ]
    )


def _every_message(session: Session, incident: Incident) -> list[str]:
    """Every chat message the incident can produce now, built as the transports build them."""
    orgs = organizations_by_id(session, list(RECIPIENTS))
    out = []
    for event in NoticeEvent:
        for org_id in RECIPIENTS:
            facts = facts_for(session, incident, event, recipient=orgs[org_id], now=T0)
            out.extend(_rendered(facts))
    # What the sweep queues a month later, read back from the outbox as the dispatcher does.
    sweep_clocks(session, T0 + timedelta(days=60), incident_id=incident.id)
    session.flush()
    rows = session.exec(select(Notification).where(Notification.incident_id == incident.id))
    for row in rows:
        out.append(json.dumps(row.facts, ensure_ascii=False))
        out.extend(_rendered(NoticeFacts.model_validate(row.facts)))
    return out


def _rendered(facts: NoticeFacts) -> list[str]:
    out = []
    for lang in Lang:
        for message in (messages.build_message(facts, lang), messages.build_card(facts, lang)):
            out.append(message.text)
            out.append(json.dumps(slack_blocks(message), ensure_ascii=False))
    return out


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(who=typed_data)
def test_typed_facts_and_decisions_never_reach_a_chat_message(sqlite_url: str, who: Typed) -> None:
    with transaction(sqlite_url) as session:
        load_parties(session, read_parties(SAMPLE_PARTIES))  # idempotent across examples
        incident = acts.declare(
            session,
            org="delta",
            kind=IncidentKind.LEAK,
            summary="封筒1通の所在不明",
            suspected=True,
            by="watanabe",
            now=T0,
        ).incident
        _record_everything(session, incident.id, who)
        session.flush()
        texts = _every_message(session, get_incident(session, incident.id))
    assert len(texts) > 100
    everything = "\n".join(texts)
    assert "デルタ入力サービス有限会社" in everything  # names of parties are allowed
    for value in (who.sentence(), *astuple(who)):
        assert value not in everything, f"{value!r} reached a chat message"


def test_notice_facts_have_no_field_for_typed_facts() -> None:
    assert set(NoticeFacts.model_fields).isdisjoint(FACT_FIELDS)
    allowed = NoticeFacts.model_validate(
        {
            "event": "report",
            "subject_id": "INC-1",
            "contract_id": "C-1",
            "contract_title": "業務",
            "org_id": "delta",
            "org_name": "デルタ",
            "kind": "leak",
            "suspected": True,
            "state": "open",
            "declared_at": T0.isoformat(),
        }
    )
    for name in (*FACT_FIELDS, "summary", "reason", "instruction", "text"):
        with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
            NoticeFacts.model_validate(allowed.model_dump() | {name: "山田 太郎"})


def test_every_message_builder_takes_notice_facts_only() -> None:
    builders = [
        value
        for name, value in vars(messages).items()
        if inspect.isfunction(value)
        and value.__module__ == messages.__name__
        and not name.startswith("_")
        and "facts" in inspect.signature(value).parameters
    ]
    assert {b.__name__ for b in builders} >= {"build_message", "build_card", "lead"}
    for builder in builders:
        parameters = list(inspect.signature(builder).parameters.values())
        assert parameters[0].name == "facts"
        assert parameters[0].annotation in ("NoticeFacts", NoticeFacts), builder.__name__
        # Nothing else it takes could carry text typed about the incident: the language, the
        # outbox key, a mention, plain text or not, and the operator's portal address.
        others = {p.name for p in parameters[1:]}
        assert others <= {"lang", "key", "mention", "plain", "portal"}, builder.__name__
