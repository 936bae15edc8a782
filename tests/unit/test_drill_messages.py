"""Drill messages: the simulated origin is told it plays the incident's organisation, and a
contact check's reminder points at the drill commands, in both languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jikoflow.models.enums import IncidentKind, IncidentState, Lang, StepName
from jikoflow.models.outbox.facts import NoticeEvent, NoticeFacts, Subject
from jikoflow.notifications.messages import build_card, build_message

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo
DRILL = "DRL-20261102-ABC123"


def drill_facts(event: NoticeEvent, recipient: str, recipient_name: str) -> NoticeFacts:
    return NoticeFacts(
        event=event,
        subject=Subject.DRILL,
        subject_id=DRILL,
        contract_id="C-2026-001",
        contract_title="住民情報システム運用保守業務",
        org_id="delta",
        org_name="デルタ入力サービス有限会社",
        recipient_id=recipient,
        recipient_name=recipient_name,
        kind=IncidentKind.LEAK,
        suspected=True,
        state=IncidentState.OPEN,
        drill=True,
        declared_at=T0,
        step=StepName.REPORT,
        due_at=T0 + timedelta(hours=1),
    )


@pytest.mark.parametrize(
    ("lang", "said", "never"),
    [
        (
            Lang.JA,
            "貴組織（デルタ入力サービス有限会社）で漏えい（おそれ）の事故等が発生したと想定した"
            "連絡確認です。2026年11月2日 11:00までに受領を確認してください。",
            "から",
        ),
        (
            Lang.EN,
            "This contact check simulates a leak (suspected) at your organisation, "
            "デルタ入力サービス有限会社. Confirm receipt by 2026-11-02 11:00 JST.",
            "reports a",
        ),
    ],
)
def test_the_origin_learns_it_is_the_simulated_origin(lang: Lang, said: str, never: str) -> None:
    facts = drill_facts(NoticeEvent.DRILL_CHECK, "delta", "デルタ入力サービス有限会社")
    for build in (build_message, build_card):
        text = build(facts, lang).text
        assert said in text
        assert never not in text
        assert f"http://127.0.0.1:8080/drills/{DRILL}" in text
        assert "ポータルの訓練のページで" in text or "drill's page" in text


def test_every_other_organisation_reads_the_report_from_the_origin() -> None:
    facts = drill_facts(NoticeEvent.DRILL_CHECK, "nerima", "練馬区")
    text = build_message(facts).text
    assert "デルタ入力サービス有限会社 から練馬区へ、漏えい（おそれ）の事故等の報告です。" in text
    assert "想定" not in text


@pytest.mark.parametrize("lang", list(Lang))
def test_a_checks_reminder_points_at_the_drill_page(lang: Lang) -> None:
    text = build_message(drill_facts(NoticeEvent.REMINDER, "gamma", "ガンマ"), lang).text
    assert text.startswith("【訓練】" if lang is Lang.JA else "[DRILL] ")
    assert f"http://127.0.0.1:8080/drills/{DRILL}" in text
    assert "jikoflow drill" not in text


def test_a_tabletop_incidents_reminder_points_at_the_incident_page() -> None:
    facts = drill_facts(NoticeEvent.REMINDER, "gamma", "ガンマ").model_copy(
        update={"subject": Subject.INCIDENT, "subject_id": "INC-20261102-ABC123"}
    )
    text = build_message(facts).text
    assert "http://127.0.0.1:8080/incidents/INC-20261102-ABC123" in text
    assert "drills" not in text.split("【訓練】", 1)[1]
