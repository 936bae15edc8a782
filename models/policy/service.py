"""The policy in the database: loading a validated file (all or nothing, idempotent, audited) and
reading the effective policy of a contract or an organisation.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, func, select

from jikoflow.models.access import Principal, require_operator
from jikoflow.models.audit.service import record_event
from jikoflow.models.errors import BadInput
from jikoflow.models.parties.tables import Contract, Organization
from jikoflow.models.policy.rules import resolve_contract, resolve_organization
from jikoflow.models.policy.schemas import (
    ContractPolicy,
    OrganizationPolicy,
    PolicyLoaded,
    PolicyView,
)
from jikoflow.models.policy.tables import PolicyEntry, PolicyScope
from jikoflow.models.types import utcnow

if TYPE_CHECKING:  # the file's models and YAML are loaded only by `policy load`
    from jikoflow.models.policy.file import PolicyFile

POLICY_CHAIN = "policy"
_COUNTED = {
    PolicyScope.DEFAULTS: "defaults",
    PolicyScope.CONTRACT: "contracts",
    PolicyScope.ORGANIZATION: "organizations",
}
Key = tuple[PolicyScope, str]


def load_policy(
    session: Session,
    *,
    actor: Principal,
    policy: PolicyFile,
    name: str,
    text: str,
    now: datetime | None = None,
) -> PolicyLoaded:
    """Make the stored policy the file's; loading the same file again changes nothing."""
    require_operator(actor)
    moment = now or utcnow()
    _check_references(session, policy, name)
    wanted = _entries(policy)
    existing = {(e.scope, e.scope_id): e for e in session.exec(select(PolicyEntry))}
    changed = dict.fromkeys(_COUNTED.values(), 0)
    for key, row in existing.items():
        if key not in wanted:
            session.delete(row)
            changed[_COUNTED[key[0]]] += 1
    for key, settings in wanted.items():
        found = existing.get(key)
        if found is not None and found.settings == settings:
            continue
        row = found if found is not None else PolicyEntry(scope=key[0], scope_id=key[1])
        row.settings = settings
        row.loaded_at = moment
        session.add(row)
        changed[_COUNTED[key[0]]] += 1
    digest = hashlib.sha256(text.encode()).hexdigest()
    if any(changed.values()):
        session.flush()
        record_event(
            session,
            POLICY_CHAIN,
            "policy_loaded",
            actor=actor.actor,
            at=moment,
            detail={"file": name, "sha256": digest, **changed},
        )
    return PolicyLoaded(file=name, sha256=digest, changed=changed)


def _entries(policy: PolicyFile) -> dict[Key, dict[str, Any]]:
    wanted: dict[Key, dict[str, Any]] = {
        (PolicyScope.DEFAULTS, ""): policy.defaults.model_dump(mode="json", exclude_unset=True)
    }
    for index, contract in enumerate(policy.contracts):
        wanted[(PolicyScope.CONTRACT, contract.id)] = policy.contract_set(index)
    for org in policy.organizations:
        wanted[(PolicyScope.ORGANIZATION, org.id)] = {"require_totp": org.require_totp}
    return wanted


def _check_references(session: Session, policy: PolicyFile, name: str) -> None:
    contracts = set(session.exec(select(Contract.id)))
    orgs = set(session.exec(select(Organization.id)))
    for index, contract in enumerate(policy.contracts):
        if contract.id not in contracts:
            raise BadInput(f"{name}: contracts[{index}].id", f"unknown contract {contract.id!r}")
    for index, org in enumerate(policy.organizations):
        if org.id not in orgs:
            raise BadInput(f"{name}: organizations[{index}].id", f"unknown organisation {org.id!r}")


def _written(session: Session, scope: PolicyScope, scope_id: str) -> dict[str, Any] | None:
    row = session.exec(
        select(PolicyEntry).where(PolicyEntry.scope == scope, PolicyEntry.scope_id == scope_id)
    ).first()
    return dict(row.settings) if row is not None else None


def _defaults(session: Session) -> dict[str, Any]:
    written = _written(session, PolicyScope.DEFAULTS, "") or {}
    written.pop("require_totp", None)
    return written


def contract_policy(session: Session, contract_id: str | None = None) -> ContractPolicy:
    """The effective policy of a contract (the defaults when it sets nothing, or for None)."""
    own = _written(session, PolicyScope.CONTRACT, contract_id) if contract_id else None
    return resolve_contract(_defaults(session), own)


def contract_policies(session: Session) -> list[ContractPolicy]:
    """The defaults' policy and that of every contract with settings of its own."""
    defaults = _defaults(session)
    own = session.exec(select(PolicyEntry).where(PolicyEntry.scope == PolicyScope.CONTRACT))
    return [
        resolve_contract(defaults),
        *(resolve_contract(defaults, dict(r.settings)) for r in own),
    ]


def organization_policy(session: Session, org_id: str) -> OrganizationPolicy:
    """The effective policy of an organisation."""
    defaults = _written(session, PolicyScope.DEFAULTS, "") or {}
    own = _written(session, PolicyScope.ORGANIZATION, org_id) or {}
    return resolve_organization(defaults.get("require_totp"), own.get("require_totp"))


def policy_view(session: Session) -> PolicyView:
    """The effective policy of every contract and organisation in the database."""
    rows = list(session.exec(select(PolicyEntry)))
    written = {(r.scope, r.scope_id): dict(r.settings) for r in rows}
    defaults = dict(written.get((PolicyScope.DEFAULTS, ""), {}))
    totp_default = defaults.pop("require_totp", None)
    contract_ids = session.exec(select(Contract.id).order_by(col(Contract.id))).all()
    org_ids = session.exec(select(Organization.id).order_by(col(Organization.id))).all()
    loaded_at = session.exec(select(func.max(PolicyEntry.loaded_at))).one()
    return PolicyView(
        loaded_at=loaded_at,
        defaults=resolve_contract(defaults),
        contracts={
            c: resolve_contract(defaults, written.get((PolicyScope.CONTRACT, c)))
            for c in contract_ids
        },
        organizations={
            o: resolve_organization(
                totp_default, written.get((PolicyScope.ORGANIZATION, o), {}).get("require_totp")
            )
            for o in org_ids
        },
    )
