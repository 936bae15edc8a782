"""The access table is complete: every act has a rule and the words to refuse it."""

from __future__ import annotations

import pytest

from jikoflow.models.access import RULES, VERBS, WHO_MAY, Act, Standing, allows, standings
from jikoflow.models.enums import Role
from jikoflow.models.parties.chain import Chain, Tier

CHAIN = Chain.build(
    "C",
    "ward",
    "prime",
    [Tier("prime", "sub1"), Tier("sub1", "sub2"), Tier("sub1", "sibling")],
)


@pytest.mark.parametrize("act", list(Act))
def test_every_act_has_a_rule_and_words(act: Act) -> None:
    assert act in RULES
    assert WHO_MAY[act]
    assert VERBS[act]


@pytest.mark.parametrize(
    ("person_org", "expected"),
    [
        ("sub2", {Standing.OWN}),
        ("sub1", {Standing.ABOVE}),
        ("prime", {Standing.ABOVE, Standing.CONTRACTOR}),
        ("ward", {Standing.ABOVE, Standing.CLIENT}),
        ("sibling", set()),
        ("elsewhere", set()),
    ],
)
def test_standings_follow_the_path_of_an_incident_at_the_second_tier(
    person_org: str, expected: set[Standing]
) -> None:
    assert standings(CHAIN, "sub2", person_org) == expected


def test_the_operator_act_is_nobody_s_but_the_operator_s() -> None:
    every = frozenset(Standing)
    assert not allows(Act.OPERATE, every, Role.MANAGER)


def test_a_worker_above_may_see_but_not_act() -> None:
    above = standings(CHAIN, "sub2", "sub1")
    assert allows(Act.SEE, above, Role.WORKER)
    assert not allows(Act.CONTAIN, above, Role.WORKER)
    assert allows(Act.CONTAIN, above, Role.MANAGER)
