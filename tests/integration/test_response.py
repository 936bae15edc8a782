"""The Article 24 sequence through the services, on SQLite and PostgreSQL, at fixed times."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from jikoflow.models.access import OPERATOR, Principal, person
from jikoflow.models.db import reading, transaction
from jikoflow.models.enums import IncidentKind, IncidentState, StepName, StepStatus
from jikoflow.models.errors import BadInput, Conflict, Forbidden
from jikoflow.models.incidents.schemas import DeclareInput
from jikoflow.models.incidents.service import acknowledge, declare, get_incident, get_step
from jikoflow.models.outbox.facts import NoticeEvent
from jikoflow.models.outbox.tables import Notification
from jikoflow.models.parties.file import read_parties
from jikoflow.models.parties.service import load
from jikoflow.models.response.schemas import CauseInput, ContainInput, MeasureInput
from jikoflow.models.response.service import (
    accept,
    add_measure,
    contain,
    implement_measure,
    record_cause,
    submit,
)
from jikoflow.models.response.tables import CauseRevision, RecordVersion
from tests.conftest import SAMPLE_PARTIES

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 2026-11-02 10:00 in Tokyo
SUMMARY = "住民票の写し3件を誤送付した疑い（山田太郎 090-1234-5678）"
WATANABE, SUZUKI, TANAKA = person("watanabe"), person("suzuki"), person("tanaka")


@pytest.fixture
def incident(db_url: str) -> str:
    """A suspected leak at the third tier (delta), declared at T0 by its manager."""
    with transaction(db_url) as session:
        load(session, actor=OPERATOR, parties=read_parties(SAMPLE_PARTIES), source="sample")
        data = DeclareInput(
            contract="C-2026-001",
            org="delta",
            kind=IncidentKind.LEAK,
            suspected=True,
            summary=SUMMARY,
        )
        declared = declare(session, actor=WATANABE, data=data, now=T0)
    return declared.incident.id


def act(db_url: str, service: Callable[..., Any], **kwargs: Any) -> Any:
    """Run one use case in its own transaction, as every surface does."""
    with transaction(db_url) as session:
        return service(session, **kwargs)


def _contain(db_url: str, incident: str, text: str, *, done: bool = False, **kw: Any) -> Any:
    data = ContainInput(action=text, done=done)
    return act(db_url, contain, incident_id=incident, data=data, **({"actor": WATANABE} | kw))


def _cause(db_url: str, incident: str, text: str, **kw: Any) -> Any:
    data = CauseInput(text=text)
    return act(db_url, record_cause, incident_id=incident, data=data, **({"actor": WATANABE} | kw))


def _measure(db_url: str, incident: str, text: str = "二重確認", **kw: Any) -> Any:
    fields = {k: kw.pop(k) for k in ("owner", "due") if k in kw}
    data = MeasureInput(measure=text, **fields)
    return act(db_url, add_measure, incident_id=incident, data=data, **({"actor": WATANABE} | kw))


def _submit(db_url: str, incident: str, actor: Principal = SUZUKI, **kw: Any) -> Any:
    return act(db_url, submit, actor=actor, incident_id=incident, **kw)


def test_first_containment_completes_the_one_hour_clock(db_url: str, incident: str) -> None:
    _contain(db_url, incident, "端末を隔離", now=T0 + timedelta(minutes=20))
    with reading(db_url) as session:
        step = get_step(session, incident, StepName.CONTAINMENT)
        assert step.status is StepStatus.DONE
        assert step.done_at == T0 + timedelta(minutes=20)
        assert get_incident(session, incident).contained_at is None
    _contain(db_url, incident, "封筒を回収", done=True, now=T0 + timedelta(hours=3))
    with reading(db_url) as session:
        assert get_incident(session, incident).contained_at == T0 + timedelta(hours=3)
        # The clock was met by the first measure; marking it contained does not move it.
        step = get_step(session, incident, StepName.CONTAINMENT)
        assert step.done_at == T0 + timedelta(minutes=20)


def test_cause_revisions_are_all_kept(db_url: str, incident: str) -> None:
    for n, text in enumerate(["仮説: 宛名の取り違え", "確定: 封入作業の二重確認漏れ"], 1):
        recorded = _cause(db_url, incident, text, now=T0 + timedelta(days=n))
        assert recorded.revision == n
    with reading(db_url) as session:
        rows = session.exec(
            select(CauseRevision)
            .where(CauseRevision.incident_id == incident)
            .order_by(col(CauseRevision.revision))
        ).all()
        assert [(r.revision, r.text, r.by) for r in rows] == [
            (1, "仮説: 宛名の取り違え", "watanabe"),
            (2, "確定: 封入作業の二重確認漏れ", "watanabe"),
        ]
        assert get_step(session, incident, StepName.ROOT_CAUSE).done_at == T0 + timedelta(days=1)


def test_prevention_is_refused_before_a_root_cause(db_url: str, incident: str) -> None:
    with pytest.raises(Conflict, match="no root cause"):
        _measure(db_url, incident, now=T0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"owner": "nobody"}, "owner"),
        ({"due": date(2026, 11, 1)}, "due"),
        ({"actor": person("ghost")}, "by"),
    ],
)
def test_bad_measures_are_refused_naming_the_field(
    db_url: str, incident: str, kwargs: dict[str, Any], field: str
) -> None:
    _cause(db_url, incident, "原因", now=T0)
    with pytest.raises(BadInput) as refused:
        _measure(db_url, incident, now=T0, **kwargs)
    assert refused.value.field == field


def test_an_empty_measure_is_refused_before_any_service_runs() -> None:
    from jikoflow.models.schemas import parse

    with pytest.raises(BadInput) as refused:
        parse(MeasureInput, {"measure": "  "})
    assert (refused.value.field, refused.value.message) == ("measure", "must not be empty")


def test_submit_names_every_missing_item(db_url: str, incident: str) -> None:
    with pytest.raises(Conflict) as refused:
        _submit(db_url, incident, now=T0)
    message = str(refused.value)
    assert "containment" in message
    assert "root cause" in message
    assert "prevention" in message


def _complete(db_url: str, incident: str) -> None:
    _contain(db_url, incident, "回収", done=True, now=T0)
    _cause(db_url, incident, "確認漏れ", now=T0)
    _measure(db_url, incident, owner="suzuki", due=date(2026, 12, 1), now=T0)


def test_submit_freezes_the_rendered_record_with_its_sha256(db_url: str, incident: str) -> None:
    _complete(db_url, incident)
    done = _submit(db_url, incident, now=T0 + timedelta(days=5))
    with reading(db_url) as session:
        row = session.exec(select(RecordVersion).where(RecordVersion.incident_id == incident)).one()
        assert row.version == done.version == 1
        assert incident in row.content
        assert row.sha256 == done.sha256 == hashlib.sha256(row.content.encode()).hexdigest()
        assert row.submitted_by == "suzuki"
        assert get_incident(session, incident).state is IncidentState.SUBMITTED
        assert get_step(session, incident, StepName.RECORD).status is StepStatus.DONE


def test_a_change_after_submit_needs_a_new_version(db_url: str, incident: str) -> None:
    _complete(db_url, incident)
    _submit(db_url, incident, now=T0)
    with pytest.raises(Conflict, match="unchanged since version 1"):
        _submit(db_url, incident, now=T0)
    act(
        db_url,
        implement_measure,
        actor=WATANABE,
        incident_id=incident,
        number=1,
        now=T0 + timedelta(days=1),
    )
    with reading(db_url) as session:
        assert get_incident(session, incident).state is IncidentState.OPEN
    with pytest.raises(Conflict, match="no submitted record"):
        act(db_url, accept, actor=TANAKA, incident_id=incident)
    _submit(db_url, incident, now=T0 + timedelta(days=2))
    accepted = act(db_url, accept, actor=TANAKA, incident_id=incident, now=T0 + timedelta(days=3))
    assert accepted.version == 2
    with reading(db_url) as session:
        closed = get_incident(session, incident)
        assert closed.state is IncidentState.CLOSED
        assert closed.closed_at == T0 + timedelta(days=3)


def test_only_a_manager_of_the_client_may_accept(db_url: str, incident: str) -> None:
    _complete(db_url, incident)
    _submit(db_url, incident, now=T0)
    for outsider in ("suzuki", "watanabe", "sato"):
        with pytest.raises(Forbidden, match="only managers of 甲 may"):
            act(db_url, accept, actor=person(outsider), incident_id=incident)
    with pytest.raises(BadInput, match="unknown person"):
        act(db_url, accept, actor=person("ghost"), incident_id=incident)
    with pytest.raises(BadInput, match="name the manager of 甲"):
        act(db_url, accept, actor=OPERATOR, incident_id=incident)


def test_a_closed_incident_refuses_every_action(db_url: str, incident: str) -> None:
    """Every change of the record; measures stay tracked after acceptance until implemented."""
    _complete(db_url, incident)
    _submit(db_url, incident, now=T0)
    act(db_url, accept, actor=TANAKA, incident_id=incident, now=T0)
    attempts: list[Callable[[], object]] = [
        lambda: _contain(db_url, incident, "x"),
        lambda: _cause(db_url, incident, "x"),
        lambda: _measure(db_url, incident, "x"),
        lambda: _submit(db_url, incident),
        lambda: act(db_url, accept, actor=TANAKA, incident_id=incident),
        lambda: act(db_url, acknowledge, actor=TANAKA, incident_id=incident, org_id="nerima"),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict, match="closed"):
            attempt()


def test_state_changes_notify_the_org_and_every_recipient_without_content(
    db_url: str, incident: str
) -> None:
    _contain(db_url, incident, f"隔離 {SUMMARY}", now=T0)
    with reading(db_url) as session:
        rows = session.exec(
            select(Notification).where(
                Notification.incident_id == incident, Notification.event == NoticeEvent.STATE
            )
        ).all()
    assert sorted(r.org_id for r in rows) == ["acme", "beta", "delta", "gamma", "nerima"]
    for row in rows:
        assert row.facts["step"] == "containment"
        assert "山田" not in str(row.facts)
        assert "隔離" not in str(row.facts)


def test_the_report_step_completes_when_every_recipient_acknowledged(
    db_url: str, incident: str
) -> None:
    managers = {"nerima": "tanaka", "acme": "suzuki", "beta": "takahashi", "gamma": "ito"}
    for n, (org, manager) in enumerate(managers.items()):
        with reading(db_url) as session:
            assert get_step(session, incident, StepName.REPORT).status is not StepStatus.DONE
        done = act(
            db_url,
            acknowledge,
            actor=person(manager),
            incident_id=incident,
            now=T0 + timedelta(minutes=10 + n),
        )
        assert (done.to, done.acknowledged_by) == (org, manager)
    with reading(db_url) as session:
        step = get_step(session, incident, StepName.REPORT)
        assert step.status is StepStatus.DONE
        assert step.done_at == T0 + timedelta(minutes=13)


def test_acknowledging_twice_changes_nothing(db_url: str, incident: str) -> None:
    first = act(db_url, acknowledge, actor=TANAKA, incident_id=incident, now=T0)
    again = act(
        db_url, acknowledge, actor=TANAKA, incident_id=incident, now=T0 + timedelta(hours=1)
    )
    assert again == first
