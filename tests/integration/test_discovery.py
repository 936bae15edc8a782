"""A wrong discovery time: one before the subcontracting was approved is refused unless
confirmed (no false Art. 15 violations), an empty one is an error, and a discovery time is
corrected — audited, the clocks following — until the record is submitted (SQLite)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jikoflow.models.audit.service import events_of
from jikoflow.models.db import reading
from jikoflow.models.times import TOKYO
from tests.conftest import CliResult, Env

ARGV = ("declare", "--contract", "C-2026-001", "--org", "delta", "--kind", "leak", "--no-flow")
ARGV += ("--summary", "封筒の所在不明")


@pytest.fixture
def loaded(sqlite_env: Env, cli: Callable[..., CliResult], parties_file: Path) -> Env:
    """SQLite with the sample parties (delta's subcontracting approved 2026-05-01)."""
    assert cli("parties", "load", parties_file).code == 0
    return sqlite_env


def _one_line(result: CliResult, start: str) -> None:
    assert result.code == 2, result.err
    assert result.err.startswith(start), result.err
    assert result.err.count("\n") == 1
    assert "Traceback" not in result.err


def _iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def test_a_discovery_before_the_approval_is_refused_unless_confirmed(
    loaded: Env, cli: Callable[..., CliResult], snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    refused = cli(*ARGV, "--discovered-at", "2025-11-20T10:00")
    _one_line(refused, "error: --discovered-at: 2025-11-20 is before delta's subcontracting")
    assert "2026-05-01" in refused.err
    assert snapshot() == before
    confirmed = cli(*ARGV, "--discovered-at", "2025-11-20T10:00", "--confirm-discovery", "--json")
    assert confirmed.code == 0, confirmed.err
    assert confirmed.json()["violations"]  # then, the tiers were indeed not approved


@pytest.mark.parametrize("value", ["", "  ", "0001-01-01T00:00", "2026-02-30T10:00"])
def test_an_empty_or_impossible_discovery_is_an_error(
    loaded: Env, cli: Callable[..., CliResult], snapshot: Callable[[], Any], value: str
) -> None:
    before = snapshot()
    _one_line(cli(*ARGV, "--discovered-at", value), "error: --discovered-at: ")
    assert snapshot() == before


def test_a_discovery_time_is_corrected_with_its_reason_and_the_clocks_follow(
    loaded: Env, cli: Callable[..., CliResult]
) -> None:
    base = datetime.now(UTC).replace(microsecond=0)
    incident = cli(*ARGV, "--discovered-at", (base - timedelta(hours=2)).isoformat()).out.strip()
    first = cli("status", incident, "--json").json()
    corrected_to = (base - timedelta(minutes=30)).isoformat()
    done = cli(
        "correct-discovery", incident, "--discovered-at", corrected_to, "--reason", "年の誤記"
    )
    assert done.code == 0, done.err
    # Both times as a person reads them: in Tokyo, to the minute.
    tokyo = [
        datetime.fromisoformat(t).astimezone(TOKYO).strftime("%Y-%m-%d %H:%M")
        for t in (corrected_to, first["discovered_at"])
    ]
    assert done.out == f"{incident}: discovered at {tokyo[0]} (was {tokyo[1]})\n"
    after = cli("status", incident, "--json").json()
    assert datetime.fromisoformat(after["discovered_at"]) == datetime.fromisoformat(corrected_to)
    shift = timedelta(minutes=90)
    for old, new in zip(first["steps"], after["steps"], strict=True):
        moved = datetime.fromisoformat(new["due_at"]) - datetime.fromisoformat(old["due_at"])
        assert moved == shift
    assert after["trail_broken"] is None
    with reading(loaded.url) as session:
        event = events_of(session, incident)[-1]
    assert event.action == "discovery_corrected"
    assert event.detail["reason"] == "年の誤記"
    assert event.detail["was"] == first["discovered_at"]


def test_a_step_done_before_the_correction_is_due_from_the_corrected_time(
    loaded: Env, cli: Callable[..., CliResult]
) -> None:
    incident = cli(*ARGV).out.strip()
    assert cli("sweep").code == 0  # the reports go out: the report step is done
    first = {s["name"]: s for s in cli("status", incident, "--json").json()["steps"]}
    assert first["report"]["status"] == "done"
    earlier = datetime.fromisoformat(first["report"]["done_at"]) - timedelta(hours=3)
    assert (
        cli(
            "correct-discovery", incident, "--discovered-at", earlier.isoformat(), "--reason", "x"
        ).code
        == 0
    )
    after = {s["name"]: s for s in cli("status", incident, "--json").json()["steps"]}
    report = after["report"]
    # Done 3 hours after the true discovery: after its 1-hour due, as a reader must see it.
    assert report["done_at"] == first["report"]["done_at"]
    assert datetime.fromisoformat(report["due_at"]) == earlier + timedelta(hours=1)
    assert datetime.fromisoformat(report["due_at"]) < datetime.fromisoformat(report["done_at"])


def test_corrections_are_refused_when_wrong_or_after_submission(
    loaded: Env, cli: Callable[..., CliResult], snapshot: Callable[[], Any]
) -> None:
    incident = cli(*ARGV).out.strip()
    before = snapshot()
    correct = ("correct-discovery", incident, "--reason", "誤記")
    _one_line(cli(*correct, "--discovered-at", "2025-01-01T10:00"), "error: --discovered-at: ")
    _one_line(cli(*correct, "--discovered-at", _iso(timedelta(days=1))), "error: --discovered-at")
    _one_line(cli(*correct, "--discovered-at", ""), "error: --discovered-at: ")
    _one_line(
        cli(
            "correct-discovery",
            incident,
            "--discovered-at",
            _iso(-timedelta(hours=1)),
            "--reason",
            " ",
        ),
        "error: --reason: ",
    )
    _one_line(
        cli(
            "correct-discovery",
            "INC-NOPE",
            "--discovered-at",
            _iso(-timedelta(hours=1)),
            "--reason",
            "x",
        ),
        "error: ID: ",
    )
    assert snapshot() == before
    for argv in (
        ("contain", incident, "--action", "回収", "--done"),
        ("cause", incident, "--text", "確認漏れ"),
        ("prevent", incident, "--measure", "二重確認"),
        ("submit", incident),
    ):
        assert cli(*argv).code == 0
    submitted = snapshot()
    _one_line(cli(*correct, "--discovered-at", _iso(-timedelta(hours=1))), "error: ID: ")
    assert snapshot() == submitted
