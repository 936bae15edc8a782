"""One incident that cannot be planned never stops a sweep: it is named and skipped, what it
half-planned is dropped, the others are reminded, and once it can be planned nothing of it is
lost. The parties file is held to the number of managers a chat message mentions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from jikoflow.models.db import transaction
from jikoflow.models.errors import BadInput
from jikoflow.models.incidents import sweep as sweep_module
from jikoflow.models.incidents.sweep import sweep_clocks
from jikoflow.models.outbox.facts import NoticeEvent
from jikoflow.models.outbox.tables import Notification
from jikoflow.models.parties.file import read_parties
from jikoflow.models.parties.service import load_parties
from tests import acts
from tests.conftest import SAMPLE_PARTIES

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def _reminded(db_url: str) -> set[str]:
    with transaction(db_url) as session:
        rows = session.exec(select(Notification).where(Notification.event == NoticeEvent.REMINDER))
        return {r.subject_id for r in rows}


def test_a_failing_incident_is_skipped_and_the_others_go_ahead(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with transaction(db_url) as session:
        load_parties(session, read_parties(SAMPLE_PARTIES))
        broken = acts.declare(session, org="delta", summary="紛失", now=T0).incident.id
        fine = acts.declare(session, org="gamma", summary="誤送信", now=T0).incident.id
    real = sweep_module.build_facts

    def faulty(incident: Any, *args: Any, **kwargs: Any) -> Any:
        if incident.id == broken:
            raise ValueError("a fault in this incident's data")
        return real(incident, *args, **kwargs)

    monkeypatch.setattr(sweep_module, "build_facts", faulty)
    with transaction(db_url) as session:
        result = sweep_clocks(session, T0 + timedelta(minutes=31))
    assert result.failed == {broken: "ValueError: a fault in this incident's data"}
    assert _reminded(db_url) == {fine}
    monkeypatch.setattr(sweep_module, "build_facts", real)
    with transaction(db_url) as session:
        again = sweep_clocks(session, T0 + timedelta(minutes=32))
    assert again.failed == {}
    assert _reminded(db_url) == {fine, broken}


def test_more_managers_with_slack_ids_than_a_message_mentions_are_refused_at_load(
    parties_variant: Callable[[Callable[[dict[str, Any]], object]], Path],
) -> None:
    def crowd(data: dict[str, Any]) -> None:
        delta = next(o for o in data["organizations"] if o["id"] == "delta")
        delta["people"] += [
            {"id": f"m{i}", "name": f"管理者 {i}", "role": "manager", "slack_user": f"U0M{i:03d}"}
            for i in range(50)
        ]

    with pytest.raises(BadInput) as refused:
        read_parties(parties_variant(crowd))
    assert refused.value.field.endswith("organizations[4].people")
    assert "at most 50" in refused.value.message
