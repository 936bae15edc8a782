"""Read models of the parties: each contract's tree, as `parties show` prints it."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from jikoflow.models.parties.service import chain_for, organizations_by_id
from jikoflow.models.parties.tables import Contract, Organization, Person


def chain_view(session: Session, contract: Contract) -> dict[str, Any]:
    """A contract's tree as nested data, marking tiers without 甲's approval."""
    chain = chain_for(session, contract)
    orgs = organizations_by_id(session, chain.members())
    people = session.exec(select(Person).where(col(Person.org_id).in_(chain.members()))).all()
    by_org: dict[str, list[Person]] = {}
    for person in people:
        by_org.setdefault(person.org_id, []).append(person)

    def node(org_id: str) -> dict[str, Any]:
        org: Organization = orgs[org_id]
        tier = chain.tiers.get(org_id)
        return {
            "id": org.id,
            "name": org.name,
            "kind": str(org.kind),
            "slack_channel": org.slack_channel,
            "managers": [p.id for p in by_org.get(org_id, []) if p.role == "manager"],
            "approved_at": tier.approved_at.isoformat() if tier and tier.approved_at else None,
            "upstream_notified_at": (
                tier.upstream_notified_at.isoformat()
                if tier and tier.upstream_notified_at
                else None
            ),
            "unapproved": tier is not None and tier.approved_at is None,
            "children": [node(c) for c in chain.children_of(org_id)],
        }

    return {"id": contract.id, "title": contract.title, "tree": node(chain.client)}


def contracts_view(session: Session, contract_id: str | None = None) -> list[dict[str, Any]]:
    """Every contract's tree, or one."""
    query = select(Contract).order_by(col(Contract.id))
    if contract_id is not None:
        query = query.where(Contract.id == contract_id)
    return [chain_view(session, c) for c in session.exec(query)]
