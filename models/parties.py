"""The parties file: organisations, people and contracts with their delegation trees.

`parse_parties` validates everything before anything is written; `load_parties` writes it
in the caller's transaction, changing nothing when the database already matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, col, select

from models.chain import Chain, Tier
from models.enums import OrgKind, Role
from models.errors import BadInput, NotFound
from models.tables import Contract, Delegation, Organization, Person

# libyaml parses a large parties file ten times faster than the pure-Python loader.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Slug = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class PersonIn(_Strict):
    """A person as written in the parties file."""

    id: str = Slug
    name: str = Field(min_length=1, max_length=200)
    role: Role
    slack_user: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=200)


class OrganizationIn(_Strict):
    """An organisation as written in the parties file."""

    id: str = Slug
    name: str = Field(min_length=1, max_length=200)
    kind: OrgKind
    slack_channel: str | None = Field(default=None, max_length=64)
    people: list[PersonIn] = Field(default_factory=list)


class DelegationIn(_Strict):
    """One delegation edge as written in the parties file."""

    model_config = ConfigDict(populate_by_name=True)

    parent: str = Field(alias="from")
    child: str = Field(alias="to")
    approved_at: date | None = None
    upstream_notified_at: date | None = None


class ContractIn(_Strict):
    """A contract as written in the parties file."""

    id: str = Slug
    title: str = Field(min_length=1, max_length=300)
    client: str
    contractor: str
    delegations: list[DelegationIn] = Field(default_factory=list)


class PartiesFile(_Strict):
    """The whole parties file."""

    organizations: list[OrganizationIn] = Field(default_factory=list)
    contracts: list[ContractIn] = Field(default_factory=list)


def _place(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "file"


def read_parties(path: Path) -> PartiesFile:
    """Read and validate a parties file; every refusal names the place in the file."""
    try:
        raw: Any = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except OSError as exc:
        raise BadInput(str(path), f"cannot read: {exc.strerror or exc}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise BadInput(str(path), f"unreadable YAML{line}") from None
    except ValueError as exc:  # a date YAML recognises that the calendar does not: 2026-02-30
        raise BadInput(str(path), f"invalid value: {exc}") from None
    if not isinstance(raw, dict):
        raise BadInput(str(path), "expected a mapping with organizations and contracts")
    try:
        parties = PartiesFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise BadInput(f"{path.name}: {_place(err['loc'])}", err["msg"]) from None
    check_references(parties, path.name)
    return parties


def _unique(ids: list[str], where: str) -> None:
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        if ident in seen:
            raise BadInput(f"{where}[{i}].id", f"duplicate id {ident!r}")
        seen.add(ident)


def check_references(parties: PartiesFile, name: str) -> None:
    """Ids unique, references known, each contract's delegations a tree under 乙."""
    orgs = {o.id: o for o in parties.organizations}
    _unique([o.id for o in parties.organizations], f"{name}: organizations")
    _unique([p.id for o in parties.organizations for p in o.people], f"{name}: people")
    _unique([c.id for c in parties.contracts], f"{name}: contracts")
    for ci, contract in enumerate(parties.contracts):
        where = f"{name}: contracts[{ci}]"
        for fld in ("client", "contractor"):
            if getattr(contract, fld) not in orgs:
                ref = getattr(contract, fld)
                raise BadInput(f"{where}.{fld}", f"unknown organisation {ref!r}")
        if orgs[contract.client].kind is not OrgKind.CLIENT:
            raise BadInput(f"{where}.client", f"{contract.client} is not of kind client")
        if orgs[contract.contractor].kind is OrgKind.CLIENT:
            raise BadInput(f"{where}.contractor", f"{contract.contractor} is of kind client")
        for di, d in enumerate(contract.delegations):
            for fld, ref in (("from", d.parent), ("to", d.child)):
                if ref not in orgs:
                    raise BadInput(
                        f"{where}.delegations[{di}].{fld}", f"unknown organisation {ref!r}"
                    )
            if orgs[d.child].kind is OrgKind.CLIENT:
                raise BadInput(f"{where}.delegations[{di}].to", f"{d.child} is of kind client")
        try:
            chain_of(contract)
        except BadInput as exc:
            raise BadInput(f"{where}.delegations", exc.message) from None


def chain_of(contract: ContractIn) -> Chain:
    """The chain a contract of the file describes."""
    tiers = [
        Tier(d.parent, d.child, d.approved_at, d.upstream_notified_at) for d in contract.delegations
    ]
    return Chain.build(contract.id, contract.client, contract.contractor, tiers)


def load_parties(session: Session, parties: PartiesFile) -> dict[str, int]:
    """Upsert organisations, people and contracts; a contract's delegations become the file's.

    Returns counts of rows created or changed (all zero on a second identical load).
    """
    counts = {"organizations": 0, "people": 0, "contracts": 0, "delegations": 0}
    existing_orgs = {o.id: o for o in session.exec(select(Organization))}
    existing_people = {p.id: p for p in session.exec(select(Person))}
    for org in parties.organizations:
        values = {"name": org.name, "kind": org.kind, "slack_channel": org.slack_channel}
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
