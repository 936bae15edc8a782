"""Subcontract chains (DESIGN.md §4): who is above whom, and who receives a report.

Plain functions over a `Chain` value so they can be checked without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from jikoflow.models.errors import BadInput


@dataclass(frozen=True)
class Tier:
    """A delegation edge parent → child, with 甲's approval date (Art. 15)."""

    parent: str
    child: str
    approved_at: date | None = None
    upstream_notified_at: date | None = None

    def approved_on(self, day: date) -> bool:
        """Whether 甲 had approved this tier on `day`."""
        return self.approved_at is not None and self.approved_at <= day


# Depth of the first 再々委託先 (甲 0, 乙 1, 再委託先 2): from here down, 甲's approval of a tier
# comes with notice to the delegator's own delegator (Art. 15 (3)).
DEEPER_TIER = 3


def upstream_notice_missing(tier: Tier | None, depth: int) -> bool:
    """Whether a tier at `depth` is a deeper one (再々委託 and below) with no record that the
    delegator above its delegator was notified (Art. 15 (3)): the one rule every surface shows."""
    return tier is not None and depth >= DEEPER_TIER and tier.upstream_notified_at is None


@dataclass(frozen=True)
class Chain:
    """One contract's delegation tree: 甲 → 乙 → subcontractors at any depth."""

    contract_id: str
    client: str
    contractor: str
    tiers: Mapping[str, Tier] = field(default_factory=dict)  # keyed by child

    @classmethod
    def build(cls, contract_id: str, client: str, contractor: str, tiers: Iterable[Tier]) -> Chain:
        """A chain from its edges, refusing a second parent or a cycle."""
        by_child: dict[str, Tier] = {}
        for tier in tiers:
            if tier.child in by_child or tier.child in (client, contractor):
                raise BadInput("delegations", f"{tier.child} has two parents in {contract_id}")
            by_child[tier.child] = tier
        chain = cls(contract_id, client, contractor, by_child)
        for child in by_child:
            chain.path_to_client(child)
        return chain

    def members(self) -> list[str]:
        """Every organisation in the chain, 甲 and 乙 first."""
        return [self.client, self.contractor, *self.tiers]

    def parent_of(self, org: str) -> str | None:
        """The organisation that delegated to `org` (乙's parent is 甲)."""
        if org == self.contractor:
            return self.client
        tier = self.tiers.get(org)
        return tier.parent if tier else None

    def path_to_client(self, org: str) -> list[str]:
        """`org`, its delegator, … 乙, 甲: the path a report travels up."""
        if org not in self.tiers and org not in (self.client, self.contractor):
            raise BadInput("org", f"{org} is not in the chain of contract {self.contract_id}")
        path = [org]
        seen = {org}
        while path[-1] != self.client:
            parent = self.parent_of(path[-1])
            if parent is None:
                raise BadInput("delegations", f"{path[-1]} is not connected to {self.contractor}")
            if parent in seen:
                raise BadInput("delegations", f"delegation cycle through {parent}")
            path.append(parent)
            seen.add(parent)
        return path

    def recipients_for(self, org: str) -> list[str]:
        """Who receives `org`'s report, all at once and directly: every ancestor and 甲."""
        return self.path_to_client(org)[1:]

    def ancestors_below_client(self, org: str) -> list[str]:
        """The supervisors of `org` up to and including 乙 (not 甲)."""
        return self.path_to_client(org)[1:-1]

    def unnotified_tiers(self, org: str) -> list[Tier]:
        """Deeper tiers (再々委託 and below) on the path of `org` with no record that the
        delegator above their delegator was notified (Art. 15 (3)), nearest to 乙 first."""
        path = self.path_to_client(org)  # org, …, 乙, 甲: depth = len(path) - 1 - index
        flagged = [
            self.tiers[o]
            for i, o in enumerate(path)
            if upstream_notice_missing(self.tiers.get(o), len(path) - 1 - i)
        ]
        return list(reversed(flagged))

    def unapproved_tiers(self, org: str, on: date) -> list[Tier]:
        """Tiers on the path of `org` that 甲 had not approved on `on` (Art. 15 violations)."""
        path = self.path_to_client(org)
        return [
            self.tiers[o] for o in path if o in self.tiers and not self.tiers[o].approved_on(on)
        ]

    @cached_property
    def _children(self) -> dict[str, list[str]]:
        children: dict[str, list[str]] = {self.client: [self.contractor]}
        for tier in self.tiers.values():
            children.setdefault(tier.parent, []).append(tier.child)
        return children

    def children_of(self, org: str) -> list[str]:
        """Direct delegates of `org`, in file order."""
        return list(self._children.get(org, []))

    def depth_of(self, org: str) -> int:
        """0 for 甲, 1 for 乙, 2 for a first-tier subcontractor, …"""
        return len(self.path_to_client(org)) - 1
