"""The incident state machine: which action is allowed in which state, and where it leads.

Changes after a submission reopen the incident: 甲 can only accept a version that is current.
A drill's incident (Art. 24 (3)) has no record to accept: it closes when its drill ends.
"""

from __future__ import annotations

from enum import StrEnum

from jikoflow.models.enums import IncidentState
from jikoflow.models.errors import BadInput


class Action(StrEnum):
    """Things done to an incident."""

    ACK = "ack"
    CONTAIN = "contain"
    CAUSE = "cause"
    PREVENT = "prevent"
    IMPLEMENT = "implement"
    SUBMIT = "submit"
    ACCEPT = "accept"
    END_DRILL = "end_drill"  # the drill ended; only for an incident flagged as a drill


_OPEN, _SUBMITTED, _CLOSED = IncidentState.OPEN, IncidentState.SUBMITTED, IncidentState.CLOSED

TRANSITIONS: dict[tuple[IncidentState, Action], IncidentState] = {
    (_OPEN, Action.ACK): _OPEN,
    (_OPEN, Action.CONTAIN): _OPEN,
    (_OPEN, Action.CAUSE): _OPEN,
    (_OPEN, Action.PREVENT): _OPEN,
    (_OPEN, Action.IMPLEMENT): _OPEN,
    (_OPEN, Action.SUBMIT): _SUBMITTED,
    (_OPEN, Action.END_DRILL): _CLOSED,
    (_SUBMITTED, Action.ACK): _SUBMITTED,
    (_SUBMITTED, Action.CONTAIN): _OPEN,
    (_SUBMITTED, Action.CAUSE): _OPEN,
    (_SUBMITTED, Action.PREVENT): _OPEN,
    (_SUBMITTED, Action.IMPLEMENT): _OPEN,
    (_SUBMITTED, Action.SUBMIT): _SUBMITTED,
    (_SUBMITTED, Action.ACCEPT): _CLOSED,
    (_SUBMITTED, Action.END_DRILL): _CLOSED,
}


def next_state(state: IncidentState, action: Action, incident_id: str = "ID") -> IncidentState:
    """The state after `action`, or a refusal saying why it is not allowed now."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        if state is _CLOSED:
            raise BadInput("ID", f"{incident_id} is closed") from None
        if action is Action.ACCEPT:
            raise BadInput("ID", f"{incident_id} has no submitted record to accept") from None
        raise BadInput("ID", f"{action} is not allowed while {incident_id} is {state}") from None
