"""What the acting person may do, asked before they try: where they may declare, and which acts
on an incident are open to them now (DESIGN.md §8, through the one access table).

Surfaces offer only these (the portal hides the other buttons, a chat card its buttons); the
services still check every act when it is done, so a forged form is refused all the same.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from jikoflow.models.access import Act, Principal, allows, standings
from jikoflow.models.enums import IncidentState, ReportStatus
from jikoflow.models.guard import acting_person, visible_orgs
from jikoflow.models.incidents.schemas import IncidentActs, OrgChoice, PlaceChoice
from jikoflow.models.incidents.service import visible_incident
from jikoflow.models.incidents.tables import Incident, Report
from jikoflow.models.parties.queries import chain_for, organizations_by_id
from jikoflow.models.parties.tables import Contract


def declare_places(session: Session, *, actor: Principal) -> list[PlaceChoice]:
    """Per contract, the organisations where the actor may declare (乙 and below, never 甲)."""
    visible = visible_orgs(session, actor)
    person = acting_person(session, actor)
    query = select(Contract).order_by(col(Contract.id))
    if visible is not None:
        query = query.where(col(Contract.id).in_(sorted(visible)))
    places = []
    for contract in session.exec(query):
        chain = chain_for(session, contract)
        members = [org for org in chain.members() if org != chain.client]
        if person is not None:
            members = [
                org
                for org in members
                if allows(Act.DECLARE, standings(chain, org, person.org_id), person.role)
            ]
        if not members:
            continue
        orgs = organizations_by_id(session, members)
        places.append(
            PlaceChoice(
                contract=contract.id,
                contract_title=contract.title,
                orgs=[OrgChoice(id=o, name=orgs[o].name) for o in members],
            )
        )
    return places


def incident_acts(session: Session, *, actor: Principal, incident_id: str) -> IncidentActs:
    """The acts open to the actor on an incident now (its existence is not revealed to one who
    may not see it); a closed incident takes only 甲's decisions and answers to them."""
    return acts_on(session, actor, visible_incident(session, actor, incident_id))


def acts_on(session: Session, actor: Principal, incident: Incident) -> IncidentActs:
    """The acts open to the actor on an incident they were found to see."""
    closed = incident.state is IncidentState.CLOSED
    person = acting_person(session, actor)
    if person is None:  # the operator
        if closed:
            return IncidentActs(id=incident.id)
        return IncidentActs(
            id=incident.id,
            contain=True,
            cause=True,
            prevent=True,
            submit=incident.state is IncidentState.OPEN,
            accept=False,  # 甲 accepts as a named manager
            facts=True,
            complete_instruction=True,
        )
    chain = chain_for(session, session.get_one(Contract, incident.contract_id))
    found = standings(chain, incident.org_id, person.org_id, recipient=person.org_id)

    def may(act: Act) -> bool:
        return allows(act, found, person.role)

    # 甲's decisions and the answers to its instructions outlive the record (lifecycle.py).
    later = IncidentActs(
        id=incident.id,
        instruct=may(Act.INSTRUCT),
        publish=may(Act.PUBLISH),
        ppc=may(Act.PPC) and not incident.is_drill,
        # Answering an instruction is responding to the incident (facts/service.py).
        complete_instruction=may(Act.ANSWER),
    )
    if closed:
        return later
    own_report = select(Report).where(
        Report.incident_id == incident.id, Report.recipient_id == person.org_id
    )
    report = session.exec(own_report).first()
    waiting = report is not None and report.status is not ReportStatus.ACKNOWLEDGED
    submitted = incident.state is IncidentState.SUBMITTED
    return later.model_copy(
        update={
            "acknowledge": person.org_id if waiting and may(Act.ACKNOWLEDGE) else None,
            "contain": may(Act.CONTAIN),
            "cause": may(Act.CAUSE),
            "prevent": may(Act.PREVENT),
            "facts": may(Act.FACTS),
            "submit": may(Act.SUBMIT) and incident.state is IncidentState.OPEN,
            "accept": may(Act.ACCEPT) and submitted,
            "return_record": may(Act.RETURN) and submitted,
        }
    )
