"""Drills under Art. 24 (3): the pure rules that judge them.

A contact-tree check (連絡確認訓練) reaches every organisation in a contract's chain and times
each confirmation against the first-report clock; a tabletop exercise (机上訓練) runs the real
Article 24 sequence on an incident flagged as a drill. Everything here is plain data and
arithmetic: no scheduler, no chat, no Prefect.
"""

from __future__ import annotations

import calendar
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from jikoflow.models.enums import StepName
from jikoflow.models.incidents.clocks import DEFAULT_CLOCKS, Deadline
from jikoflow.models.parties.chain import Chain
from jikoflow.models.times import TOKYO

ID_PREFIX = "DRL-"  # incidents are INC-…: a message's id says whether it is about a drill
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# "Same clocks": a confirmation is timed like the first report of a real incident (「直ちに」).
REPORT_CLOCK = DEFAULT_CLOCKS[StepName.REPORT]
WARN_AFTER = REPORT_CLOCK.due_after - REPORT_CLOCK.warn_before  # 30 minutes after the start
DEFAULT_WINDOW = REPORT_CLOCK.due_after
MAX_WINDOW = timedelta(days=7)
DEFAULT_CONTACT_MONTHS = 6
DEFAULT_TABLETOP_MONTHS = 12
JOBS_TABLE = "jikoflow_jobs"


class DrillType(StrEnum):
    """The two kinds of rehearsal."""

    CONTACT = "contact"  # 連絡確認訓練: unattended, every organisation confirms receipt
    TABLETOP = "tabletop"  # 机上訓練: facilitated, a scenario drives the real flow


class DrillState(StrEnum):
    """Whether a drill still accepts confirmations and responses."""

    RUNNING = "running"
    CLOSED = "closed"


class Relation(StrEnum):
    """How an organisation stands to the simulated incident (DESIGN.md §4)."""

    ORIGIN = "origin"  # where the simulated 事故等 happens
    RECIPIENT = "recipient"  # would receive the real report: every ancestor and 甲
    MEMBER = "member"  # elsewhere in the chain: reached to prove the contact tree works


class AckOutcome(StrEnum):
    """A confirmation judged against the first-report clock."""

    IN_TIME = "in_time"  # before the warning time (30 min)
    BEFORE_DUE = "before_due"  # after the warning, before the due time (1 h)
    LATE = "late"
    NONE = "none"


class FindingState(StrEnum):
    """An improvement item's life, tracked to closure."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"


def new_drill_id(at: datetime) -> str:
    """DRL-YYYYMMDD-XXXXXX: the Tokyo date of the start and a random suffix."""
    suffix = "".join(secrets.choice(_ID_ALPHABET) for _ in range(6))
    return f"{ID_PREFIX}{at.astimezone(TOKYO):%Y%m%d}-{suffix}"


def is_drill_id(text: str) -> bool:
    """Whether `text` is a drill's id (DRL-…) rather than an incident's (a tabletop's INC-…)."""
    return text.startswith(ID_PREFIX)


def subcontract_tier(chain: Chain, org: str) -> int:
    """0 for 乙, 1 for a 再委託先, 2 for the next tier, …; -1 for 甲."""
    return chain.depth_of(org) - 1


def origin_at_tier(chain: Chain, tier: int) -> str | None:
    """The first organisation (file order) at subcontract tier `tier`, if the chain has one."""
    for org in chain.members()[1:]:
        if subcontract_tier(chain, org) == tier:
            return org
    return None


def deepest_origin(chain: Chain) -> str:
    """The first organisation of the deepest tier: its report travels the longest path."""
    members = chain.members()[1:]
    return max(members, key=lambda org: (chain.depth_of(org), -members.index(org)))


def relations(chain: Chain, origin: str) -> list[tuple[str, Relation]]:
    """Every organisation of the chain and how it stands to an incident at `origin`."""
    recipients = set(chain.recipients_for(origin))
    out: list[tuple[str, Relation]] = []
    for org in chain.members():
        if org == origin:
            out.append((org, Relation.ORIGIN))
        elif org in recipients:
            out.append((org, Relation.RECIPIENT))
        else:
            out.append((org, Relation.MEMBER))
    return out


def report_deadline(started: datetime) -> Deadline:
    """The first report's warn and due times, counted from a drill's start."""
    return Deadline(warn_at=started + WARN_AFTER, due_at=started + REPORT_CLOCK.due_after)


def ack_outcome(started: datetime, acknowledged: datetime | None) -> AckOutcome:
    """A confirmation judged against the first-report clock, counted from the drill's start."""
    if acknowledged is None:
        return AckOutcome.NONE
    deadline = report_deadline(started)
    if acknowledged <= deadline.warn_at:
        return AckOutcome.IN_TIME
    if acknowledged <= deadline.due_at:
        return AckOutcome.BEFORE_DUE
    return AckOutcome.LATE


def add_months(moment: datetime, months: int) -> datetime:
    """The same Tokyo day `months` later, clamped to the month's last day."""
    local = moment.astimezone(TOKYO)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class Cadence:
    """When a kind of drill was last done for an organisation and when it is next due."""

    last: datetime | None
    due: datetime | None
    overdue: bool


def cadence(last: datetime | None, months: int, now: datetime) -> Cadence:
    """Never rehearsed is overdue; otherwise due `months` after the last rehearsal."""
    if last is None:
        return Cadence(None, None, True)
    due = add_months(last, months)
    return Cadence(last, due, now > due)


def minutes_between(start: datetime, end: datetime | None) -> float | None:
    """Elapsed minutes, one decimal; None when `end` is None."""
    if end is None:
        return None
    return round((end - start) / timedelta(minutes=1), 1)
