"""Looking parties up: contracts, organisations, people, a contract's chain, managers."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from jikoflow.models.enums import Role
from jikoflow.models.errors import NotFound
from jikoflow.models.parties.chain import Chain, Tier
from jikoflow.models.parties.tables import Contract, Delegation, Organization, Person


def get_contract(session: Session, contract_id: str, field: str = "contract") -> Contract:
    """The contract, or a refusal naming `field`."""
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFound(field, f"unknown contract {contract_id!r}")
    return contract


def get_organization(session: Session, org_id: str, field: str = "org") -> Organization:
    """The organisation, or a refusal naming `field`."""
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound(field, f"unknown organisation {org_id!r}")
    return org


def get_person(session: Session, person_id: str, field: str = "by") -> Person:
    """The person, or a refusal naming `field`."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(field, f"unknown person {person_id!r}")
    return person


def chain_for(session: Session, contract: Contract) -> Chain:
    """The stored chain of a contract."""
    rows = session.exec(
        select(Delegation).where(Delegation.contract_id == contract.id).order_by(col(Delegation.id))
    ).all()
    tiers = [Tier(d.parent_id, d.child_id, d.approved_at, d.upstream_notified_at) for d in rows]
    return Chain(
        contract.id, contract.client_id, contract.contractor_id, {t.child: t for t in tiers}
    )


def organizations_by_id(session: Session, ids: Sequence[str]) -> dict[str, Organization]:
    """The organisations named by `ids`, keyed by id."""
    rows = session.exec(select(Organization).where(col(Organization.id).in_(list(ids)))).all()
    return {o.id: o for o in rows}


def managers_of(session: Session, org_ids: Sequence[str]) -> dict[str, list[Person]]:
    """Managers (管理責任者) of each organisation."""
    out: dict[str, list[Person]] = {o: [] for o in org_ids}
    rows = session.exec(
        select(Person)
        .where(col(Person.org_id).in_(list(org_ids)), Person.role == Role.MANAGER)
        .order_by(col(Person.id))
    ).all()
    for person in rows:
        out[person.org_id].append(person)
    return out
