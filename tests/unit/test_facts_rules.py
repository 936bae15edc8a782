"""Rules on facts, outcomes and the client's decisions: what is accepted and what is refused,
each refusal naming its field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from jikoflow.models.enums import (
    IncidentKind,
    InstructionStatus,
    Outcome,
    Publication,
    SubjectNotice,
)
from jikoflow.models.errors import BadInput
from jikoflow.models.facts.rules import (
    check_facts,
    check_instruction,
    check_publication,
    check_reason,
    check_reclassification,
    instruction_status,
    merge_facts,
    parse_facts,
    record_due_after_return,
    submission_gaps,
)
from jikoflow.models.facts.schemas import FACT_FIELDS, Facts
from jikoflow.models.times import TOKYO

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # 18:30 in Tokyo
TODAY = date(2026, 11, 25)


def test_every_field_is_optional_and_unknown_at_first() -> None:
    facts = parse_facts({})
    assert all(getattr(facts, name) is None for name in FACT_FIELDS)
    assert facts.known() == {}
    assert set(Facts.model_fields) == set(FACT_FIELDS)


def test_typed_input_is_normalised() -> None:
    facts = parse_facts(
        {
            "occurred_at": "2026-11-24T22:00",
            "discovered_by": "  伊藤 健 ",
            "items": "氏名、住所,氏名 , 電話番号",
            "records": "120",
            "people": 118,
            "sensitive": True,
            "subject_notice": "not-needed",
        }
    )
    assert facts.occurred_at == datetime(2026, 11, 24, 22, 0, tzinfo=TOKYO)
    assert facts.discovered_by == "伊藤 健"
    assert facts.items == ("氏名", "住所", "電話番号")
    assert (facts.records, facts.people) == (120, 118)
    assert facts.subject_notice is SubjectNotice.NOT_NEEDED
    assert list(facts.known()) == [
        "occurred_at",
        "discovered_by",
        "items",
        "records",
        "people",
        "sensitive",
        "subject_notice",
    ]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"records": -1}, "records"),
        ({"people": -5}, "people"),
        ({"people": 10**13}, "people"),
        ({"people": 2**63}, "people"),
        ({"people": 1.5}, "people"),
        ({"records": "many"}, "records"),
        ({"discovered_by": "   "}, "discovered_by"),
        ({"how": "x" * 4001}, "how"),
        ({"items": ""}, "items"),
        ({"items": ["氏名", ""]}, "items"),
        ({"items": [f"項目{i}" for i in range(51)]}, "items"),
        ({"subject_notice": "maybe"}, "subject_notice"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"sensitive": "perhaps"}, "sensitive"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_refused_naming_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(BadInput) as refused:
        parse_facts(data)
    assert refused.value.field == field


def test_nothing_happens_after_it_is_seen_or_in_the_future() -> None:
    discovered = NOW - timedelta(hours=1)
    ok = Facts(occurred_at=discovered - timedelta(days=2))
    assert check_facts(ok, now=NOW, discovered_at=discovered) is ok
    with pytest.raises(BadInput, match="future") as refused:
        check_facts(Facts(occurred_at=NOW + timedelta(hours=1)), now=NOW, discovered_at=NOW)
    assert refused.value.field == "occurred_at"
    with pytest.raises(BadInput, match="after the incident was discovered"):
        check_facts(Facts(occurred_at=NOW), now=NOW, discovered_at=discovered)
    # A clock a minute ahead elsewhere is not the future.
    skewed = Facts(occurred_at=NOW + timedelta(minutes=1))
    assert check_facts(skewed, now=NOW, discovered_at=NOW + timedelta(minutes=1)) is skewed


def test_a_change_keeps_what_it_does_not_mention() -> None:
    first, changed = merge_facts(None, parse_facts({"people": 10, "items": "氏名"}))
    assert changed == ["items", "people"]
    second, changed = merge_facts(first, parse_facts({"sensitive": True, "people": 12}))
    assert (second.people, second.items, second.sensitive) == (12, ("氏名",), True)
    assert changed == ["people", "sensitive"]
    cleared, changed = merge_facts(second, parse_facts({"people": None}))
    assert (cleared.people, cleared.sensitive, changed) == (None, True, ["people"])
    same, changed = merge_facts(cleared, parse_facts({"sensitive": True}))
    assert (same, changed) == (cleared, [])


def test_a_reason_is_required_and_bounded() -> None:
    assert check_reason("  誤検知と判明  ") == "誤検知と判明"
    for bad in (None, "", "   "):
        with pytest.raises(BadInput, match="give a reason") as refused:
            check_reason(bad)
        assert refused.value.field == "reason"
    with pytest.raises(BadInput, match="4000"):
        check_reason("x" * 4001)


def test_reclassification_changes_something_and_says_why() -> None:
    assert check_reclassification(
        kind=IncidentKind.LEAK,
        suspected=True,
        new_kind=None,
        new_suspected=False,
        reason="持ち出しを確認",
    ) == (IncidentKind.LEAK, False, "持ち出しを確認")
    assert check_reclassification(
        kind=IncidentKind.VIOLATION,
        suspected=False,
        new_kind=IncidentKind.LEAK,
        new_suspected=None,
        reason="外部送信を確認",
    ) == (IncidentKind.LEAK, False, "外部送信を確認")
    with pytest.raises(BadInput, match="neither") as refused:
        check_reclassification(
            kind=IncidentKind.LEAK,
            suspected=True,
            new_kind=IncidentKind.LEAK,
            new_suspected=True,
            reason="同じ",
        )
    assert refused.value.field == "kind"
    with pytest.raises(BadInput) as refused:
        check_reclassification(
            kind=IncidentKind.LEAK,
            suspected=True,
            new_kind=None,
            new_suspected=False,
            reason=" ",
        )
    assert refused.value.field == "reason"


def test_an_unfounded_suspicion_needs_no_prevention_plan() -> None:
    nothing = {"contained": False, "has_cause": False, "has_measure": False}
    assert submission_gaps(Outcome.NOT_AN_INCIDENT, **nothing) == []
    assert submission_gaps(Outcome.INCIDENT, **nothing) == [
        "containment",
        "root_cause",
        "prevention",
    ]
    done = {"contained": True, "has_cause": True, "has_measure": True}
    assert submission_gaps(Outcome.INCIDENT, **done) == []


@pytest.mark.parametrize(
    ("returned", "business", "due"),
    [
        (datetime(2026, 11, 25, 18, 0, tzinfo=TOKYO), False, date(2026, 12, 2)),
        (datetime(2026, 12, 25, 15, 0, tzinfo=TOKYO), False, date(2027, 1, 1)),
        (datetime(2026, 12, 25, 15, 0, tzinfo=TOKYO), True, date(2027, 1, 12)),
        (datetime(2026, 4, 28, 10, 0, tzinfo=TOKYO), True, date(2026, 5, 13)),
    ],
)
def test_a_returned_record_is_due_again_in_seven_days(
    returned: datetime, business: bool, due: date
) -> None:
    at = record_due_after_return(returned, business_days=business)
    assert at.astimezone(TOKYO).date() == due
    assert at > returned


def test_an_instruction_has_text_and_a_due_date_not_in_the_past() -> None:
    assert check_instruction(" 報告を求める ", due=TODAY, today=TODAY) == ("報告を求める", TODAY)
    assert check_instruction("改善を指示", due=None, today=TODAY) == ("改善を指示", None)
    with pytest.raises(BadInput) as refused:
        check_instruction("  ", due=None, today=TODAY)
    assert refused.value.field == "text"
    with pytest.raises(BadInput, match="past") as refused:
        check_instruction("改善を指示", due=TODAY - timedelta(days=1), today=TODAY)
    assert refused.value.field == "due"


def test_an_instruction_is_overdue_only_after_its_due_day_in_tokyo() -> None:
    due = date(2026, 12, 10)
    last_minute = datetime(2026, 12, 10, 14, 59, tzinfo=UTC)
    next_day = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)
    assert instruction_status(None, due, last_minute) is InstructionStatus.OPEN
    assert instruction_status(None, due, next_day) is InstructionStatus.OVERDUE
    assert instruction_status(next_day, due, next_day) is InstructionStatus.DONE
    assert instruction_status(None, None, next_day) is InstructionStatus.OPEN


def test_publication_decisions() -> None:
    later = TODAY + timedelta(days=3)
    assert check_publication(Publication.PUBLISH, on=later, reason=None, today=TODAY) == (
        later,
        None,
    )
    assert check_publication(Publication.PUBLISH, on=None, reason=" 区HP ", today=TODAY) == (
        TODAY,
        "区HP",
    )
    assert check_publication(
        Publication.WITHHOLD, on=None, reason="本人通知で足りる", today=TODAY
    ) == (TODAY, "本人通知で足りる")
    with pytest.raises(BadInput) as refused:
        check_publication(Publication.WITHHOLD, on=None, reason=None, today=TODAY)
    assert refused.value.field == "reason"
    with pytest.raises(BadInput) as refused:
        check_publication(Publication.WITHHOLD, on=later, reason="理由", today=TODAY)
    assert refused.value.field == "on"


def test_a_publication_is_never_dated_before_the_discovery() -> None:
    found = TODAY - timedelta(days=2)
    earlier = found - timedelta(days=1)
    for decision in Publication:
        reason = "理由"
        with pytest.raises(BadInput) as refused:
            check_publication(decision, on=earlier, reason=reason, today=TODAY, discovered=found)
        assert refused.value.field == "on"
        assert found.isoformat() in refused.value.message
        day = check_publication(decision, on=found, reason=reason, today=TODAY, discovered=found)
        assert day == (found, reason)
