"""The after-action report's content: what an auditor from 甲 asks about a drill.

Everything is gathered here into plain values ready to print (labels in the report's language,
times in Asia/Tokyo), so the templates only loop and choose.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from jikoflow.drills.core import participants_of
from jikoflow.drills.display import is_person, person_name, when
from jikoflow.drills.rules import (
    DrillType,
    ack_outcome,
    minutes_between,
    subcontract_tier,
)
from jikoflow.drills.scenario import Scenario
from jikoflow.drills.sections import clocks, findings, improvements, integrity
from jikoflow.drills.tables import Drill, DrillParticipant
from jikoflow.drills.words import EVENTS, WORDS
from jikoflow.models.audit.service import events_of
from jikoflow.models.audit.tables import AuditEvent
from jikoflow.models.enums import Lang
from jikoflow.models.incidents.tables import Report
from jikoflow.models.outbox.tables import Notification
from jikoflow.models.parties.chain import Chain
from jikoflow.models.parties.queries import chain_for, get_contract, organizations_by_id
from jikoflow.models.parties.tables import Person
from jikoflow.models.response.tables import CauseRevision, ContainmentAction, PreventionMeasure
from jikoflow.models.terms import label
from jikoflow.records.trail import action_label


def report_data(session: Session, drill: Drill, lang: Lang, now: datetime) -> dict[str, Any]:
    """Every section of the after-action report of one drill."""
    contract = get_contract(session, drill.contract_id)
    chain = chain_for(session, contract)
    scenario = Scenario.model_validate(drill.scenario) if drill.scenario else None
    participants = participants_of(session, drill.id)
    orgs = organizations_by_id(session, [p.org_id for p in participants] + [drill.origin_id])
    acks = acknowledgements(session, drill, participants)
    drill_events = events_of(session, drill.id)
    incident_events = events_of(session, drill.incident_id) if drill.incident_id else []
    people = _people(session, drill_events, incident_events)
    rows = _participant_rows(session, drill, participants, orgs, acks, people, lang)
    w = WORDS[lang]
    return {
        "lang": lang.value,
        "L": w,
        "id": drill.id,
        "title": scenario.title if scenario else label(drill.type, lang),
        "overview": _overview(drill, contract.title, chain, orgs, scenario, people, lang),
        "objectives": _objectives(scenario, lang),
        "participants": rows,
        "attendance": _attendance(people, lang, drill_events, incident_events),
        "timeline": _timeline(
            session, drill, scenario, drill_events, incident_events, people, lang
        ),
        "clocks": clocks(session, drill, rows, now, lang),
        "findings": findings(session, drill, scenario, rows, drill_events, now, lang),
        "improvements": improvements(session, drill, now, lang),
        "evidence": integrity(drill_events, incident_events, lang),
    }


def _people(session: Session, *chains: list[AuditEvent]) -> dict[str, Person]:
    ids = {e.actor for events in chains for e in events if e.actor}
    found = session.exec(select(Person).where(col(Person.id).in_(sorted(ids)))).all()
    return {p.id: p for p in found}


def acknowledgements(
    session: Session, drill: Drill, participants: list[DrillParticipant]
) -> dict[str, tuple[datetime | None, str | None, str]]:
    """Per organisation: when and by whom it confirmed, and what happened to its message."""
    if drill.type is DrillType.CONTACT:
        notes = session.exec(
            select(Notification).where(
                Notification.drill_id == drill.id, Notification.event == "drill_check"
            )
        ).all()
        status = {n.org_id: str(n.status) for n in notes}
        return {
            p.org_id: (p.acknowledged_at, p.acknowledged_by, status.get(p.org_id, "pending"))
            for p in participants
        }
    reports = session.exec(select(Report).where(Report.incident_id == drill.incident_id)).all()
    by_org = {r.recipient_id: r for r in reports}
    out: dict[str, tuple[datetime | None, str | None, str]] = {}
    for p in participants:
        report = by_org.get(p.org_id)
        if report is None:
            out[p.org_id] = (None, None, "—")
        else:
            sent = "sent" if report.delivered_at else str(report.status)
            out[p.org_id] = (report.acknowledged_at, report.acknowledged_by, sent)
    return out


def _participant_rows(
    session: Session,
    drill: Drill,
    participants: list[DrillParticipant],
    orgs: dict[str, Any],
    acks: dict[str, tuple[datetime | None, str | None, str]],
    people: dict[str, Person],
    lang: Lang,
) -> list[dict[str, Any]]:
    w = WORDS[lang]
    missing = {a[1] for a in acks.values() if a[1] and a[1] not in people}
    if missing:
        people.update(
            {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(missing)))}
        )
    rows = []
    for p in participants:
        acked_at, acked_by, delivery = acks[p.org_id]
        awaits = p.org_id != drill.origin_id or drill.type is DrillType.CONTACT
        outcome = ack_outcome(drill.started_at, acked_at) if awaits else None
        rows.append(
            {
                "org": p.org_id,
                "name": orgs[p.org_id].name,
                "relation": label(p.relation, lang),
                "channel": p.channel or w["none"],
                "has_channel": p.channel is not None,
                "managers": p.managers,
                "delivery": w.get(delivery, delivery),
                "delivered": delivery == "sent",
                "acknowledged": when(acked_at, lang),
                "by": person_name(people, acked_by, lang),
                "minutes": minutes_between(drill.started_at, acked_at),
                "outcome": label(outcome, lang) if outcome else w["nothing"],
                "outcome_key": outcome.value if outcome else None,
            }
        )
    return rows


def _overview(
    drill: Drill,
    contract_title: str,
    chain: Chain,
    orgs: dict[str, Any],
    scenario: Scenario | None,
    people: dict[str, Person],
    lang: Lang,
) -> list[tuple[str, str]]:
    w = WORDS[lang]
    rows = [
        (w["drill"], drill.id),
        (w["type"], label(drill.type, lang)),
        (w["state"], label(drill.state, lang)),
        (w["contract"], f"{drill.contract_id} {contract_title}"),
        (w["origin"], f"{orgs[drill.origin_id].name}（{drill.origin_id}）"),
        (w["tier"], str(subcontract_tier(chain, drill.origin_id))),
    ]
    if scenario is not None:
        rows.append((w["scenario"], f"{scenario.id} {scenario.title}"))
    if drill.incident_id:
        rows.append((w["incident"], drill.incident_id))
    rows += [
        (w["started"], when(drill.started_at, lang)),
        (w["ends"], when(drill.ends_at, lang)),
        (w["closed"], when(drill.closed_at, lang)),
        (w["started_by"], person_name(people, drill.started_by, lang)),
    ]
    if drill.plan_id is not None:
        rows.append((w["plan"], str(drill.plan_id)))
    return rows


def _objectives(scenario: Scenario | None, lang: Lang) -> list[str]:
    if scenario is not None:
        return list(scenario.objectives)
    w = WORDS[lang]
    return [w["contact_goal_1"], w["contact_goal_2"], w["contact_goal_3"]]


def _attendance(
    people: dict[str, Person], lang: Lang, *chains: list[AuditEvent]
) -> list[dict[str, Any]]:
    """Every person who acted in the drill or on its incident, with how often."""
    counts = Counter(e.actor for events in chains for e in events if is_person(e.actor))
    return [
        {
            "person": person_name(people, actor, lang),
            "org": people[actor].org_id if actor in people else None,
            "actions": n,
        }
        for actor, n in sorted(counts.items())
    ]


def _texts(session: Session, incident_id: str) -> dict[tuple[datetime, str | None], str]:
    """Free text participants typed with the normal commands, keyed by (time, author)."""
    texts: dict[tuple[datetime, str | None], str] = {}
    for c in session.exec(
        select(ContainmentAction).where(ContainmentAction.incident_id == incident_id)
    ):
        texts[(c.at, c.by)] = c.text
    for r in session.exec(select(CauseRevision).where(CauseRevision.incident_id == incident_id)):
        texts[(r.at, r.by)] = r.text
    for m in session.exec(
        select(PreventionMeasure).where(PreventionMeasure.incident_id == incident_id)
    ):
        texts[(m.created_at, m.created_by)] = m.text
    return texts


def _timeline(
    session: Session,
    drill: Drill,
    scenario: Scenario | None,
    drill_events: list[AuditEvent],
    incident_events: list[AuditEvent],
    people: dict[str, Person],
    lang: Lang,
) -> list[dict[str, Any]]:
    entries = [_drill_entry(e, scenario, people, lang) for e in drill_events]
    texts = _texts(session, drill.incident_id) if drill.incident_id else {}
    for event in incident_events:
        entries.append(
            {
                "at": when(event.at, lang),
                "sort": event.at,
                "who": person_name(people, event.actor, lang),
                "what": EVENTS[lang].get(event.action) or action_label(event.action, lang),
                "detail": texts.get((event.at, event.actor), _brief(event.detail)),
                "questions": [],
            }
        )
    entries.sort(key=lambda e: e["sort"])
    return entries


def _drill_entry(
    event: AuditEvent, scenario: Scenario | None, people: dict[str, Person], lang: Lang
) -> dict[str, Any]:
    detail, questions = _brief(event.detail), []
    if event.action == "inject_released" and scenario is not None:
        inject = scenario.injects[int(event.detail["number"]) - 1]
        detail = f"{WORDS[lang]['inject']} {event.detail['number']}: {inject.text}"
        questions = [(_role(scenario, q.role), q.ask) for q in inject.questions]
    elif event.action == "responded" and scenario is not None:
        role = _role(scenario, str(event.detail["role"]))
        detail = (
            f"{WORDS[lang]['inject']} {event.detail['inject']} / {role}: {event.detail['text']}"
        )
    return {
        "at": when(event.at, lang),
        "sort": event.at,
        "who": person_name(people, event.actor, lang),
        "what": EVENTS[lang].get(event.action, event.action),
        "detail": detail,
        "questions": questions,
    }


def _role(scenario: Scenario, role_id: str) -> str:
    role = scenario.role(role_id)
    return role.name if role else role_id


_BRIEF = (
    "org",
    "to",
    "origin",
    "scenario",
    "step",
    "number",
    "revision",
    "reached",
    "reminded",
    "acknowledged",
)


def _brief(detail: dict[str, Any]) -> str:
    """The few facts of an audit event worth a timeline line, as key=value."""
    keys = _BRIEF
    parts = [f"{k}={detail[k]}" for k in keys if detail.get(k) not in (None, "", [])]
    return ", ".join(parts)
