"""The state machines of an incident, its steps and its reports, each a transition table.

Incident: changes after a submission reopen it, so 甲 can only accept a version that is
current; 甲 may also return a submitted version (差戻し), which reopens it. A drill's incident
(Art. 24 (3)) has no record to accept and closes when its drill ends. Once closed, only what
follows a decision goes on: measures are marked implemented, 甲 instructs and decides on
publication; the record itself no longer changes.
Step: `overdue` is derived from the clock and never stored, so it is not a state here.
Report: a late delivery outcome never undoes an acknowledgement, and one transport's failure
never undoes another's delivery.
"""

from __future__ import annotations

from enum import StrEnum

from jikoflow.models.enums import IncidentState, ReportStatus, StepStatus
from jikoflow.models.errors import Conflict


class Action(StrEnum):
    """Things done to an incident."""

    ACK = "ack"
    CONTAIN = "contain"
    CAUSE = "cause"
    PREVENT = "prevent"
    IMPLEMENT = "implement"
    SUBMIT = "submit"
    ACCEPT = "accept"
    FACTS = "facts"  # the structured facts are revised
    RECLASSIFY = "reclassify"  # the kind or おそれ/発生 changes
    RETURN = "return"  # 甲 returns the submitted record (差戻し)
    INSTRUCT = "instruct"  # 甲 instructs (Art. 22), or an instruction is marked done
    PUBLISH = "publish"  # 甲 decides on publication (Art. 25)
    END_DRILL = "end_drill"  # the drill ended; only for an incident flagged as a drill


_OPEN, _SUBMITTED, _CLOSED = IncidentState.OPEN, IncidentState.SUBMITTED, IncidentState.CLOSED

INCIDENT: dict[tuple[IncidentState, Action], IncidentState] = {
    (_OPEN, Action.ACK): _OPEN,
    (_OPEN, Action.CONTAIN): _OPEN,
    (_OPEN, Action.CAUSE): _OPEN,
    (_OPEN, Action.PREVENT): _OPEN,
    (_OPEN, Action.IMPLEMENT): _OPEN,
    (_OPEN, Action.SUBMIT): _SUBMITTED,
    (_OPEN, Action.END_DRILL): _CLOSED,
    (_OPEN, Action.FACTS): _OPEN,
    (_OPEN, Action.RECLASSIFY): _OPEN,
    (_OPEN, Action.INSTRUCT): _OPEN,
    (_OPEN, Action.PUBLISH): _OPEN,
    (_SUBMITTED, Action.ACK): _SUBMITTED,
    (_SUBMITTED, Action.CONTAIN): _OPEN,
    (_SUBMITTED, Action.CAUSE): _OPEN,
    (_SUBMITTED, Action.PREVENT): _OPEN,
    (_SUBMITTED, Action.IMPLEMENT): _OPEN,
    (_SUBMITTED, Action.SUBMIT): _SUBMITTED,
    (_SUBMITTED, Action.ACCEPT): _CLOSED,
    (_SUBMITTED, Action.END_DRILL): _CLOSED,
    (_SUBMITTED, Action.FACTS): _OPEN,
    (_SUBMITTED, Action.RECLASSIFY): _OPEN,
    (_SUBMITTED, Action.RETURN): _OPEN,
    # 甲's own acts are not part of what the submitted version says: it stays submitted.
    (_SUBMITTED, Action.INSTRUCT): _SUBMITTED,
    (_SUBMITTED, Action.PUBLISH): _SUBMITTED,
    (_CLOSED, Action.IMPLEMENT): _CLOSED,
    (_CLOSED, Action.INSTRUCT): _CLOSED,
    (_CLOSED, Action.PUBLISH): _CLOSED,
}


