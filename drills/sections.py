"""The judging sections of the after-action report: clocks, findings, improvements, integrity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from jikoflow.drills.display import person_name, when
from jikoflow.drills.findings import finding_view, list_findings
from jikoflow.drills.rules import AckOutcome, DrillType
from jikoflow.drills.scenario import Scenario
from jikoflow.drills.tables import Drill
from jikoflow.drills.words import WORDS
from jikoflow.models.audit.service import verify_chain
from jikoflow.models.audit.tables import AuditEvent
from jikoflow.models.enums import Lang, StepStatus
from jikoflow.models.incidents.clocks import effective_status
from jikoflow.models.incidents.tables import Step
from jikoflow.models.parties.tables import Person
from jikoflow.models.terms import label
from jikoflow.models.times import tokyo_day


def _end(drill: Drill, now: datetime) -> datetime:
    return drill.closed_at or min(now, drill.ends_at)


def clocks(
    session: Session, drill: Drill, rows: list[dict[str, Any]], now: datetime, lang: Lang
) -> dict[str, Any]:
    """Confirmations counted by outcome; for a tabletop, each step's due and done times."""
    counts = [
        (label(outcome, lang), sum(r["outcome_key"] == outcome.value for r in rows))
        for outcome in AckOutcome
    ]
    steps = []
    if drill.incident_id:
        end = _end(drill, now)
        query = select(Step).where(Step.incident_id == drill.incident_id).order_by(col(Step.id))
        for step in session.exec(query):
            status = effective_status(step.status, step.due_at, end)
            steps.append(
                {
                    "step": label(step.name, lang),
                    "due": when(step.due_at, lang),
                    "done": when(step.done_at, lang),
                    "status": label(status, lang),
                }
            )
    return {"rule": WORDS[lang]["clock_rule"], "counts": counts, "steps": steps}


def findings(
    session: Session,
    drill: Drill,
    scenario: Scenario | None,
    rows: list[dict[str, Any]],
    drill_events: list[AuditEvent],
    now: datetime,
    lang: Lang,
) -> list[dict[str, Any]]:
    """What the drill revealed, in groups; only groups with something in them."""
    w = WORDS[lang]

    def names(keep: Any) -> list[str]:
        return [f"{r['name']}（{r['org']}）" for r in rows if keep(r)]

    groups = [
        (w["no_answer"], names(lambda r: r["outcome_key"] == AckOutcome.NONE.value)),
        (w["late"], names(lambda r: r["outcome_key"] == AckOutcome.LATE.value)),
        (w["undelivered"], names(lambda r: r["has_channel"] and r["delivery"] in _failed(lang))),
        (w["no_channel"], names(lambda r: not r["has_channel"])),
        (w["no_manager"], names(lambda r: r["managers"] == 0)),
    ]
    if drill.type is DrillType.TABLETOP:
        groups.append((w["overdue_steps"], _overdue_steps(session, drill, now, lang)))
        groups.append((w["unanswered"], _unanswered(drill, scenario, drill_events, lang)))
    return [{"title": title, "items": items} for title, items in groups if items]


def _failed(lang: Lang) -> tuple[str, ...]:
    w = WORDS[lang]
    return (w["failed"], w["unreachable"], w["pending"], w["withdrawn"])


def _overdue_steps(session: Session, drill: Drill, now: datetime, lang: Lang) -> list[str]:
    end = _end(drill, now)
    steps = session.exec(select(Step).where(Step.incident_id == drill.incident_id))
    return [
        f"{label(s.name, lang)}（{WORDS[lang]['due']} {when(s.due_at, lang)}）"
        for s in steps
        if effective_status(s.status, s.due_at, end) is StepStatus.OVERDUE
    ]


def _unanswered(
    drill: Drill, scenario: Scenario | None, drill_events: list[AuditEvent], lang: Lang
) -> list[str]:
    if scenario is None:
        return []
    answered = {
        (int(e.detail["inject"]), str(e.detail["role"]))
        for e in drill_events
        if e.action == "responded"
    }
    out = []
    for number, inject in enumerate(scenario.injects[: drill.released], start=1):
        for question in inject.questions:
            if (number, question.role) not in answered:
                role = scenario.role(question.role)
                who = role.name if role else question.role
                out.append(f"{WORDS[lang]['inject']} {number} / {who}: {question.ask}")
    return out


def improvements(session: Session, drill: Drill, now: datetime, lang: Lang) -> list[dict[str, Any]]:
    """The drill's improvement items with owner, due date and state."""
    items = list_findings(session, drill_id=drill.id)
    owners = {f.owner_id for f in items if f.owner_id}
    people = {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(owners)))}
    today = tokyo_day(now)
    return [
        {
            "number": item.number,
            "text": item.text,
            "owner": person_name(people, item.owner_id, lang),
            "due": item.due_date.isoformat() if item.due_date else WORDS[lang]["nothing"],
            "state": label(item.state, lang),
            "overdue": finding_view(item, today).overdue,
        }
        for item in items
    ]


def integrity(
    drill_events: list[AuditEvent], incident_events: list[AuditEvent], lang: Lang
) -> list[dict[str, Any]]:
    """Per audit chain (the drill's, the drill incident's): events and whether they verify."""
    w = WORDS[lang]
    out = []
    for events in (drill_events, incident_events):
        if not events:
            continue
        ok = verify_chain(events)
        out.append(
            {
                "chain": events[0].chain,
                "events": len(events),
                "ok": ok,
                "text": w["chain_ok"] if ok else w["chain_bad"],
                "last_hash": events[-1].hash[:16],
            }
        )
    return out
