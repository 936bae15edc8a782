"""The parties in the database: loading a validated parties file, and looking parties up.

`load_parties` writes a file read by `jikoflow.models.parties.file` in the caller's
transaction, changing nothing when the database already matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from jikoflow.models.enums import Role
from jikoflow.models.errors import NotFound
from jikoflow.models.parties.chain import Chain, Tier
from jikoflow.models.parties.file import ContractIn, PartiesFile
from jikoflow.models.parties.tables import Contract, Delegation, Organization, Person

_ORG_COLUMNS = {"name", "kind", "slack_channel", "addressee", "representative", "sector"}


def load_parties(session: Session, parties: PartiesFile) -> dict[str, int]:
    """Upsert organisations, people and contracts; a contract's delegations become the file's.

    Returns counts of rows created or changed (all zero on a second identical load).
    """
    counts = {"organizations": 0, "people": 0, "contracts": 0, "delegations": 0}
    existing_orgs = {o.id: o for o in session.exec(select(Organization))}
    existing_people = {p.id: p for p in session.exec(select(Person))}
    for org in parties.organizations:
        values = org.model_dump(include=_ORG_COLUMNS)
        counts["organizations"] += _upsert(session, existing_orgs, Organization, org.id, values)
        for person in org.people:
            values = person.model_dump(exclude={"id"}) | {"org_id": org.id}
            counts["people"] += _upsert(session, existing_people, Person, person.id, values)
    session.flush()
    existing_contracts = {c.id: c for c in session.exec(select(Contract))}
    for contract in parties.contracts:
        values = {
            "title": contract.title,
            "client_id": contract.client,
            "contractor_id": contract.contractor,
        }
        counts["contracts"] += _upsert(session, existing_contracts, Contract, contract.id, values)
        session.flush()
        counts["delegations"] += _sync_delegations(session, contract)
    return counts


def _upsert(
    session: Session, existing: dict[str, Any], table: type[Any], ident: str, values: dict[str, Any]
) -> int:
    row = existing.get(ident)
    if row is None:
        session.add(table(id=ident, **values))
        return 1
    if all(getattr(row, k) == v for k, v in values.items()):
        return 0
    for k, v in values.items():
        setattr(row, k, v)
    session.add(row)
    return 1


def _sync_delegations(session: Session, contract: ContractIn) -> int:
    rows = session.exec(select(Delegation).where(Delegation.contract_id == contract.id)).all()
    current = {d.child_id: d for d in rows}
    wanted = {d.child: d for d in contract.delegations}
    changed = 0
    for child, row in current.items():
        if child not in wanted:
            session.delete(row)
            changed += 1
    for child, d in wanted.items():
        values: dict[str, Any] = {
            "parent_id": d.parent,
            "approved_at": d.approved_at,
            "upstream_notified_at": d.upstream_notified_at,
        }
        existing = current.get(child)
        if existing is None:
            session.add(Delegation(contract_id=contract.id, child_id=child, **values))
            changed += 1
        elif any(getattr(existing, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(existing, k, v)
            session.add(existing)
            changed += 1
    return changed


def get_contract(session: Session, contract_id: str, field: str = "--contract") -> Contract:
    """The contract, or a refusal naming `field`."""
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFound(field, f"unknown contract {contract_id!r}")
    return contract


def get_organization(session: Session, org_id: str, field: str = "--org") -> Organization:
    """The organisation, or a refusal naming `field`."""
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound(field, f"unknown organisation {org_id!r}")
    return org


def get_person(session: Session, person_id: str, field: str = "--by") -> Person:
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
