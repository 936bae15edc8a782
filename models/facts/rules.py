"""Rules on facts, outcomes and 甲's decisions — plain functions, no database.

Every refusal names the domain field it is about (`occurred_at`, `reason`, `due`, …); each
surface words it its own way.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from jikoflow.models.calendar import add_business_days, end_of_day
from jikoflow.models.enums import IncidentKind, InstructionStatus, Outcome, Publication
from jikoflow.models.errors import BadInput, problem_text
from jikoflow.models.facts.schemas import FACT_FIELDS, Facts
from jikoflow.models.times import tokyo_day

# A time a little ahead of our clock is a skewed clock elsewhere, not the future.
CLOCK_SKEW = timedelta(minutes=2)
# 差戻し: the record step is due again this many days after 甲 returned the record.
RETURN_DAYS = 7


def parse_facts(data: Mapping[str, Any]) -> Facts:
    """Facts from typed input (a form, JSON, command options); a refusal names the field."""
    try:
        return Facts.model_validate(dict(data))
    except ValidationError as exc:
        error = exc.errors()[0]
        place = error["loc"][0] if error["loc"] else "facts"
        raise BadInput(str(place), problem_text(error)) from None


def check_facts(facts: Facts, *, now: datetime, discovered_at: datetime) -> Facts:
    """`facts` if they agree with the clock and the incident: nothing happens after it is seen."""
    occurred = facts.occurred_at
    if occurred is not None:
        if occurred > now + CLOCK_SKEW:
            raise BadInput("occurred_at", "is in the future")
        if occurred > discovered_at:
            raise BadInput("occurred_at", "is after the incident was discovered")
    return facts


def merge_facts(previous: Facts | None, change: Facts) -> tuple[Facts, list[str]]:
    """The facts after `change` (only the fields it sets; `None` clears), and what changed."""
    before = previous or Facts()
    after = before.model_copy(update=change.model_dump(exclude_unset=True))
    # Re-validate: a copy with updates skips the validators.
    after = Facts.model_validate(after.model_dump())
    changed = [f for f in FACT_FIELDS if getattr(before, f) != getattr(after, f)]
    return after, changed


def check_reason(text: str | None, field: str = "reason") -> str:
    """A reason a person gives: required, stripped, bounded."""
    reason = (text or "").strip()
    if not reason:
        raise BadInput(field, "give a reason")
    if len(reason) > 4000:
        raise BadInput(field, "is longer than 4000 characters")
    return reason


def check_reclassification(
    *,
    kind: IncidentKind,
    suspected: bool,
    new_kind: IncidentKind | None,
    new_suspected: bool | None,
    reason: str | None,
) -> tuple[IncidentKind, bool, str]:
    """The kind, おそれ/発生 and reason after a reclassification; refused when nothing changes."""
    after_kind = kind if new_kind is None else new_kind
    after_suspected = suspected if new_suspected is None else new_suspected
    if (after_kind, after_suspected) == (kind, suspected):
        raise BadInput("kind", "neither the kind nor suspected/confirmed would change")
    return after_kind, after_suspected, check_reason(reason)


def submission_gaps(
    outcome: Outcome, *, contained: bool, has_cause: bool, has_measure: bool
) -> list[str]:
    """What the record still lacks before it can be submitted with `outcome` (field names).

    An incident needs the three duties of Art. 24 (1)–(3) done or planned. A suspicion that
    proved unfounded (該当なし) needs only its reason: there is nothing to contain, analyse or
    prevent, and demanding a prevention plan would make people invent one.
    """
    if outcome is Outcome.NOT_AN_INCIDENT:
        return []
    gaps = []
    if not contained:
        gaps.append("containment")
    if not has_cause:
        gaps.append("root_cause")
    if not has_measure:
        gaps.append("prevention")
    return gaps


def record_due_after_return(
    returned_at: datetime, *, days: int = RETURN_DAYS, business_days: bool = False
) -> datetime:
    """When the returned record is due again: the end of the `days`-th (business) day after."""
    day = tokyo_day(returned_at)
    due = add_business_days(day, days) if business_days else day + timedelta(days=days)
    return end_of_day(due)


def check_due_date(due: date | None, *, today: date, field: str = "due") -> date | None:
    """A due date that is not already past."""
    if due is not None and due < today:
        raise BadInput(field, f"{due.isoformat()} is in the past")
    return due


def check_instruction(text: str, *, due: date | None, today: date) -> tuple[str, date | None]:
    """An instruction's text and due date, checked."""
    body = text.strip()
    if not body:
        raise BadInput("text", "must not be empty")
    if len(body) > 4000:
        raise BadInput("text", "is longer than 4000 characters")
    return body, check_due_date(due, today=today)


def instruction_status(
    done_at: datetime | None, due: date | None, now: datetime
) -> InstructionStatus:
    """Done, open, or overdue once its due day (in Tokyo) has passed."""
    if done_at is not None:
        return InstructionStatus.DONE
    if due is not None and tokyo_day(now) > due:
        return InstructionStatus.OVERDUE
    return InstructionStatus.OPEN


def check_publication(
    decision: Publication,
    *,
    on: date | None,
    reason: str | None,
    today: date,
    discovered: date | None = None,
) -> tuple[date, str | None]:
    """The day of a publication decision and its reason.

    `on` is the day of publication (past, or planned for a later day), or the day 甲 decided to
    withhold, which cannot be later than today; withholding says why (the ward answers for it).
    Neither comes before the day the incident was discovered.
    """
    day = on or today
    if discovered is not None and day < discovered:
        raise BadInput("on", f"is before the incident was discovered ({discovered.isoformat()})")
    text = (reason or "").strip() or None
    if decision is Publication.WITHHOLD:
        if day > today:
            raise BadInput("on", "a decision to withhold cannot be dated in the future")
        text = check_reason(reason)
    if text is not None and len(text) > 4000:
        raise BadInput("reason", "is longer than 4000 characters")
    return day, text
