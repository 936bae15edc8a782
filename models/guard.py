"""Checking an act against the access table (`jikoflow.models.access`) with the database's facts.

Every service calls `authorize` (or `visible_contracts` for lists) before it changes or shows
anything, so the CLI's `--by`, the portal, the API and Slack get the same answer. A subject the
person may not see is "unknown" (its existence is not revealed); one they may see but not act
on is refused, naming who may.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from jikoflow.models.access import VERBS, WHO_MAY, Act, Principal, Standing, allows, standings
from jikoflow.models.errors import Forbidden, NotFound
from jikoflow.models.parties.chain import Chain
from jikoflow.models.parties.queries import chain_for, get_contract, get_person
from jikoflow.models.parties.tables import Contract, Delegation, Person


@dataclass(frozen=True)
class Subject:
    """What an act is about: an incident or a drill at an organisation under a contract."""

    id: str
    contract_id: str
    org_id: str
    noun: str = "incident"  # for "unknown incident 'X'"


def acting_person(session: Session, actor: Principal) -> Person | None:
    """The person acting, None for the operator; an unknown person is refused as bad input."""
    if actor.person_id is None:
        return None
    return get_person(session, actor.person_id, "by")


def authorize(
    session: Session,
    actor: Principal,
    act: Act,
    subject: Subject,
    *,
    recipient: str | None = None,
    participants: Iterable[str] = (),
    chain: Chain | None = None,
) -> Person | None:
    """Refuse unless `actor` may see `subject` and do `act` to it; returns the acting person."""
    person = acting_person(session, actor)
    if person is None:
        return None
    chain = chain or chain_for(session, get_contract(session, subject.contract_id, "id"))
    found = standings(
        chain, subject.org_id, person.org_id, recipient=recipient, participants=participants
    )
    if not allows(Act.SEE, found, person.role):
        raise NotFound("id", f"unknown {subject.noun} {subject.id!r}")
    if act is not Act.SEE and not allows(act, found, person.role):
        raise Forbidden("by", f"{person.id} may not {VERBS[act]}: only {WHO_MAY[act]} may")
    return person


def visible_orgs(session: Session, actor: Principal) -> dict[str, set[str]] | None:
    """Per contract, the organisations whose incidents `actor` may see; None: everything."""
    person = acting_person(session, actor)
    if person is None:
        return None
    contracts = session.exec(
        select(Contract).where(
            (col(Contract.client_id) == person.org_id)
            | (col(Contract.contractor_id) == person.org_id)
            | col(Contract.id).in_(
                select(Delegation.contract_id).where(Delegation.child_id == person.org_id)
            )
        )
    )
    visible: dict[str, set[str]] = {}
    for contract in contracts:
        chain = chain_for(session, contract)
        visible[contract.id] = {
            org
            for org in chain.members()
            if Standing.OWN in (s := standings(chain, org, person.org_id)) or Standing.ABOVE in s
        }
    return visible
