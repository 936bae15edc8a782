"""The APPI clocks for 甲 as a table over fact combinations at fixed dates, holidays and the
year end included."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from jikoflow.models.enums import AppiReason, IncidentKind, Sector
from jikoflow.models.facts.appi import assess_appi
from jikoflow.models.facts.schemas import Facts
from jikoflow.models.times import TOKYO

R = AppiReason
NONE_KNOWN = ["sensitive", "financial", "improper_purpose", "people", "my_number"]
# Everything known and harmless: nothing makes the case reportable.
CLEAN: dict[str, Any] = {
    "sensitive": False,
    "financial": False,
    "improper_purpose": False,
    "my_number": False,
    "people": 3,
}


def _tokyo(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TOKYO)


CASES = [
    # id, facts, kind, sector, learned, reasons, preliminary due, final due
    (
        "101 people at a ward; 速報 on a Saturday moves to Monday",
        CLEAN | {"people": 101},
        IncidentKind.LEAK,
        Sector.PUBLIC,
        _tokyo(2026, 11, 25, 10, 0),
        [R.PEOPLE_OVER_100],
        date(2026, 11, 30),
        date(2026, 12, 25),
    ),
    (
        "exactly 100 people is not more than 100",
        CLEAN | {"people": 100},
        IncidentKind.LEAK,
        Sector.PUBLIC,
        _tokyo(2026, 11, 25, 10, 0),
        [],
        None,
        None,
    ),
    (
        "a private client reports only above 1,000 people",
        CLEAN | {"people": 1000},
        IncidentKind.LEAK,
        Sector.PRIVATE,
        _tokyo(2026, 11, 25, 10, 0),
        [],
        None,
        None,
    ),
    (
        "1,001 people at a private client",
        CLEAN | {"people": 1001},
        IncidentKind.ERASURE,
        Sector.PRIVATE,
        _tokyo(2026, 11, 25, 10, 0),
        [R.PEOPLE_OVER_1000],
        date(2026, 11, 30),
        date(2026, 12, 25),
    ),
    (
        "sensitive data: 確報 on 12/31 moves past the year-end closure",
        CLEAN | {"sensitive": True},
        IncidentKind.LEAK,
        Sector.PUBLIC,
        _tokyo(2026, 12, 1, 16, 0),
        [R.SENSITIVE],
        date(2026, 12, 4),
        date(2027, 1, 4),
    ),
    (
        "improper purpose: 確報 in 60 days, a Sunday moved to Monday",
        CLEAN | {"improper_purpose": True},
        IncidentKind.TAMPERING,
        Sector.PUBLIC,
        _tokyo(2026, 11, 25, 10, 0),
        [R.IMPROPER_PURPOSE],
        date(2026, 11, 30),
        date(2027, 1, 25),
    ),
    (
        "financial damage learned before Golden Week",
        CLEAN | {"financial": True},
        IncidentKind.DESTRUCTION,
        Sector.PUBLIC,
        _tokyo(2026, 4, 30, 11, 0),
        [R.FINANCIAL],
        date(2026, 5, 7),
        date(2026, 6, 1),
    ),
    (
        "速報 on the 国民の休日 between 敬老の日 and 秋分の日",
        CLEAN | {"sensitive": True},
        IncidentKind.LEAK,
        Sector.PUBLIC,
        _tokyo(2026, 9, 19, 9, 0),
        [R.SENSITIVE],
        date(2026, 9, 24),
        date(2026, 10, 19),
    ),
    (
        "My Number data alone",
        CLEAN | {"my_number": True},
        IncidentKind.LEAK,
        Sector.PUBLIC,
        _tokyo(2026, 11, 25, 10, 0),
        [R.MY_NUMBER],
        date(2026, 11, 30),
        date(2026, 12, 25),
    ),
    (
        "every reason at once, in a fixed order",
        {
            "sensitive": True,
            "financial": True,
            "improper_purpose": True,
            "my_number": True,
            "people": 5000,
        },
        IncidentKind.LEAK,
        Sector.PUBLIC,
        _tokyo(2026, 11, 25, 10, 0),
        [R.SENSITIVE, R.FINANCIAL, R.IMPROPER_PURPOSE, R.PEOPLE_OVER_100, R.MY_NUMBER],
        date(2026, 11, 30),
        date(2027, 1, 25),
    ),
    (
        "late evening in Tokyo is the next day in UTC terms: the Tokyo day counts",
        CLEAN | {"sensitive": True},
        IncidentKind.LEAK,
        Sector.PUBLIC,
        datetime(2026, 11, 25, 15, 30, tzinfo=UTC),  # 11/26 00:30 in Tokyo
        [R.SENSITIVE],
        date(2026, 11, 30),  # 11/29 is a Sunday
        date(2026, 12, 28),  # 12/26 Saturday → Monday 12/28
    ),
    (
        "a breach of the provisions is not a 漏えい等 until reclassified",
        CLEAN | {"sensitive": True, "people": 500},
        IncidentKind.VIOLATION,
        Sector.PUBLIC,
        _tokyo(2026, 11, 25, 10, 0),
        [],
        None,
        None,
    ),
]


@pytest.mark.parametrize(
    ("facts", "kind", "sector", "learned", "reasons", "preliminary", "final"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_reportability_and_due_days(
    facts: dict[str, Any],
    kind: IncidentKind,
    sector: Sector,
    learned: datetime,
    reasons: list[AppiReason],
    preliminary: date | None,
    final: date | None,
) -> None:
    result = assess_appi(Facts(**facts), kind=kind, learned_at=learned, sector=sector)
    assert result.reasons == reasons
    assert result.reportable is bool(reasons)
    assert (result.preliminary_due_on, result.final_due_on) == (preliminary, final)
    if final is not None:
        assert result.final_due_at is not None
        assert result.final_due_at.astimezone(TOKYO).date() == final
        assert (result.final_due_at.hour, result.final_due_at.minute) == (23, 59)


def test_nothing_known_is_not_reportable_yet_and_says_what_is_missing() -> None:
    result = assess_appi(Facts(), kind=IncidentKind.LEAK, learned_at=_tokyo(2026, 11, 25, 10))
    assert (result.reportable, result.reasons) == (False, [])
    assert result.unknown == NONE_KNOWN
    assert result.preliminary_due_at is None


def test_a_reportable_case_has_no_clock_until_the_client_learned_of_it() -> None:
    result = assess_appi(Facts(sensitive=True), kind=IncidentKind.LEAK, learned_at=None)
    assert result.reportable is True
    assert (result.preliminary_due_on, result.final_due_on) == (None, None)
    assert result.unknown == ["financial", "improper_purpose", "people", "my_number"]


def test_the_threshold_follows_the_clients_sector() -> None:
    facts = Facts(people=500)
    public = assess_appi(facts, kind=IncidentKind.LEAK, learned_at=None)
    private = assess_appi(facts, kind=IncidentKind.LEAK, learned_at=None, sector=Sector.PRIVATE)
    assert (public.people_threshold, public.reasons) == (100, [R.PEOPLE_OVER_100])
    assert (private.people_threshold, private.reasons) == (1000, [])
