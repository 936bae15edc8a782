"""Addressees as they are at delivery: the contact details of the parties messages are for.

An outbox row names an organisation and/or a person, never an address; each transport
resolves the address from these details when it sends, so a channel added to the parties file
after a message was queued is the one it goes to.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlmodel import Session, col, select

from jikoflow.models.enums import Role
from jikoflow.models.parties.tables import Organization, Person
from jikoflow.notifications.base import Addressee

Who = tuple[str | None, str | None]  # (organisation id, person id) of an outbox row


def addressees(session: Session, who: Collection[Who]) -> dict[Who, Addressee]:
    """The current contact details of each (organisation, person)."""
    org_ids = sorted({o for o, _ in who if o is not None})
    person_ids = sorted({p for _, p in who if p is not None})
    channels: dict[str, str | None] = {}
    emails: dict[str, list[str]] = {o: [] for o in org_ids}
    if org_ids:
        found = session.exec(
            select(Organization.id, Organization.slack_channel, Organization.email).where(
                col(Organization.id).in_(org_ids)
            )
        )
        for org, channel, role_address in found:
            channels[org] = channel
            if role_address:
                emails[org].append(role_address)
        managers = session.exec(
            select(Person.org_id, Person.email)
            .where(col(Person.org_id).in_(org_ids), Person.role == Role.MANAGER)
            .order_by(col(Person.id))
        )
        for manager_org, address in managers:
            if address:
                emails[manager_org].append(address)
    people: dict[str, tuple[str | None, str | None]] = {}
    if person_ids:
        rows = session.exec(
            select(Person.id, Person.slack_user, Person.email).where(col(Person.id).in_(person_ids))
        )
        people = {i: (user, email) for i, user, email in rows}
    result: dict[Who, Addressee] = {}
    for org_id, person_id in who:
        user, email = people.get(person_id or "", (None, None))
        result[(org_id, person_id)] = Addressee(
            org_id=org_id,
            person_id=person_id,
            slack_channel=channels.get(org_id or ""),
            slack_user=user,
            email=email,
            org_emails=tuple(dict.fromkeys(emails.get(org_id or "", []))),
        )
    return result


def mail_address(to: Addressee) -> str | None:
    """A person's own address; for an organisation, its role address and its managers', one
    To: list ("a@x.jp, b@y.jp"); None when there is none."""
    if to.person_id is not None and to.email:
        return to.email
    return ", ".join(to.org_emails) or None


def chat_address(to: Addressee) -> str | None:
    """The person's own Slack id, else the organisation's channel; None when neither is known."""
    if to.person_id is not None and to.slack_user:
        return to.slack_user
    return to.slack_channel or None
