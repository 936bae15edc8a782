"""Read models of the parties: what loading changed, and each contract's tree."""

from __future__ import annotations

from datetime import date

from jikoflow.models.enums import OrgKind
from jikoflow.models.schemas import ReadModel


class PartiesLoaded(ReadModel):
    """Rows created or changed by loading a parties file (all zero when it was loaded already)."""

    organizations: int = 0
    people: int = 0
    contracts: int = 0
    delegations: int = 0

    @property
    def changed(self) -> bool:
        """Whether anything changed."""
        return any((self.organizations, self.people, self.contracts, self.delegations))


class OrgNode(ReadModel):
    """One organisation of a contract's tree, in tree order (parent before children)."""

    id: str
    name: str
    kind: OrgKind
    parent: str | None
    depth: int  # 0 for 甲, 1 for 乙, 2 for a first-tier subcontractor, …
    slack_channel: str | None
    managers: list[str]
    approved_at: date | None
    upstream_notified_at: date | None
    unapproved: bool
    # A deeper tier (再々委託 and below) with no record that its delegator's own delegator was
    # notified (Art. 15 (3)).
    upstream_notice_missing: bool = False


class ContractTree(ReadModel):
    """A contract's delegation tree, flat in tree order so any depth prints and serialises."""

    id: str
    title: str
    organizations: list[OrgNode]
