"""The audit trail: hash-chained per chain, and any change to a stored event shows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from jikoflow.models.audit.service import GENESIS, events_of, record_event, verify_chain
from jikoflow.models.db import get_engine, reading, transaction

T0 = datetime(2026, 5, 1, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def _write(url: str, chain: str = "INC-1", count: int = 3) -> None:
    with transaction(url) as session:
        for i in range(count):
            record_event(
                session,
                chain,
                f"action_{i}",
                actor="suzuki" if i % 2 else None,
                detail={"step": "report", "n": i, "名前": "受領", "on": date(2026, 5, 1)},
                at=T0 + timedelta(minutes=i),
            )


def _verified(url: str, chain: str = "INC-1") -> bool:
    with reading(url) as session:
        return verify_chain(events_of(session, chain))


def test_events_link_to_the_one_before_and_verify_after_a_round_trip(sqlite_url: str) -> None:
    _write(sqlite_url)
    with reading(sqlite_url) as session:
        events = events_of(session, "INC-1")
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert len({e.hash for e in events}) == 3
    assert events[0].at == T0
    assert events[0].at.tzinfo is not None
    assert events[0].at.utcoffset() == timedelta(0)
    assert events[0].detail["on"] == "2026-05-01"
    assert verify_chain(events)


def test_appending_later_keeps_the_chain_valid(sqlite_url: str) -> None:
    _write(sqlite_url, count=2)
    _write(sqlite_url, count=2)
    with reading(sqlite_url) as session:
        events = events_of(session, "INC-1")
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert verify_chain(events)


def test_chains_are_independent(sqlite_url: str) -> None:
    _write(sqlite_url, "INC-1", 2)
    _write(sqlite_url, "INC-2", 3)
    with reading(sqlite_url) as session:
        assert [e.seq for e in events_of(session, "INC-2")] == [1, 2, 3]
        assert events_of(session, "INC-2")[0].prev_hash == GENESIS
    assert _verified(sqlite_url, "INC-1")
    assert _verified(sqlite_url, "INC-2")


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE auditevent SET actor = 'mallory' WHERE seq = 2",
        "UPDATE auditevent SET action = 'nothing_happened' WHERE seq = 1",
        """UPDATE auditevent SET detail = '{"step": "report", "n": 9}' WHERE seq = 2""",
        "UPDATE auditevent SET at = '2026-05-02 00:00:00.000000' WHERE seq = 3",
        "DELETE FROM auditevent WHERE seq = 2",
        "UPDATE auditevent SET seq = seq + 10 WHERE seq = 1",
    ],
    ids=["actor", "action", "detail", "time", "deleted", "renumbered"],
)
def test_any_change_to_a_stored_event_is_detected(sqlite_url: str, tamper: str) -> None:
    _write(sqlite_url)
    assert _verified(sqlite_url)
    with get_engine(sqlite_url).begin() as conn:
        conn.execute(sa.text(tamper))
    assert not _verified(sqlite_url)


def test_an_empty_trail_verifies(sqlite_url: str) -> None:
    assert _verified(sqlite_url, "INC-NONE")


def test_event_time_defaults_to_now_in_utc(sqlite_url: str) -> None:
    before = datetime.now(UTC)
    with transaction(sqlite_url) as session:
        event = record_event(session, "INC-1", "declared")
    assert before <= event.at <= datetime.now(UTC)
    assert event.detail == {}
    assert _verified(sqlite_url)
