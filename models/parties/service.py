"""The parties' use cases: loading a validated parties file, and showing the contracts' trees.

Loading writes a file read by `jikoflow.models.parties.file` in the caller's transaction,
changing nothing when the database already matches (operator only, DESIGN.md §8).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from jikoflow.models.access import Principal, require_operator
from jikoflow.models.audit.service import PARTIES_CHAIN, record_event
from jikoflow.models.errors import NotFound
from jikoflow.models.guard import visible_orgs
from jikoflow.models.parties.file import ContractIn, PartiesFile
from jikoflow.models.parties.schemas import ContractTree, PartiesLoaded
from jikoflow.models.parties.tables import Contract, Delegation, Organization, Person
from jikoflow.models.parties.views import contract_tree

_LOAD_LOCK = int.from_bytes(hashlib.sha256(b"jikoflow parties load").digest()[:8], "big") >> 1


def load(
    session: Session,
    *,
    actor: Principal,
    parties: PartiesFile,
    source: str,
    now: datetime | None = None,
) -> PartiesLoaded:
    """Load a parties file (all or nothing; a second identical load changes nothing)."""
    require_operator(actor)
    if session.get_bind().dialect.name == "postgresql":
        # Loads started together take turns: each compares with what the one before wrote,
        # instead of both inserting the same rows (SQLite's writer lock does this already).
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOAD_LOCK})
    loaded = PartiesLoaded(**load_parties(session, parties))
    if loaded.changed:
        detail = {"file": source, **loaded.model_dump()}
        record_event(
            session, PARTIES_CHAIN, "parties_loaded", actor=actor.actor, at=now, detail=detail
        )
    return loaded


def trees(
    session: Session, *, actor: Principal, contract_id: str | None = None
) -> list[ContractTree]:
    """Every contract's tree the actor belongs to (all of them for the operator), or one."""
    visible = visible_orgs(session, actor)
    query = select(Contract).order_by(col(Contract.id))
    if contract_id is not None:
        if session.get(Contract, contract_id) is None or (
            visible is not None and contract_id not in visible
        ):
            raise NotFound("contract", f"unknown contract {contract_id!r}")
        query = query.where(Contract.id == contract_id)
    elif visible is not None:
        query = query.where(col(Contract.id).in_(sorted(visible)))
    return [contract_tree(session, c) for c in session.exec(query)]


_ORG_COLUMNS = {"name", "kind", "slack_channel", "email", "addressee", "representative", "sector"}


def load_parties(session: Session, parties: PartiesFile) -> dict[str, int]:
    """Upsert organisations, people and contracts; a contract's delegations become the file's.

    Returns counts of rows created or changed (all zero on a second identical load).
    """
    counts = {"organizations": 0, "people": 0, "contracts": 0, "delegations": 0}
    existing_orgs = {o.id: o for o in session.exec(select(Organization))}
    existing_people = {p.id: p for p in session.exec(select(Person))}
    resectored: set[str] = set()
    for org in parties.organizations:
        values = org.model_dump(include=_ORG_COLUMNS)
        was = existing_orgs.get(org.id)
        if was is not None and was.sector != values["sector"]:
            resectored.add(org.id)
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
    if resectored:
        # A sector sets 甲's APPI threshold: the sweep looks at those clocks again.
        from jikoflow.models.facts.wake import look_again_for

        look_again_for(session, resectored)
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
