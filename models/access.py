"""Who may see and do what (DESIGN.md §8), decided here and nowhere else.

The rule is a table: for each act, the standings (how the acting person's organisation stands
to the subject) and roles that allow it. A person's standings are computed from the contract's
chain; the operator of the server (the CLI without `--by`) may do everything, since whoever
runs the CLI there can reach the database anyway. The portal, the API and Slack act only as
signed-in people, so the same table answers them all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from jikoflow.models.enums import Role
from jikoflow.models.errors import Forbidden
from jikoflow.models.parties.chain import Chain

OPERATOR_ACTOR = "@operator"  # person ids are slugs: they never start with "@"
SYSTEM_ACTOR = "@system"


class Via(StrEnum):
    """The surface an act came through (kept in the audit trail)."""

    CLI = "cli"
    WEB = "web"
    API = "api"
    SLACK = "slack"
    SYSTEM = "system"  # flows, the scheduler, sweeps


@dataclass(frozen=True)
class Principal:
    """Who acts: a person (signed in, or named by `--by`), the operator, or the system."""

    person_id: str | None = None
    via: Via = Via.CLI

    @property
    def is_person(self) -> bool:
        """Whether a person acts (checked against the table) rather than the operator."""
        return self.person_id is not None

    @property
    def actor(self) -> str:
        """The name the audit trail records."""
        if self.person_id is not None:
            return self.person_id
        return SYSTEM_ACTOR if self.via is Via.SYSTEM else OPERATOR_ACTOR


OPERATOR = Principal()
SYSTEM = Principal(via=Via.SYSTEM)


def person(person_id: str, via: Via = Via.CLI) -> Principal:
    """A person acting through `via`."""
    return Principal(person_id=person_id, via=via)


class Act(StrEnum):
    """The acts of DESIGN.md §8."""

    SEE = "see"
    DECLARE = "declare"
    ACKNOWLEDGE = "acknowledge"
    CONTAIN = "contain"
    CAUSE = "cause"
    PREVENT = "prevent"
    FACTS = "facts"
    RECLASSIFY = "reclassify"
    SUBMIT = "submit"
    ACCEPT = "accept"
    RETURN = "return"
    INSTRUCT = "instruct"
    PUBLISH = "publish"
    PPC = "ppc"
    ANSWER = "answer"  # mark 甲's instruction done: responding to the incident
    OPERATE = "operate"  # parties, users, drill plans, the outbox
    DRILL_RUN = "drill_run"
    DRILL_LEAD = "drill_lead"  # release injects, end a drill, record findings
    DRILL_ACK = "drill_ack"
    DRILL_TAKE_PART = "drill_take_part"  # answer an inject, record attendance


class Standing(StrEnum):
    """How an organisation stands to a subject (an incident at X, or a drill)."""

    OWN = "own"  # X itself
    ABOVE = "above"  # a delegator above X on its path, 乙 and 甲 included
    CONTRACTOR = "contractor"  # 乙 of the contract
    CLIENT = "client"  # 甲 of the contract
    RECIPIENT = "recipient"  # the organisation a report (or a drill's check) is addressed to
    PARTICIPANT = "participant"  # an organisation a drill reached


ANY: Role | None = None
_M = Role.MANAGER
_RESPONDERS = frozenset({(Standing.OWN, ANY), (Standing.ABOVE, _M)})
_CLIENT_MANAGERS = frozenset({(Standing.CLIENT, _M)})
_DRILL_LEADS = frozenset({(Standing.CONTRACTOR, _M), (Standing.CLIENT, _M)})

RULES: dict[Act, frozenset[tuple[Standing, Role | None]]] = {
    Act.SEE: frozenset({(Standing.OWN, ANY), (Standing.ABOVE, ANY), (Standing.PARTICIPANT, ANY)}),
    Act.DECLARE: _RESPONDERS,
    Act.ACKNOWLEDGE: frozenset({(Standing.RECIPIENT, _M)}),
    Act.CONTAIN: _RESPONDERS,
    Act.CAUSE: _RESPONDERS,
    Act.PREVENT: _RESPONDERS,
    Act.FACTS: _RESPONDERS,
    Act.RECLASSIFY: _RESPONDERS,
    Act.SUBMIT: frozenset({(Standing.OWN, _M), (Standing.CONTRACTOR, _M)}),
    Act.ACCEPT: _CLIENT_MANAGERS,
    Act.RETURN: _CLIENT_MANAGERS,
    Act.INSTRUCT: _CLIENT_MANAGERS,
    Act.PUBLISH: _CLIENT_MANAGERS,
    Act.PPC: _CLIENT_MANAGERS,
    Act.ANSWER: _RESPONDERS,
    Act.OPERATE: frozenset(),
    Act.DRILL_RUN: _DRILL_LEADS,
    Act.DRILL_LEAD: _DRILL_LEADS,
    Act.DRILL_ACK: frozenset({(Standing.RECIPIENT, _M)}),
    Act.DRILL_TAKE_PART: frozenset({(Standing.PARTICIPANT, ANY)}),
}

# Who may, in the words of a refusal (the CLI prints it; the portal shows it).
WHO_MAY: dict[Act, str] = {
    Act.SEE: "people of an organisation on its path",
    Act.DECLARE: "people of the organisation, or managers above it in the contract",
    Act.ACKNOWLEDGE: "managers of the recipient organisation",
    Act.SUBMIT: "managers of the incident's organisation or of 乙",
    Act.OPERATE: "the operator of the server (the CLI without --by)",
    Act.DRILL_RUN: "managers of 乙 or 甲, or the operator",
    Act.DRILL_LEAD: "managers of 乙 or 甲, or the operator",
    Act.DRILL_ACK: "managers of the organisation reached",
    Act.DRILL_TAKE_PART: "people of an organisation the drill reached",
    **dict.fromkeys(
        (Act.CONTAIN, Act.CAUSE, Act.PREVENT, Act.FACTS, Act.RECLASSIFY, Act.ANSWER),
        "people of the incident's organisation, or managers above it on its path",
    ),
    **dict.fromkeys((Act.ACCEPT, Act.RETURN, Act.INSTRUCT, Act.PUBLISH, Act.PPC), "managers of 甲"),
}


# What the act is, in the words of a refusal: "tanaka may not <verb>: only … may".
VERBS: dict[Act, str] = {
    Act.SEE: "see it",
    Act.DECLARE: "declare there",
    Act.ACKNOWLEDGE: "acknowledge this report",
    Act.CONTAIN: "record containment",
    Act.CAUSE: "record the cause",
    Act.PREVENT: "record prevention measures",
    Act.FACTS: "record the facts",
    Act.RECLASSIFY: "correct its kind or its discovery time",  # reclassify, correct-discovery
    Act.SUBMIT: "submit the record",
    Act.ACCEPT: "accept the record",
    Act.RETURN: "return the record",
    Act.INSTRUCT: "instruct",
    Act.PUBLISH: "decide on publication",
    Act.PPC: "draft the report to the PPC",
    Act.ANSWER: "mark 甲's instructions done",
    Act.OPERATE: "do this",
    Act.DRILL_RUN: "run a drill",
    Act.DRILL_LEAD: "lead this drill",
    Act.DRILL_ACK: "confirm this check",
    Act.DRILL_TAKE_PART: "take part in this drill",
}


def standings(
    chain: Chain,
    subject_org: str,
    person_org: str,
    *,
    recipient: str | None = None,
    participants: Iterable[str] = (),
) -> frozenset[Standing]:
    """How `person_org` stands to a subject at `subject_org` under `chain`."""
    found: set[Standing] = set()
    if person_org in chain.members() and subject_org in chain.members():
        path = chain.path_to_client(subject_org)
        if person_org == subject_org:
            found.add(Standing.OWN)
        elif person_org in path:
            found.add(Standing.ABOVE)
    if person_org == chain.contractor:
        found.add(Standing.CONTRACTOR)
    if person_org == chain.client:
        found.add(Standing.CLIENT)
    if recipient is not None and person_org == recipient:
        found.add(Standing.RECIPIENT)
    if person_org in set(participants):
        found.add(Standing.PARTICIPANT)
    return frozenset(found)


def allows(act: Act, found: frozenset[Standing], role: Role) -> bool:
    """Whether a person of `role` standing as `found` may do `act`."""
    return any(
        standing in found and (wanted is None or wanted is role) for standing, wanted in RULES[act]
    )


def require_operator(principal: Principal) -> None:
    """Refuse a person: parties, users and policy are the operator's (the CLI on the server)."""
    if principal.is_person:
        raise Forbidden("by", f"only {WHO_MAY[Act.OPERATE]} may do this")
