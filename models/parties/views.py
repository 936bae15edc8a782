"""Read models of the parties: each contract's tree, as `parties show` prints it."""

from __future__ import annotations

from sqlmodel import Session, col, select

from jikoflow.models.enums import Role
from jikoflow.models.parties.chain import upstream_notice_missing
from jikoflow.models.parties.queries import chain_for, organizations_by_id
from jikoflow.models.parties.schemas import ContractTree, OrgNode
from jikoflow.models.parties.tables import Contract, Person


def contract_tree(session: Session, contract: Contract) -> ContractTree:
    """A contract's tree in tree order (depth first, file order), unapproved tiers marked."""
    chain = chain_for(session, contract)
    orgs = organizations_by_id(session, chain.members())
    managers: dict[str, list[str]] = {}
    for person in session.exec(
        select(Person)
        .where(col(Person.org_id).in_(chain.members()), Person.role == Role.MANAGER)
        .order_by(col(Person.id))
    ):
        managers.setdefault(person.org_id, []).append(person.id)
    nodes: list[OrgNode] = []
    # An explicit stack, not recursion: a chain may be thousands of tiers deep.
    stack: list[tuple[str, str | None, int]] = [(chain.client, None, 0)]
    while stack:
        org_id, parent, depth = stack.pop()
        org = orgs[org_id]
        tier = chain.tiers.get(org_id)
        nodes.append(
            OrgNode(
                id=org.id,
                name=org.name,
                kind=org.kind,
                parent=parent,
                depth=depth,
                slack_channel=org.slack_channel,
                managers=managers.get(org_id, []),
                approved_at=tier.approved_at if tier else None,
                upstream_notified_at=tier.upstream_notified_at if tier else None,
                unapproved=tier is not None and tier.approved_at is None,
                upstream_notice_missing=upstream_notice_missing(tier, depth),
            )
        )
        stack.extend((c, org_id, depth + 1) for c in reversed(chain.children_of(org_id)))
    return ContractTree(id=contract.id, title=contract.title, organizations=nodes)
