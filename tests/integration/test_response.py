"""The Article 24 sequence in the domain, on SQLite and PostgreSQL, at fixed times."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from jikoflow.models.db import transaction
from jikoflow.models.enums import IncidentKind, IncidentState, StepName, StepStatus
from jikoflow.models.errors import BadInput
from jikoflow.models.incidents.service import (
    acknowledge_report,
    declare_incident,
    get_incident,
    get_step,
)
from jikoflow.models.outbox.facts import NoticeEvent
from jikoflow.models.outbox.tables import Notification
from jikoflow.models.parties.file import read_parties
from jikoflow.models.parties.service import load_parties
from jikoflow.models.response.service import (
    accept_record,
    add_measure,
    implement_measure,
    record_cause,
    record_containment,
    submit_record,
)
from jikoflow.models.response.tables import CauseRevision, RecordVersion
from tests.conftest import SAMPLE_PARTIES

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 2026-11-02 10:00 in Tokyo
SUMMARY = "住民票の写し3件を誤送付した疑い（山田太郎 090-1234-5678）"


@pytest.fixture
def incident(db_url: str) -> str:
    """A suspected leak at the third tier (delta), declared at T0."""
    with transaction(db_url) as session:
        load_parties(session, read_parties(SAMPLE_PARTIES))
        declared = declare_incident(
            session,
            contract_id="C-2026-001",
            org_id="delta",
            kind=IncidentKind.LEAK,
            suspected=True,
            summary=SUMMARY,
            now=T0,
            by="watanabe",
        )
    return declared.incident.id


def act(db_url: str, fn: Callable[[Session], object]) -> object:
    with transaction(db_url) as session:
        return fn(session)


def test_first_containment_completes_the_one_hour_clock(db_url: str, incident: str) -> None:
    act(
        db_url,
        lambda s: record_containment(
            s, incident, action="端末を隔離", by="watanabe", now=T0 + timedelta(minutes=20)
        ),
    )
    with transaction(db_url) as session:
        step = get_step(session, incident, StepName.CONTAINMENT)
        assert step.status is StepStatus.DONE
        assert step.done_at == T0 + timedelta(minutes=20)
        assert get_incident(session, incident).contained_at is None
    act(
        db_url,
        lambda s: record_containment(
            s, incident, action="封筒を回収", done=True, now=T0 + timedelta(hours=3)
        ),
    )
    with transaction(db_url) as session:
        assert get_incident(session, incident).contained_at == T0 + timedelta(hours=3)
        # The clock was met by the first measure; marking it contained does not move it.
        assert get_step(session, incident, StepName.CONTAINMENT).done_at == T0 + timedelta(
            minutes=20
        )


def test_cause_revisions_are_all_kept(db_url: str, incident: str) -> None:
    for n, text in enumerate(["仮説: 宛名の取り違え", "確定: 封入作業の二重確認漏れ"], 1):
        act(
            db_url,
            lambda s, t=text, n=n: record_cause(s, incident, text=t, now=T0 + timedelta(days=n)),
        )
    with transaction(db_url) as session:
        rows = session.exec(
            select(CauseRevision)
            .where(CauseRevision.incident_id == incident)
            .order_by(col(CauseRevision.revision))
        ).all()
        assert [(r.revision, r.text) for r in rows] == [
            (1, "仮説: 宛名の取り違え"),
            (2, "確定: 封入作業の二重確認漏れ"),
        ]
        assert get_step(session, incident, StepName.ROOT_CAUSE).done_at == T0 + timedelta(days=1)


def test_prevention_is_refused_before_a_root_cause(db_url: str, incident: str) -> None:
    with pytest.raises(BadInput, match="no root cause"):
        act(db_url, lambda s: add_measure(s, incident, measure="二重確認", now=T0))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"measure": "  "}, "--measure"),
        ({"measure": "x", "owner": "nobody"}, "--owner"),
        ({"measure": "x", "due": date(2026, 11, 1)}, "--due"),
        ({"measure": "x", "by": "ghost"}, "--by"),
    ],
)
def test_bad_measures_are_refused_naming_the_field(
    db_url: str, incident: str, kwargs: dict[str, object], field: str
) -> None:
    act(db_url, lambda s: record_cause(s, incident, text="原因", now=T0))
    with pytest.raises(BadInput) as refused:
        act(db_url, lambda s: add_measure(s, incident, now=T0, **kwargs))  # type: ignore[arg-type]
    assert refused.value.field == field


def test_submit_names_every_missing_item(db_url: str, incident: str) -> None:
    with pytest.raises(BadInput) as refused:
        act(db_url, lambda s: submit_record(s, incident, content="x", now=T0))
    message = str(refused.value)
    assert "containment" in message
    assert "root cause" in message
    assert "prevention" in message


def _complete(db_url: str, incident: str) -> None:
    act(db_url, lambda s: record_containment(s, incident, action="回収", done=True, now=T0))
    act(db_url, lambda s: record_cause(s, incident, text="確認漏れ", now=T0))
    act(
        db_url,
        lambda s: add_measure(
            s, incident, measure="二重確認", owner="suzuki", due=date(2026, 12, 1), now=T0
        ),
    )


def test_submit_freezes_a_numbered_version_with_its_sha256(db_url: str, incident: str) -> None:
    _complete(db_url, incident)
    content = "# 事故等報告書 第1版\n"
    done = act(
        db_url,
        lambda s: submit_record(
            s, incident, content=content, by="suzuki", now=T0 + timedelta(days=5)
        ),
    )
    with transaction(db_url) as session:
        row = session.exec(select(RecordVersion).where(RecordVersion.incident_id == incident)).one()
        assert (row.version, row.content) == (1, content)
        assert row.sha256 == hashlib.sha256(content.encode()).hexdigest()
        assert get_incident(session, incident).state is IncidentState.SUBMITTED
        assert get_step(session, incident, StepName.RECORD).status is StepStatus.DONE
    assert done.version == 1  # type: ignore[attr-defined]


def test_a_change_after_submit_needs_a_new_version(db_url: str, incident: str) -> None:
    _complete(db_url, incident)
    act(db_url, lambda s: submit_record(s, incident, content="v1", now=T0))
    with pytest.raises(BadInput, match="unchanged since version 1"):
        act(db_url, lambda s: submit_record(s, incident, content="v1", now=T0))
    act(db_url, lambda s: implement_measure(s, incident, number=1, now=T0 + timedelta(days=1)))
    with transaction(db_url) as session:
        assert get_incident(session, incident).state is IncidentState.OPEN
    with pytest.raises(BadInput, match="no submitted record"):
        act(db_url, lambda s: accept_record(s, incident, by="tanaka"))
    act(db_url, lambda s: submit_record(s, incident, content="v2", now=T0 + timedelta(days=2)))
    accepted = act(
        db_url, lambda s: accept_record(s, incident, by="tanaka", now=T0 + timedelta(days=3))
    )
    assert accepted.version == 2  # type: ignore[attr-defined]
    with transaction(db_url) as session:
        closed = get_incident(session, incident)
        assert closed.state is IncidentState.CLOSED
        assert closed.closed_at == T0 + timedelta(days=3)


def test_only_a_person_of_the_client_may_accept(db_url: str, incident: str) -> None:
    _complete(db_url, incident)
    act(db_url, lambda s: submit_record(s, incident, content="v1", now=T0))
    for outsider in ("suzuki", "watanabe"):
        with pytest.raises(BadInput, match="not a person of the client"):
            act(db_url, lambda s, p=outsider: accept_record(s, incident, by=p))
    with pytest.raises(BadInput, match="unknown person"):
        act(db_url, lambda s: accept_record(s, incident, by="ghost"))


def test_a_closed_incident_refuses_every_action(db_url: str, incident: str) -> None:
    _complete(db_url, incident)
    act(db_url, lambda s: submit_record(s, incident, content="v1", now=T0))
    act(db_url, lambda s: accept_record(s, incident, by="tanaka", now=T0))
    attempts: list[Callable[[Session], object]] = [
        lambda s: record_containment(s, incident, action="x"),
        lambda s: record_cause(s, incident, text="x"),
        lambda s: add_measure(s, incident, measure="x"),
        lambda s: implement_measure(s, incident, number=1),
        lambda s: submit_record(s, incident, content="x"),
        lambda s: accept_record(s, incident, by="tanaka"),
        lambda s: acknowledge_report(s, incident_id=incident, org_id="nerima"),
    ]
    for attempt in attempts:
        with pytest.raises(BadInput, match="closed"):
            act(db_url, attempt)


def test_state_changes_notify_the_org_and_every_recipient_without_content(
    db_url: str, incident: str
) -> None:
    act(db_url, lambda s: record_containment(s, incident, action=f"隔離 {SUMMARY}", now=T0))
    with transaction(db_url) as session:
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
    for n, org in enumerate(["nerima", "acme", "beta", "gamma"]):
        with transaction(db_url) as session:
            assert get_step(session, incident, StepName.REPORT).status is not StepStatus.DONE
        act(
            db_url,
            lambda s, o=org, n=n: acknowledge_report(
                s, incident_id=incident, org_id=o, now=T0 + timedelta(minutes=10 + n)
            ),
        )
    with transaction(db_url) as session:
        step = get_step(session, incident, StepName.REPORT)
        assert step.status is StepStatus.DONE
        assert step.done_at == T0 + timedelta(minutes=13)
