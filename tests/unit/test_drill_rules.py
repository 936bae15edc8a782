"""The pure drill rules: who a drill reaches, how a confirmation is judged, when drills are due."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from jikoflow.drills.rules import (
    AckOutcome,
    Relation,
    ack_outcome,
    add_months,
    cadence,
    deepest_origin,
    origin_at_tier,
    relations,
    subcontract_tier,
)
from jikoflow.models.parties.chain import Chain, Tier

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo
DAY = date(2026, 4, 1)


def tree() -> Chain:
    """甲 nerima → 乙 acme → beta → gamma → delta, and a second branch acme → omega."""
    tiers = [
        Tier("acme", "beta", DAY),
        Tier("beta", "gamma", DAY),
        Tier("acme", "omega", DAY),
        Tier("gamma", "delta", DAY),
    ]
    return Chain.build("C-1", "nerima", "acme", tiers)


def test_an_origin_deep_in_the_tree_reaches_its_path_and_the_rest_of_the_tree() -> None:
    reached = dict(relations(tree(), "delta"))
    assert reached == {
        "nerima": Relation.RECIPIENT,
        "acme": Relation.RECIPIENT,
        "beta": Relation.RECIPIENT,
        "gamma": Relation.RECIPIENT,
        "delta": Relation.ORIGIN,
        "omega": Relation.MEMBER,  # not a recipient of delta's report, still on the contact tree
    }
    assert [org for org, _ in relations(tree(), "delta")] == tree().members()


def test_an_incident_at_the_contractor_reports_to_the_client_only() -> None:
    reached = dict(relations(tree(), "acme"))
    assert reached["nerima"] is Relation.RECIPIENT
    assert {o for o, r in reached.items() if r is Relation.MEMBER} == {
        "beta",
        "gamma",
        "delta",
        "omega",
    }


def test_tiers_count_from_the_contractor() -> None:
    chain = tree()
    assert [subcontract_tier(chain, o) for o in ("nerima", "acme", "beta", "gamma", "delta")] == [
        -1,
        0,
        1,
        2,
        3,
    ]
    assert origin_at_tier(chain, 1) == "beta"  # beta comes before omega in file order
    assert origin_at_tier(chain, 3) == "delta"
    assert origin_at_tier(chain, 4) is None
    assert deepest_origin(chain) == "delta"


def test_the_deepest_origin_of_a_flat_chain_is_the_first_subcontractor() -> None:
    chain = Chain.build("C-2", "ward", "prime", [Tier("prime", "s1"), Tier("prime", "s2")])
    assert deepest_origin(chain) == "s1"
    assert deepest_origin(Chain.build("C-3", "ward", "prime", [])) == "prime"


@pytest.mark.parametrize(
    ("after", "outcome"),
    [
        (timedelta(minutes=0), AckOutcome.IN_TIME),
        (timedelta(minutes=30), AckOutcome.IN_TIME),  # the warning time is still in time
        (timedelta(minutes=30, seconds=1), AckOutcome.BEFORE_DUE),
        (timedelta(hours=1), AckOutcome.BEFORE_DUE),
        (timedelta(hours=1, seconds=1), AckOutcome.LATE),
    ],
)
def test_confirmations_are_judged_by_the_first_report_clock(
    after: timedelta, outcome: AckOutcome
) -> None:
    assert ack_outcome(T0, T0 + after) is outcome


def test_no_confirmation_is_no_answer() -> None:
    assert ack_outcome(T0, None) is AckOutcome.NONE


def test_months_are_counted_on_the_tokyo_calendar() -> None:
    # 2026-08-31 00:30 in Tokyo is still 30 August in UTC.
    late_august = datetime(2026, 8, 30, 15, 30, tzinfo=UTC)
    assert add_months(late_august, 6).date() == date(2027, 2, 28)
    assert add_months(late_august, 12).date() == date(2027, 8, 31)
    assert add_months(T0, 6).date() == date(2027, 5, 2)


def test_never_rehearsed_is_overdue_and_a_recent_drill_is_not() -> None:
    never = cadence(None, 6, T0)
    assert never.overdue
    assert never.due is None
    recent = cadence(T0 - timedelta(days=30), 6, T0)
    assert not recent.overdue
    assert recent.due is not None
    assert recent.due.date() == date(2027, 4, 3)
    assert cadence(T0 - timedelta(days=200), 6, T0).overdue
    assert not cadence(T0 - timedelta(days=200), 12, T0).overdue
