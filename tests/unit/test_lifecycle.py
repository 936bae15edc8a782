"""The incident state machine: every action in every state, allowed or refused."""

from __future__ import annotations

import pytest

from jikoflow.models.enums import IncidentState
from jikoflow.models.errors import BadInput
from jikoflow.models.incidents.lifecycle import TRANSITIONS, Action, next_state

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
    },
    CLOSED: dict.fromkeys(Action),
}


@pytest.mark.parametrize(("state", "action"), [(s, a) for s in IncidentState for a in Action])
def test_every_action_in_every_state(state: IncidentState, action: Action) -> None:
    expected = EXPECTED[state][action]
    if expected is None:
        with pytest.raises(BadInput) as refused:
            next_state(state, action, "INC-X")
        assert "INC-X" in str(refused.value)
    else:
        assert next_state(state, action, "INC-X") is expected


def test_closed_incidents_refuse_everything_saying_closed() -> None:
    for action in Action:
        with pytest.raises(BadInput, match="INC-X is closed"):
            next_state(CLOSED, action, "INC-X")


def test_accept_before_submit_says_nothing_was_submitted() -> None:
    with pytest.raises(BadInput, match="no submitted record"):
        next_state(OPEN, Action.ACCEPT, "INC-X")


def test_the_table_has_no_transition_out_of_closed() -> None:
    assert not [key for key in TRANSITIONS if key[0] is CLOSED]
