"""A tabletop's incident ends with its drill through the incident state machine — even after its
record was submitted — while a real incident can never be closed that way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jikoflow.drills.core import end_drill_incident
from jikoflow.models.access import OPERATOR
from jikoflow.models.db import transaction
from jikoflow.models.errors import Conflict
from jikoflow.models.incidents.service import get_incident
from jikoflow.models.types import utcnow
from tests.conftest import Env
from tests.integration.drill_helpers import Cli, run_drill


def state(cli: Cli, incident: str) -> str:
    result: str = cli("status", incident, "--json").json()["state"]
    return result


def test_a_submitted_drill_incident_ends_with_its_drill(loaded_env: Env, cli: Cli) -> None:
    drill = run_drill(cli, "tabletop", "--scenario", "lost-forms-tier3", "--no-flow")
    incident = drill["incident"]
    for argv in [
        ("contain", incident, "--action", "搬送停止", "--done"),
        ("cause", incident, "--text", "受領票の運用不備"),
        ("prevent", incident, "--measure", "二人確認"),
        ("submit", incident),
    ]:
        assert cli(*argv).code == 0, argv
    assert state(cli, incident) == "submitted"
    assert cli("drill", "close", drill["id"], "--by", "suzuki").code == 0
    assert state(cli, incident) == "closed"
    assert cli("status", incident, "--json").json()["closed_at"] is not None
    refused = cli("contain", incident, "--action", "追加の措置")
    assert refused.code == 2
    assert "closed" in refused.err


def test_a_real_incident_is_not_ended_by_a_drill(
    loaded_env: Env, declare: Callable[..., dict[str, Any]], snapshot: Callable[[], Any]
) -> None:
    real = declare()["id"]
    before = snapshot()
    with transaction(loaded_env.url) as session:
        incident = get_incident(session, real)
        with pytest.raises(Conflict, match="real incident"):
            end_drill_incident(
                session, incident, drill_id="DRL-X", at=utcnow(), actor=OPERATOR.actor
            )
    assert snapshot() == before