def next_state(state: IncidentState, action: Action, incident_id: str = "ID") -> IncidentState:
    """The incident's state after `action`, or a refusal saying why it is not allowed now."""
    try:
        return INCIDENT[(state, action)]
    except KeyError:
        if state is _CLOSED:
            raise Conflict("id", f"{incident_id} is closed") from None
        if action is Action.ACCEPT:
            raise Conflict("id", f"{incident_id} has no submitted record to accept") from None
        if action is Action.RETURN:
            raise Conflict("id", f"{incident_id} has no submitted record to return") from None
        raise Conflict("id", f"{action} is not allowed while {incident_id} is {state}") from None


class StepEvent(StrEnum):
    """What happens to an Article 24 step."""

    START = "start"  # work on it began (a report was delivered)
    COMPLETE = "complete"  # its duty is met
    REOPEN = "reopen"  # its duty is due again (a returned record)


_PENDING, _IN_PROGRESS, _DONE = StepStatus.PENDING, StepStatus.IN_PROGRESS, StepStatus.DONE

STEP: dict[tuple[StepStatus, StepEvent], StepStatus] = {
    (_PENDING, StepEvent.START): _IN_PROGRESS,
    (_PENDING, StepEvent.COMPLETE): _DONE,
    (_IN_PROGRESS, StepEvent.START): _IN_PROGRESS,
    (_IN_PROGRESS, StepEvent.COMPLETE): _DONE,
    (_DONE, StepEvent.START): _DONE,
    (_DONE, StepEvent.COMPLETE): _DONE,
    (_DONE, StepEvent.REOPEN): _IN_PROGRESS,
}


def step_after(status: StepStatus, event: StepEvent) -> StepStatus:
    """A step's status after `event`, or a refusal (a step that was never done cannot reopen)."""
    try:
        return STEP[(status, event)]
    except KeyError:
        raise Conflict("step", f"a {status} step cannot {event}") from None


class ReportEvent(StrEnum):
    """What happens to a report to one recipient."""

    DELIVERED = "delivered"  # a transport accepted it
    FAILED = "failed"  # a transport gave up on it
    RETRY = "retry"  # an operator queued a failed message again
    ACKNOWLEDGE = "acknowledge"  # a manager of the recipient confirmed receipt


_R_PENDING, _R_DELIVERED = ReportStatus.PENDING, ReportStatus.DELIVERED
_R_FAILED, _R_ACKED = ReportStatus.FAILED, ReportStatus.ACKNOWLEDGED

REPORT: dict[tuple[ReportStatus, ReportEvent], ReportStatus] = {
    (_R_PENDING, ReportEvent.DELIVERED): _R_DELIVERED,
    (_R_PENDING, ReportEvent.FAILED): _R_FAILED,
    (_R_PENDING, ReportEvent.RETRY): _R_PENDING,
    (_R_PENDING, ReportEvent.ACKNOWLEDGE): _R_ACKED,  # seen in the portal before chat said so
    (_R_FAILED, ReportEvent.DELIVERED): _R_DELIVERED,
    (_R_FAILED, ReportEvent.FAILED): _R_FAILED,
    (_R_FAILED, ReportEvent.RETRY): _R_PENDING,
    (_R_FAILED, ReportEvent.ACKNOWLEDGE): _R_ACKED,
    (_R_DELIVERED, ReportEvent.DELIVERED): _R_DELIVERED,
    (_R_DELIVERED, ReportEvent.FAILED): _R_DELIVERED,
    (_R_DELIVERED, ReportEvent.RETRY): _R_DELIVERED,
    (_R_DELIVERED, ReportEvent.ACKNOWLEDGE): _R_ACKED,
    (_R_ACKED, ReportEvent.DELIVERED): _R_ACKED,
    (_R_ACKED, ReportEvent.FAILED): _R_ACKED,
    (_R_ACKED, ReportEvent.RETRY): _R_ACKED,
    (_R_ACKED, ReportEvent.ACKNOWLEDGE): _R_ACKED,
}


def report_after(status: ReportStatus, event: ReportEvent) -> ReportStatus:
    """A report's status after `event` (every pair is defined: outcomes arrive in any order)."""
    return REPORT[(status, event)]
