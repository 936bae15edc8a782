"""Drill plans in the application database: planned through the CLI, kept across restarts, fired
once after missed runs, never fired twice by two schedulers — all at fixed times."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from apscheduler.executors.debug import DebugExecutor
from sqlmodel import col, select

from jikoflow.drills.lease import STALE_AFTER, Holder, LeaseHeld, acquire, release, renew
from jikoflow.drills.plans import JobStoreEditor, job_id, job_store, scheduler_options
from jikoflow.drills.rules import JOBS_TABLE, DrillType
from jikoflow.drills.tables import Drill, SchedulerLease
from jikoflow.models.db import get_engine, reading
from tests.conftest import CliResult, Env

Cli = Callable[..., CliResult]
# Monday 2026-11-02 09:00 in Tokyo.
MONDAY_9 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)


@contextmanager
def scheduler_at(url: str) -> Iterator[JobStoreEditor]:
    """The plan jobs with a synchronous executor; `_process_jobs()` is one scheduler wake-up."""
    scheduler = JobStoreEditor(**scheduler_options(url), executors={"default": DebugExecutor()})
    scheduler.start()
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)


def plan(cli: Cli, *extra: str) -> dict[str, object]:
    result = cli("drill", "plan", "--contract", "C-2026-001", "--json", *extra)
    assert result.code == 0, result.err
    data: dict[str, object] = result.json()
    return data


def drills(url: str) -> list[Drill]:
    with reading(url) as session:
        return list(session.exec(select(Drill).order_by(col(Drill.started_at))))


def test_a_plan_is_a_job_in_the_database_with_its_next_run(loaded_env: Env, cli: Cli) -> None:
    with time_machine.travel(MONDAY_9, tick=False):
        made = plan(cli, "--type", "contact", "--cron", "0 10 1 */6 *")
        listed = cli("drill", "plans", "--json").json()
    # 1 January is closed (元日, 12/29–1/3): by the default policy the run moves to Monday 4th.
    assert made["next_run"] == "2027-01-04T10:00:00+09:00"
    assert listed == [made]
    with get_engine(loaded_env.url).connect() as conn:
        rows = conn.execute(sa.text(f"SELECT id FROM {JOBS_TABLE}")).scalars().all()
    assert rows == [job_id(int(str(made["id"])))]
    # A scheduler started later (a restart) finds the same job, due at the same time.
    with job_store(loaded_env.url) as store:
        job = store.get_job(job_id(int(str(made["id"]))))
        assert job.next_run_time == datetime(2027, 1, 4, 1, 0, tzinfo=UTC)
        assert (job.coalesce, job.misfire_grace_time) == (True, 24 * 3600)


def test_unplan_removes_the_job_and_keeps_the_row(loaded_env: Env, cli: Cli) -> None:
    made = plan(cli, "--type", "tabletop", "--scenario", "lost-forms-tier3", "--cron", "0 14 * 3 2")
    assert made["scenario"] == "lost-forms-tier3"
    removed = cli("drill", "unplan", str(made["id"]), "--json")
    assert removed.code == 0, removed.err
    assert cli("drill", "plans", "--json").json() == []
    with get_engine(loaded_env.url).connect() as conn:
        assert conn.execute(sa.text(f"SELECT count(*) FROM {JOBS_TABLE}")).scalar() == 0
    again = cli("drill", "unplan", str(made["id"]))
    assert again.code == 2
    assert "unknown plan" in again.err


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--type", "contact", "--cron", "every day"], "--cron"),
        (["--type", "contact", "--cron", "0 10 * * *", "--tz", "Tokyo"], "--tz"),
        (["--type", "tabletop", "--cron", "0 10 * * *"], "--scenario"),
        (["--type", "tabletop", "--cron", "0 10 * * *", "--scenario", "quake"], "quake"),
        (["--type", "contact", "--cron", "0 10 * * *", "--scenario", "lost-forms-tier3"], "only"),
        (["--type", "fire", "--cron", "0 10 * * *"], "--type"),
        (["--type", "contact", "--cron", "0 10 * * *", "--org", "nerima"], "client"),
        (
            ["--type", "contact", "--cron", "0 10 * * *", "--by", "suzuki"],
            "--by: only the operator",
        ),
    ],
)
def test_a_bad_plan_changes_nothing(
    loaded_env: Env, cli: Cli, snapshot: Callable[[], object], extra: list[str], words: str
) -> None:
    before = snapshot()
    result = cli("drill", "plan", "--contract", "C-2026-001", *extra)
    assert result.code == 2
    assert words in result.err
    assert result.err.count("\n") == 1
    assert snapshot() == before


def test_missed_runs_fire_once_when_the_scheduler_comes_back(
    loaded_env: Env, cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    with time_machine.travel(MONDAY_9, tick=False):
        plan(cli, "--type", "contact", "--cron", "0 10 * * *")
    # Nothing served for three days: 10:00 on Monday, Tuesday and Wednesday went by.
    back = datetime(2026, 11, 4, 1, 30, tzinfo=UTC)  # Wednesday 10:30 in Tokyo
    with time_machine.travel(back, tick=False), scheduler_at(loaded_env.url) as scheduler:
        scheduler._process_jobs()
        scheduler._process_jobs()  # a second wake-up at the same moment runs nothing more
        job = scheduler.get_jobs()[0]
    fired = drills(loaded_env.url)
    assert [(d.type, d.started_at) for d in fired] == [(DrillType.CONTACT, back)]
    assert fired[0].plan_id is not None
    assert job.next_run_time == datetime(2026, 11, 5, 1, 0, tzinfo=UTC)  # Thursday 10:00
    assert "【訓練】" in capsys.readouterr().err  # delivered through the chat channel at once


def test_a_run_missed_by_more_than_the_grace_time_is_skipped(loaded_env: Env, cli: Cli) -> None:
    with time_machine.travel(MONDAY_9, tick=False):
        plan(cli, "--type", "contact", "--cron", "0 10 * * 1")  # Mondays at 10:00
    wednesday = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)  # two days late
    with time_machine.travel(wednesday, tick=False), scheduler_at(loaded_env.url) as scheduler:
        scheduler._process_jobs()
        job = scheduler.get_jobs()[0]
    assert drills(loaded_env.url) == []
    assert job.next_run_time == datetime(2026, 11, 9, 1, 0, tzinfo=UTC)  # next Monday


def test_a_plan_removed_after_it_was_due_runs_nothing(loaded_env: Env, cli: Cli) -> None:
    from jikoflow.drills.jobs import fire_plan

    with time_machine.travel(MONDAY_9, tick=False):
        made = plan(cli, "--type", "contact", "--cron", "0 10 * * *")
    assert cli("drill", "unplan", str(made["id"])).code == 0
    assert fire_plan(int(str(made["id"]))) is None
    assert drills(loaded_env.url) == []


def test_one_scheduler_per_database(env: Env) -> None:
    url = env.url
    first, second = Holder(101, "host-a", "aaaa"), Holder(202, "host-b", "bbbb")
    acquire(url, first, MONDAY_9)
    with pytest.raises(LeaseHeld) as caught:
        acquire(url, second, MONDAY_9 + STALE_AFTER / 2)
    assert (
        str(caught.value) == "a scheduler is already running on this database (pid 101 on host-a)"
    )
    assert renew(url, first, MONDAY_9 + timedelta(seconds=60))
    with pytest.raises(LeaseHeld):
        acquire(url, second, MONDAY_9 + timedelta(seconds=59) + STALE_AFTER)
    # A holder that stopped renewing is replaced, and learns it on its next heartbeat.
    later = MONDAY_9 + timedelta(seconds=61) + STALE_AFTER
    acquire(url, second, later)
    assert not renew(url, first, later)
    release(url, first)  # not its lease any more: nothing happens
    with reading(url) as session:
        assert session.get_one(SchedulerLease, "scheduler").pid == 202
    release(url, second)
    acquire(url, first, later)
