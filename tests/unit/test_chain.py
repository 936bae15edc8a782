"""Subcontract chains (DESIGN.md §4): who is above whom, and who receives a report."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jikoflow.models.errors import BadInput
from jikoflow.models.parties.chain import Chain, Tier

# 甲 nerima → 乙 acme → beta → gamma → delta, and a second branch acme → omega.
SAMPLE = Chain.build(
    "C-1",
    "nerima",
    "acme",
    [
        Tier("acme", "beta", date(2026, 4, 1)),
        Tier("beta", "gamma", date(2026, 4, 10), date(2026, 4, 9)),
        Tier("gamma", "delta", date(2026, 5, 1), date(2026, 4, 28)),
        Tier("acme", "omega", None),
    ],
)


def test_third_tier_reports_to_every_tier_above_and_the_client() -> None:
    assert SAMPLE.recipients_for("delta") == ["gamma", "beta", "acme", "nerima"]


def test_first_tier_reports_to_the_contractor_and_the_client() -> None:
    assert SAMPLE.recipients_for("beta") == ["acme", "nerima"]


def test_contractor_reports_to_the_client_only() -> None:
    assert SAMPLE.recipients_for("acme") == ["nerima"]


def test_a_sibling_branch_is_not_told() -> None:
    assert SAMPLE.recipients_for("omega") == ["acme", "nerima"]
    assert "omega" not in SAMPLE.recipients_for("delta")


def test_supervisors_stop_below_the_client() -> None:
    assert SAMPLE.ancestors_below_client("delta") == ["gamma", "beta", "acme"]
    assert SAMPLE.ancestors_below_client("acme") == []


def test_depth_parent_and_children() -> None:
    assert [SAMPLE.depth_of(o) for o in ("nerima", "acme", "beta", "delta")] == [0, 1, 2, 4]
    assert SAMPLE.parent_of("acme") == "nerima"
    assert SAMPLE.parent_of("nerima") is None
    assert SAMPLE.children_of("nerima") == ["acme"]
    assert SAMPLE.children_of("acme") == ["beta", "omega"]
    assert SAMPLE.members() == ["nerima", "acme", "beta", "gamma", "delta", "omega"]


def test_an_organisation_outside_the_chain_is_refused() -> None:
    with pytest.raises(BadInput) as refused:
        SAMPLE.recipients_for("stranger")
    assert refused.value.field == "org"


def test_approval_counts_from_its_own_day() -> None:
    tier = Tier("acme", "beta", date(2026, 4, 1))
    assert not tier.approved_on(date(2026, 3, 31))
    assert tier.approved_on(date(2026, 4, 1))
    assert not Tier("acme", "beta").approved_on(date(2099, 1, 1))


def test_unapproved_tiers_on_the_path_only() -> None:
    # delta was approved on 5/1; on 4/20 both gamma→delta (not yet) and nothing else lacks approval.
    late = SAMPLE.unapproved_tiers("delta", date(2026, 4, 20))
    assert [(t.parent, t.child) for t in late] == [("gamma", "delta")]
    assert SAMPLE.unapproved_tiers("delta", date(2026, 5, 1)) == []
    # omega was never approved, but it is not on delta's path.
    assert [(t.parent, t.child) for t in SAMPLE.unapproved_tiers("omega", date(2026, 6, 1))] == [
        ("acme", "omega")
    ]


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([Tier("acme", "beta"), Tier("gamma", "beta")], "two parents"),
        ([Tier("beta", "acme")], "two parents"),
        ([Tier("beta", "nerima")], "two parents"),
        ([Tier("beta", "gamma"), Tier("gamma", "beta")], "cycle"),
        ([Tier("acme", "beta"), Tier("ghost", "gamma")], "not connected"),
    ],
    ids=["second-parent", "parent-of-contractor", "parent-of-client", "cycle", "detached"],
)
def test_a_chain_that_is_not_a_tree_is_refused(tiers: list[Tier], message: str) -> None:
    with pytest.raises(BadInput) as refused:
        Chain.build("C-1", "nerima", "acme", tiers)
    assert refused.value.field == "delegations"
    assert message in refused.value.message


def test_the_same_organisation_reports_along_each_contracts_own_chain() -> None:
    one = Chain.build("C-1", "nerima", "acme", [Tier("acme", "beta"), Tier("beta", "delta")])
    two = Chain.build("C-2", "nerima", "zeta", [Tier("zeta", "delta")])
    assert one.recipients_for("delta") == ["beta", "acme", "nerima"]
    assert two.recipients_for("delta") == ["zeta", "nerima"]


@st.composite
def delegation_trees(draw: st.DrawFn) -> tuple[Chain, dict[str, str], str]:
    """A random tree under 乙 (each new node picks an earlier one as parent) and one member."""
    size = draw(st.integers(min_value=0, max_value=30))
    parents: dict[str, str] = {}
    nodes = ["contractor"]
    for i in range(size):
        child = f"org{i}"
        parents[child] = draw(st.sampled_from(nodes))
        nodes.append(child)
    order = draw(st.permutations(list(parents)))
    tiers = [Tier(parents[c], c, draw(st.none() | st.dates())) for c in order]
    chain = Chain.build("C-P", "client", "contractor", tiers)
    org = draw(st.sampled_from(nodes))
    return chain, parents, org


def _ancestors(parents: dict[str, str], org: str) -> list[str]:
    out = []
    while org in parents:
        org = parents[org]
        out.append(org)
    return out


@given(delegation_trees())
def test_recipients_are_every_ancestor_plus_the_client(
    tree: tuple[Chain, dict[str, str], str],
) -> None:
    chain, parents, org = tree
    recipients = chain.recipients_for(org)
    # Every ancestor, nearest first (乙 is the root of the generated tree), then 甲.
    assert recipients == [*_ancestors(parents, org), "client"]
    assert org not in recipients
    assert len(set(recipients)) == len(recipients)
    # Nobody outside the path: no descendant, no sibling branch, no stranger.
    assert set(recipients) <= set(chain.members())
    assert not set(recipients) & {c for c in parents if org in _ancestors(parents, c)}
    assert chain.depth_of(org) == len(recipients)
