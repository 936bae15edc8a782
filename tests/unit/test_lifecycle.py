"""The state machines of incidents, steps and reports: every event in every state."""

from __future__ import annotations

import pytest

from jikoflow.models.enums import IncidentState, ReportStatus, StepStatus
from jikoflow.models.errors import BadInput, Conflict
from jikoflow.models.incidents.lifecycle import (
    INCIDENT,
    Action,
    ReportEvent,
    StepEvent,
    next_state,
    report_after,
    step_after,
)

OPEN, SUBMITTED, CLOSED = IncidentState.OPEN, IncidentState.SUBMITTED, IncidentState.CLOSED

EXPECTED = {
    OPEN: {
        Action.ACK: OPEN,
        Action.CONTAIN: OPEN,
        Action.CAUSE: OPEN,
        Action.PREVENT: OPEN,
        Action.IMPLEMENT: OPEN,
        Action.SUBMIT: SUBMITTED,
        Action.ACCEPT: None,
        # A drill's incident ends with its drill, whether or not a record was submitted.
        Action.END_DRILL: CLOSED,
        Action.FACTS: OPEN,
        Action.RECLASSIFY: OPEN,
        Action.RETURN: None,
        Action.INSTRUCT: OPEN,
        Action.PUBLISH: OPEN,
    },
    SUBMITTED: {
        Action.ACK: SUBMITTED,
        # A change after submission needs a new version: the incident reopens.
        Action.CONTAIN: OPEN,
        Action.CAUSE: OPEN,
        Action.PREVENT: OPEN,
        Action.IMPLEMENT: OPEN,
        Action.SUBMIT: SUBMITTED,
        Action.ACCEPT: CLOSED,
        Action.END_DRILL: CLOSED,
        Action.FACTS: OPEN,
        Action.RECLASSIFY: OPEN,
        # 差戻し: back to open, a new version is due.
        Action.RETURN: OPEN,
        # 甲's own acts do not change what the submitted version says.
        Action.INSTRUCT: SUBMITTED,
        Action.PUBLISH: SUBMITTED,
    },
    # Once closed, the record no longer changes; what follows 甲's decision goes on.
    CLOSED: {
        **dict.fromkeys(Action),
        Action.IMPLEMENT: CLOSED,
        Action.INSTRUCT: CLOSED,
        Action.PUBLISH: CLOSED,
    },
}
AFTER_CLOSING = {Action.IMPLEMENT, Action.INSTRUCT, Action.PUBLISH}


@pytest.mark.parametrize(("state", "action"), [(s, a) for s in IncidentState for a in Action])
def test_every_action_in_every_state(state: IncidentState, action: Action) -> None:
    expected = EXPECTED[state][action]
    if expected is None:
        with pytest.raises(Conflict) as refused:
            next_state(state, action, "INC-X")
        assert "INC-X" in str(refused.value)
    else:
        assert next_state(state, action, "INC-X") is expected


def test_closed_incidents_refuse_everything_saying_closed() -> None:
    for action in set(Action) - AFTER_CLOSING:
        with pytest.raises(BadInput, match="INC-X is closed"):
            next_state(CLOSED, action, "INC-X")


def test_accept_before_submit_says_nothing_was_submitted() -> None:
    with pytest.raises(BadInput, match="no submitted record"):
        next_state(OPEN, Action.ACCEPT, "INC-X")


def test_the_table_has_no_transition_out_of_closed() -> None:
    assert {a for (s, a), after in INCIDENT.items() if s is CLOSED} == AFTER_CLOSING
    assert all(after is CLOSED for (s, _), after in INCIDENT.items() if s is CLOSED)


def test_return_before_submit_says_nothing_was_submitted() -> None:
    with pytest.raises(Conflict, match="no submitted record to return"):
        next_state(OPEN, Action.RETURN, "INC-X")


# Steps: `overdue` is derived from the clock, never a stored state, so it has no transitions.
PENDING, IN_PROGRESS, DONE = StepStatus.PENDING, StepStatus.IN_PROGRESS, StepStatus.DONE
STEP_EXPECTED = {
    PENDING: {StepEvent.START: IN_PROGRESS, StepEvent.COMPLETE: DONE, StepEvent.REOPEN: None},
    IN_PROGRESS: {StepEvent.START: IN_PROGRESS, StepEvent.COMPLETE: DONE, StepEvent.REOPEN: None},
    # A done step stays done when work goes on; a returned record makes its step due again.
    DONE: {StepEvent.START: DONE, StepEvent.COMPLETE: DONE, StepEvent.REOPEN: IN_PROGRESS},
}


@pytest.mark.parametrize(
    ("status", "event"), [(s, e) for s in (PENDING, IN_PROGRESS, DONE) for e in StepEvent]
)
def test_every_step_event_in_every_stored_status(status: StepStatus, event: StepEvent) -> None:
    expected = STEP_EXPECTED[status][event]
    if expected is None:
        with pytest.raises(Conflict, match="cannot reopen"):
            step_after(status, event)
    else:
        assert step_after(status, event) is expected


def test_an_overdue_step_is_never_a_stored_status() -> None:
    with pytest.raises(Conflict):
        step_after(StepStatus.OVERDUE, StepEvent.COMPLETE)


R_PENDING, DELIVERED = ReportStatus.PENDING, ReportStatus.DELIVERED
FAILED, ACKED = ReportStatus.FAILED, ReportStatus.ACKNOWLEDGED
REPORT_EXPECTED = {
    R_PENDING: {
        ReportEvent.DELIVERED: DELIVERED,
        ReportEvent.FAILED: FAILED,
        ReportEvent.RETRY: R_PENDING,
        ReportEvent.ACKNOWLEDGE: ACKED,
    },
    FAILED: {
        ReportEvent.DELIVERED: DELIVERED,  # another transport got through
        ReportEvent.FAILED: FAILED,
        ReportEvent.RETRY: R_PENDING,
        ReportEvent.ACKNOWLEDGE: ACKED,
    },
    DELIVERED: {
        ReportEvent.DELIVERED: DELIVERED,
        ReportEvent.FAILED: DELIVERED,  # one transport's failure never undoes a delivery
        ReportEvent.RETRY: DELIVERED,
        ReportEvent.ACKNOWLEDGE: ACKED,
    },
    # A late delivery outcome never undoes an acknowledgement.
    ACKED: dict.fromkeys(ReportEvent, ACKED),
}


@pytest.mark.parametrize(("status", "event"), [(s, e) for s in ReportStatus for e in ReportEvent])
def test_every_report_event_in_every_status(status: ReportStatus, event: ReportEvent) -> None:
    assert report_after(status, event) is REPORT_EXPECTED[status][event]
