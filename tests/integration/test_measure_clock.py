"""Prevention measures are chased by their clock (`clocks.measure`, SQLite and PostgreSQL): a
measure not implemented is reminded once its warn time has come — not a second before — and
escalated once its due date is over, then again at each repeat time of the policy's day-scale
escalation (business days at 09:00, weekends and holidays skipped) until it is implemented or
the cap is reached, each exactly once, also when two sweeps run at the same time; an
implemented measure is never chased; the messages carry the measure's number and due time,
never its text; the clock's columns leave the row's seal as it was."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from jikoflow.models.access import OPERATOR, person
from jikoflow.models.audit.service import events_of
from jikoflow.models.audit.verify import check_incident
from jikoflow.models.calendar import end_of_day
from jikoflow.models.db import get_engine, reading, transaction
from jikoflow.models.enums import Lang
from jikoflow.models.outbox.tables import Notification
from jikoflow.models.parties.file import read_parties
from jikoflow.models.parties.service import load_parties
from jikoflow.models.policy.file import parse_policy
from jikoflow.models.policy.service import load_policy
from jikoflow.models.response.service import implement_measure
from jikoflow.models.response.sweep import sweep_measures
from jikoflow.models.response.tables import PreventionMeasure
from jikoflow.models.times import TOKYO
from jikoflow.records.data import record_data
from jikoflow.records.render import RecordFormat, render_text
from jikoflow.sweep import preview, queue_due
from tests import acts
from tests.conftest import SAMPLE_PARTIES

T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Wednesday 25 November, 10:00 in Tokyo
SECOND = timedelta(seconds=1)
DUE = date(2026, 12, 4)  # a Friday
WARN = datetime(2026, 12, 1, 0, 0, tzinfo=TOKYO)  # 3 days before the due day begins
OVERDUE = datetime(2026, 12, 5, 0, 0, tzinfo=TOKYO)  # the due day is over (a Saturday)
REPEAT = datetime(2026, 12, 7, 9, 0, tzinfo=TOKYO)  # the next business day (Monday) at 09:00
THEN = datetime(2026, 12, 8, 9, 0, tzinfo=TOKYO)  # the one after (Tuesday)
SECRET = "山田太郎 090-1234-5678 の端末を暗号化する"
# The incident at delta is reported to gamma, beta, acme (乙) and nerima (甲).
ESCALATED_TO = {"delta", "gamma", "beta", "acme", "nerima"}


@pytest.fixture
def incident(db_url: str) -> str:
    """A leak at delta declared at T0, its cause recorded and measure 1 due on DUE."""
    with transaction(db_url) as session:
        load_parties(session, read_parties(SAMPLE_PARTIES))
        found = acts.declare(session, now=T0).incident.id
        acts.cause(session, found, "確認漏れ", by="watanabe", now=T0)
        acts.measure(session, found, SECRET, owner="yamamoto", due=DUE, by="watanabe", now=T0)
    return found


def _measures(url: str, at: datetime) -> int:
    counted: int = queue_due(url, now=at)["measures"]
    return counted


def _notices(url: str, incident: str, event: str) -> list[Notification]:
    with reading(url) as session:
        return list(
            session.exec(
                select(Notification).where(
                    Notification.incident_id == incident, Notification.event == event
                )
            )
        )


def _measure(url: str, incident: str) -> PreventionMeasure:
    with reading(url) as session:
        return session.exec(
            select(PreventionMeasure).where(PreventionMeasure.incident_id == incident)
        ).one()


def test_a_measure_is_reminded_at_its_warn_time_exactly_once(db_url: str, incident: str) -> None:
    assert _measures(db_url, WARN - SECOND) == 0
    assert _measure(db_url, incident).reminded_at is None
    assert _measures(db_url, WARN) == 1
    assert _measures(db_url, WARN) == 0
    assert _measures(db_url, WARN + timedelta(days=1)) == 0
    (notice,) = _notices(db_url, incident, "measure_due")
    assert notice.org_id == "delta"
    assert notice.facts["measure"] == 1
    assert datetime.fromisoformat(notice.facts["due_at"]) == end_of_day(DUE)
    assert notice.facts["mentions"] == ["U0WATANABE"]  # delta's manager; the owner has no Slack
    assert _measure(db_url, incident).reminded_at == WARN


def test_an_overdue_measure_is_escalated_after_its_reminder_then_each_business_morning(
    db_url: str, incident: str
) -> None:
    assert _measures(db_url, WARN) == 1
    assert _measures(db_url, end_of_day(DUE)) == 0  # due by the end of its day: not overdue
    assert _measures(db_url, OVERDUE) == len(ESCALATED_TO)
    assert _measures(db_url, OVERDUE) == 0
    escalated = _notices(db_url, incident, "measure_overdue")
    assert {n.org_id for n in escalated} == ESCALATED_TO
    assert {n.key for n in escalated} == {f"{incident}:measure_overdue:1:{o}" for o in ESCALATED_TO}
    row = _measure(db_url, incident)
    assert (row.escalations, row.escalated_at, row.next_alert_at) == (1, OVERDUE, REPEAT)
    # The weekend is skipped: the next escalation is Monday's at 09:00, not a second before.
    assert _measures(db_url, REPEAT - SECOND) == 0
    assert _measures(db_url, REPEAT) == len(ESCALATED_TO)
    assert _measures(db_url, REPEAT) == 0
    assert _measures(db_url, THEN - SECOND) == 0
    assert _measures(db_url, THEN) == len(ESCALATED_TO)
    keys = {n.key for n in _notices(db_url, incident, "measure_overdue")}
    assert {k.rsplit(":", 2)[-1] for k in keys if k.count(":") == 4} == {"1", "2"}
    assert len(keys) == 3 * len(ESCALATED_TO)
    assert len(_notices(db_url, incident, "measure_due")) == 1
    row = _measure(db_url, incident)
    assert (row.escalations, row.escalated_at) == (3, THEN)
    assert row.next_alert_at == datetime(2026, 12, 9, 9, 0, tzinfo=TOKYO)


def test_a_sweep_that_ran_late_sends_the_newest_escalation_only(db_url: str, incident: str) -> None:
    assert _measures(db_url, OVERDUE) == len(ESCALATED_TO)
    late = datetime(2026, 12, 10, 10, 0, tzinfo=TOKYO)  # Thursday: Mon, Tue, Wed, Thu missed
    assert _measures(db_url, late) == len(ESCALATED_TO)
    assert _measures(db_url, late) == 0
    row = _measure(db_url, incident)
    assert (row.escalations, row.next_alert_at) == (5, datetime(2026, 12, 11, 9, 0, tzinfo=TOKYO))
    keys = {n.key for n in _notices(db_url, incident, "measure_overdue")}
    assert f"{incident}:measure_overdue:1:delta:4" in keys
    assert len(keys) == 2 * len(ESCALATED_TO)


def test_a_measure_implemented_after_its_escalation_is_not_escalated_again(
    db_url: str, incident: str
) -> None:
    assert _measures(db_url, OVERDUE) == len(ESCALATED_TO)
    with transaction(db_url) as session:
        _implement(session, incident, at=OVERDUE + timedelta(days=1))
    for at in (REPEAT, THEN, THEN + timedelta(days=30)):
        assert _measures(db_url, at) == 0
    assert len(_notices(db_url, incident, "measure_overdue")) == len(ESCALATED_TO)


def test_the_policys_cap_ends_the_escalations(db_url: str) -> None:
    text = 'defaults:\n  escalation:\n    day_scale: {every: 1d, at: "09:00", cap: 1}\n'
    incident = _with_policy(db_url, text, due=DUE)
    assert _measures(db_url, OVERDUE) == len(ESCALATED_TO)
    assert _measures(db_url, REPEAT) == len(ESCALATED_TO)  # the one repeat the cap allows
    row = _measure(db_url, incident)
    assert (row.escalations, row.escalated_at, row.next_alert_at) == (2, REPEAT, None)
    for at in (THEN, THEN + timedelta(days=30)):
        assert _measures(db_url, at) == 0
    assert len(_notices(db_url, incident, "measure_overdue")) == 2 * len(ESCALATED_TO)


def test_the_repeats_skip_the_year_end_holidays_and_follow_the_policys_time(
    db_url: str,
) -> None:
    text = 'defaults:\n  escalation:\n    day_scale: {every: 1d, at: "10:30"}\n'
    # Due Monday 28 December: overdue from Tuesday 29th; 12/29–1/3 are closed (1/2 and 1/3 a
    # weekend too), so the next escalation is Monday 4 January at 10:30.
    incident = _with_policy(db_url, text, due=date(2026, 12, 28))
    overdue = datetime(2026, 12, 29, 0, 0, tzinfo=TOKYO)
    assert _measures(db_url, overdue) == len(ESCALATED_TO)
    repeat = datetime(2027, 1, 4, 10, 30, tzinfo=TOKYO)
    assert _measure(db_url, incident).next_alert_at == repeat
    assert _measures(db_url, repeat - SECOND) == 0
    assert _measures(db_url, repeat) == len(ESCALATED_TO)


def test_a_measure_first_swept_when_overdue_is_escalated_without_a_reminder(
    db_url: str, incident: str
) -> None:
    assert _measures(db_url, OVERDUE + timedelta(hours=5)) == len(ESCALATED_TO)
    assert _measures(db_url, OVERDUE + timedelta(hours=6)) == 0
    assert _measure(db_url, incident).reminded_at is None
    assert _notices(db_url, incident, "measure_due") == []


def test_a_measure_implemented_before_its_warn_time_is_never_chased(
    db_url: str, incident: str
) -> None:
    with transaction(db_url) as session:
        _implement(session, incident, at=WARN - timedelta(hours=1))
    for at in (WARN, OVERDUE, OVERDUE + timedelta(days=30)):
        assert _measures(db_url, at) == 0
    assert _notices(db_url, incident, "measure_due") == []
    assert _notices(db_url, incident, "measure_overdue") == []


def test_a_measure_implemented_after_its_reminder_is_not_escalated(
    db_url: str, incident: str
) -> None:
    assert _measures(db_url, WARN) == 1
    with transaction(db_url) as session:
        _implement(session, incident, at=WARN + timedelta(days=1))
    assert _measures(db_url, OVERDUE) == 0


def test_measures_without_a_due_date_are_never_chased(db_url: str, incident: str) -> None:
    with transaction(db_url) as session:
        acts.measure(session, incident, "手順書の改訂", by="watanabe", now=T0)
    assert _measures(db_url, OVERDUE + timedelta(days=365)) == len(ESCALATED_TO)  # measure 1


def test_a_measure_added_inside_its_warn_window_is_reminded_at_the_next_sweep(
    db_url: str, incident: str
) -> None:
    added = datetime(2026, 12, 2, 15, 0, tzinfo=TOKYO)
    with transaction(db_url) as session:
        acts.measure(session, incident, "点検", due=date(2026, 12, 3), by="watanabe", now=added)
    assert _measures(db_url, added - SECOND) == 1  # measure 1's own reminder
    assert _measures(db_url, added) == 1  # measure 2: warned from when it was added
    keys = sorted(n.key for n in _notices(db_url, incident, "measure_due"))
    assert keys == [f"{incident}:measure_due:1:delta", f"{incident}:measure_due:2:delta"]


def test_business_days_count_the_warning_back_over_closed_days(db_url: str) -> None:
    text = "defaults:\n  business_days: true\n"
    with transaction(db_url) as session:
        load_parties(session, read_parties(SAMPLE_PARTIES))
        load_policy(
            session, actor=OPERATOR, policy=parse_policy(text, "p.yaml"), name="p.yaml", text=text
        )
        incident = acts.declare(session, now=T0).incident.id
        acts.cause(session, incident, "確認漏れ", by="watanabe", now=T0)
        # Due Tuesday 1 December: three business days back is Thursday 26 November (the
        # weekend is skipped); counted in calendar days it would be Saturday 28th.
        due = date(2026, 12, 1)
        acts.measure(session, incident, "点検", due=due, by="watanabe", now=T0)
    thursday = datetime(2026, 11, 26, 0, 0, tzinfo=TOKYO)
    assert _measures(db_url, thursday - SECOND) == 0
    assert _measures(db_url, thursday) == 1


def test_a_contract_warning_earlier_than_the_defaults_is_kept_to(db_url: str) -> None:
    text = "contracts:\n  - id: C-2026-001\n    clocks:\n      measure: {warn: 10d}\n"
    with transaction(db_url) as session:
        load_parties(session, read_parties(SAMPLE_PARTIES))
        load_policy(
            session, actor=OPERATOR, policy=parse_policy(text, "p.yaml"), name="p.yaml", text=text
        )
        incident = acts.declare(session, now=T0).incident.id
        acts.cause(session, incident, "確認漏れ", by="watanabe", now=T0)
        acts.measure(session, incident, "点検", due=date(2026, 12, 20), by="watanabe", now=T0)
    warn = datetime(2026, 12, 10, 0, 0, tzinfo=TOKYO)
    assert _measures(db_url, warn - SECOND) == 0
    assert _measures(db_url, warn) == 1


def test_no_notice_carries_the_measures_text(db_url: str, incident: str) -> None:
    _measures(db_url, WARN)
    _measures(db_url, OVERDUE)
    _measures(db_url, REPEAT)
    with reading(db_url) as session:
        rows = session.exec(select(Notification).where(Notification.incident_id == incident))
        stored = [json.dumps(r.facts, ensure_ascii=False) + r.key for r in rows]
    assert any('"measure": 1' in s for s in stored)
    for piece in (SECRET, "山田太郎", "090-1234-5678", "暗号化"):
        assert not any(piece in s for s in stored)


def test_the_clock_leaves_the_seal_as_it_was(db_url: str, incident: str) -> None:
    _measures(db_url, WARN)
    with reading(db_url) as session:
        assert check_incident(session, incident).broken is None
    # An edit behind the application's back stays visible after the sweep writes the row.
    with get_engine(db_url).begin() as conn:
        conn.execute(sa.text("UPDATE preventionmeasure SET text = '別の対策'"))
    _measures(db_url, OVERDUE)
    _measures(db_url, REPEAT)
    assert _measure(db_url, incident).escalated_at == REPEAT
    with reading(db_url) as session:
        assert check_incident(session, incident).broken == "measure 1"


def test_the_trail_and_the_record_show_how_the_measure_was_chased(
    db_url: str, incident: str
) -> None:
    for at in (WARN, WARN, OVERDUE, OVERDUE, REPEAT):  # each time twice or once: written once
        _measures(db_url, at)
    with reading(db_url) as session:
        chased = [
            (e.action, e.detail, e.at)
            for e in events_of(session, incident)
            if e.detail.get("measure") is not None
        ]
        assert check_incident(session, incident).broken is None
        data = record_data(session, incident, now=REPEAT)
    to_all = sorted(ESCALATED_TO)
    assert [(a, d["measure"], sorted(d["to"]), d.get("repeat"), at) for a, d, at in chased] == [
        ("reminder", 1, ["delta"], None, WARN),
        ("escalation", 1, to_all, 0, OVERDUE),
        ("escalation", 1, to_all, 1, REPEAT),
    ]
    text = render_text(data, lang=Lang.JA, fmt=RecordFormat.MD)
    assert "期限前の催促" in text
    assert "期限超過の通知" in text
    assert "再発防止策: 1; 宛先: デルタ入力サービス有限会社" in text
    assert "repeat" not in text  # no word of the program in the Japanese record
    english = render_text(data, lang=Lang.EN, fmt=RecordFormat.MD)
    assert "prevention measure: 1" in english


def test_a_preview_shows_the_measures_escalation_and_writes_nothing(
    db_url: str, incident: str
) -> None:
    with reading(db_url) as session:
        trail = len(events_of(session, incident))
    shown = preview(db_url, now=OVERDUE)
    assert shown["measures"] == len(ESCALATED_TO)
    overdue = [m for m in shown["would_send"] if m["event"] == "measure_overdue"]
    assert {m["to"] for m in overdue} == ESCALATED_TO
    assert not any(m["queued"] for m in overdue)  # queued by the clock, not waiting already
    # Nothing was written: no message, no trail event, the measure's clock as it was.
    assert _notices(db_url, incident, "measure_overdue") == []
    assert _measure(db_url, incident).escalated_at is None
    with reading(db_url) as session:
        assert len(events_of(session, incident)) == trail
    # The sweep at that time queues exactly what the preview showed.
    _measures(db_url, OVERDUE)
    queued = {n.key for n in _notices(db_url, incident, "measure_overdue")}
    assert queued == {m["key"] for m in overdue}


@pytest.mark.postgres
def test_two_sweeps_at_the_same_time_queue_each_escalation_once(postgres_url: str) -> None:
    incident = _with_policy(postgres_url, None, due=DUE)
    engine = get_engine(postgres_url)
    for at in (OVERDUE, REPEAT):
        with Session(engine) as first, Session(engine) as second:
            assert sweep_measures(first, at).escalations == len(ESCALATED_TO)
            first.flush()  # the first sweep holds the measure until it commits
            # Waiting for the first would hang this test: fail fast instead.
            second.execute(sa.text("SET LOCAL lock_timeout = '5s'"))
            assert sweep_measures(second, at).escalations == 0  # and the second passes it by
            first.commit()
            second.commit()
        with Session(engine) as late:  # a sweep right after the first sees what it wrote
            assert sweep_measures(late, at).total == 0
            late.commit()
    row = _measure(postgres_url, incident)
    assert (row.escalations, row.escalated_at) == (2, REPEAT)
    assert len(_notices(postgres_url, incident, "measure_overdue")) == 2 * len(ESCALATED_TO)


def _with_policy(url: str, text: str | None, *, due: date) -> str:
    """An incident at delta under the policy `text` (None: the defaults), its measure 1 due on
    `due`."""
    with transaction(url) as session:
        load_parties(session, read_parties(SAMPLE_PARTIES))
        if text is not None:
            policy = parse_policy(text, "p.yaml")
            load_policy(session, actor=OPERATOR, policy=policy, name="p.yaml", text=text)
        incident = acts.declare(session, now=T0).incident.id
        acts.cause(session, incident, "確認漏れ", by="watanabe", now=T0)
        acts.measure(session, incident, "点検", due=due, by="watanabe", now=T0)
    return incident


def _implement(session: Session, incident: str, *, at: datetime) -> None:
    """Measure 1 marked implemented at `at`."""
    implement_measure(session, actor=person("watanabe"), incident_id=incident, number=1, now=at)
