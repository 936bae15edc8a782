"""The pure parts of delivery: which rows a round claims, where chat reaches an addressee, what
a card shows of the reports, and adding up what passes did."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jikoflow.models.enums import IncidentKind, IncidentState, ReportStatus
from jikoflow.models.outbox.facts import (
    NoticeEvent,
    NoticeFacts,
    ReportFact,
    ReportState,
    with_reports,
)
from jikoflow.models.outbox.service import Candidate, Claim
from jikoflow.notifications.addresses import chat_address
from jikoflow.notifications.base import Addressee, Finding, Updating
from jikoflow.notifications.cards import card_digest, opening_facts
from jikoflow.notifications.console import ConsoleChannel
from jikoflow.notifications.messages import report_lines
from jikoflow.notifications.plan import choose
from jikoflow.notifications.stats import DeliveryStats

NERIMA = ("nerima", None)
BETA = ("beta", None)
NOWHERE = ("epsilon", None)
ADDRESSES = {NERIMA: "C0NERIMA", BETA: "C0BETA", NOWHERE: None}


def row(ident: int, subject: str = "INC-1", who=NERIMA, *, due: bool = True) -> Candidate:
    return Candidate(ident, subject, who[0], who[1], due)


def test_a_conversation_opens_with_its_first_message_and_the_rest_follow_it() -> None:
    rows = [row(1), row(2), row(3, who=BETA)]
    assert choose(rows, ADDRESSES, set()) == [1, 2, 3]


def test_the_rest_of_a_conversation_waits_while_its_opening_message_is_not_due() -> None:
    # Row 1 is backing off (or held by another dispatcher): row 2 must not open a second card.
    rows = [row(1, due=False), row(2), row(3, subject="INC-2")]
    assert choose(rows, ADDRESSES, set()) == [3]


def test_an_open_conversation_takes_replies_whatever_waits_before_them() -> None:
    rows = [row(1, due=False), row(2)]
    assert choose(rows, ADDRESSES, {("INC-1", "C0NERIMA")}) == [2]


def test_each_address_gets_at_most_its_share_of_a_round() -> None:
    rows = [row(i, subject=f"INC-{i}") for i in range(1, 6)] + [row(6, who=BETA)]
    assert choose(rows, ADDRESSES, set(), per_address=2) == [1, 2, 6]
    assert choose(rows, ADDRESSES, set(), limit=2) == [1, 2]


def test_an_unreachable_row_is_claimed_to_be_marked_so() -> None:
    rows = [row(i, who=NOWHERE) for i in range(1, 4)]
    assert choose(rows, ADDRESSES, set(), per_address=1) == [1, 2, 3]


@pytest.mark.parametrize(
    ("to", "address"),
    [
        (Addressee("nerima", slack_channel="C0NERIMA"), "C0NERIMA"),
        (Addressee("nerima", "tanaka", "C0NERIMA", slack_user="U0TANAKA"), "U0TANAKA"),
        (Addressee("nerima", "suzuki", "C0NERIMA", slack_user=None), "C0NERIMA"),
        (Addressee("epsilon"), None),
        (Addressee("epsilon", slack_channel=""), None),
    ],
)
def test_chat_reaches_a_person_directly_else_the_organisations_channel(
    to: Addressee, address: str | None
) -> None:
    assert chat_address(to) == address


def test_the_console_reaches_everyone_and_can_only_find_what_it_printed() -> None:
    console = ConsoleChannel()
    assert console.resolve(Addressee("epsilon")) == "#epsilon"
    assert console.resolve(Addressee("nerima", slack_channel="C0NERIMA")) == "C0NERIMA"
    assert isinstance(console, Finding)
    assert not isinstance(console, Updating)  # a terminal cannot change what it printed


def facts(*reports: ReportFact) -> NoticeFacts:
    return NoticeFacts(
        event=NoticeEvent.REPORT,
        subject_id="INC-1",
        contract_id="C-1",
        contract_title="業務",
        org_id="delta",
        org_name="デルタ",
        kind=IncidentKind.LEAK,
        suspected=True,
        state=IncidentState.OPEN,
        declared_at=datetime(2026, 11, 2, 1, 0, tzinfo=UTC),
        reports=reports,
    )


def test_a_card_shows_each_report_as_it_is_now() -> None:
    pending = ReportStatus.PENDING
    queued = facts(
        ReportFact(org_name="練馬区", status=pending, org_id="nerima"),
        ReportFact(org_name="アクメ", status=pending, org_id="acme"),
        ReportFact(org_name="旧データ", status=pending),  # written before reports had ids
    )
    now = with_reports(
        queued, {"nerima": state(ReportStatus.DELIVERED), "beta": state(ReportStatus.FAILED)}
    )
    assert [r.status for r in now.reports] == [ReportStatus.DELIVERED, pending, pending]
    assert queued.reports[0].status is pending  # the queued facts stay as they were
    assert with_reports(facts(), {"nerima": state(ReportStatus.DELIVERED)}) == facts()


def test_a_new_card_counts_the_report_it_carries_as_delivered() -> None:
    pending, delivered = ReportStatus.PENDING, ReportStatus.DELIVERED
    queued = facts(
        ReportFact(org_name="練馬区", status=pending, org_id="nerima"),
        ReportFact(org_name="アクメ", status=pending, org_id="acme"),
    )

    def card(report_id: int | None, now: dict[str, ReportStatus]) -> list[ReportStatus]:
        claim = Claim(1, "k", "INC-1", "nerima", None, report_id, queued, False)
        states = {org: state(status) for org, status in now.items()}
        return [r.status for r in opening_facts(claim, states).reports]

    assert card(7, {"nerima": pending, "acme": pending}) == [delivered, pending]
    acknowledged = ReportStatus.ACKNOWLEDGED
    assert card(7, {"nerima": acknowledged, "acme": delivered}) == [acknowledged, delivered]
    assert card(None, {"nerima": pending, "acme": delivered}) == [pending, delivered]
    # What a card shows is summed up with the reports' states: a changed state shows.
    assert card_digest(queued) == card_digest(with_reports(queued, {"acme": state(pending)}))
    assert card_digest(queued) != card_digest(with_reports(queued, {"acme": state(delivered)}))


def test_a_card_shows_who_acknowledged_a_report_and_when() -> None:
    queued = facts(ReportFact(org_name="練馬区", status=ReportStatus.DELIVERED, org_id="nerima"))
    at = datetime(2026, 11, 2, 1, 5, tzinfo=UTC)
    acked = ReportState(
        status=ReportStatus.ACKNOWLEDGED, acknowledged_by="田中 一郎", acknowledged_at=at
    )
    now = with_reports(queued, {"nerima": acked})
    assert card_digest(now) != card_digest(with_reports(queued, {"nerima": state(acked.status)}))
    assert "練馬区: 受領確認済（田中 一郎、2026年11月2日 10:05）" in report_lines(now)


def state(status: ReportStatus) -> ReportState:
    """A report's state without an acknowledgement's who and when."""
    return ReportState(status=status)


def test_stats_add_up_every_field() -> None:
    one = DeliveryStats(1, 2, 3, 4, 5, 6, ["a"])
    two = DeliveryStats(10, 20, 30, 40, 50, 60, ["b"])
    assert one + two == DeliveryStats(11, 22, 33, 44, 55, 66, ["a", "b"])
    assert one.errors == ["a"]
    assert sum([one, two], DeliveryStats()) == one + two
