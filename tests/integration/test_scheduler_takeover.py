"""One scheduler among many `serve` processes: a holder whose process is gone from this host is
no holder, a standby takes over within a minute of a holder's death, and no plan fires twice —
neither by a holder that lost the lease nor by the standby that took it over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlmodel import col, select

from jikoflow.drills.fence import hold_for_plans, occurrence
from jikoflow.drills.lease import (
    HEARTBEAT_EVERY,
    STALE_AFTER,
    STANDBY_EVERY,
    Holder,
    LeaseHeld,
    acquire,
    this_node,
)
from jikoflow.drills.tables import Drill, DrillPlan, SchedulerLease
from jikoflow.models.db import reading
from jikoflow.models.times import TOKYO
from jikoflow.models.types import utcnow
from tests.conftest import CONSOLE_SCRIPT, CliResult, Env, subprocess_environ
from tests.integration.conftest import drills_on_any_day

Cli = Callable[..., CliResult]
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 10:00 in Tokyo
LIMIT = 120  # seconds a `serve` may take to print a line before the test fails


def exited_pid() -> int:
    """The pid of a process of this host that has run and been reaped."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(child.stdout)


def test_standbys_take_over_well_within_a_minute() -> None:
    assert timedelta(seconds=60) >= STALE_AFTER + STANDBY_EVERY
    assert HEARTBEAT_EVERY * 2 < STALE_AFTER  # one late heartbeat does not lose the lease


def test_a_holder_whose_process_is_gone_from_this_host_is_no_holder(env: Env) -> None:
    gone = Holder(exited_pid(), "this-host", "gone", this_node())
    acquire(env.url, gone, T0)
    # Seconds later, long before the lease would be stale: the pid is dead here.
    acquire(env.url, Holder.here(), T0 + timedelta(seconds=1))
    with reading(env.url) as session:
        assert session.get_one(SchedulerLease, "scheduler").pid == os.getpid()


def test_a_killed_holder_not_reaped_yet_is_no_holder(env: Env) -> None:
    child = subprocess.Popen(["sleep", "60"])
    try:
        os.kill(child.pid, signal.SIGKILL)
        # Not reaped: a zombie still has its pid, but runs nothing.
        while Path(f"/proc/{child.pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
            threading.Event().wait(0.01)
        acquire(env.url, Holder(child.pid, "this-host", "zombie", this_node()), T0)
        acquire(env.url, Holder.here(), T0 + timedelta(seconds=1))
    finally:
        child.wait()


def test_a_live_holder_on_this_host_keeps_it(env: Env) -> None:
    alive = Holder(os.getpid(), "this-host", "alive", this_node())
    acquire(env.url, alive, T0)
    with pytest.raises(LeaseHeld):
        acquire(env.url, Holder(12345, "this-host", "other", this_node()), T0 + STALE_AFTER / 2)


def test_a_dead_pid_of_another_host_is_waited_out(env: Env) -> None:
    elsewhere = Holder(exited_pid(), "other-host", "far", "another-boot:4026531836")
    acquire(env.url, elsewhere, T0)
    with pytest.raises(LeaseHeld):
        acquire(env.url, Holder.here(), T0 + STALE_AFTER - timedelta(seconds=1))
    acquire(env.url, Holder.here(), T0 + STALE_AFTER)


@pytest.fixture
def due_plan(loaded_env: Env, cli: Cli) -> Iterator[int]:
    """A plan every Monday at 10:00 Tokyo (T0)."""
    made = cli(
        "drill",
        "plan",
        "--contract",
        "C-2026-001",
        "--type",
        "contact",
        "--cron",
        "0 10 * * 1",
        "--json",
    )
    assert made.code == 0, made.err
    yield int(made.json()["id"])
    hold_for_plans(None)


def plan_drills(url: str, plan_id: int) -> list[Drill]:
    with reading(url) as session:
        return list(session.exec(select(Drill).where(col(Drill.plan_id) == plan_id)))


def test_no_plan_fires_twice_across_a_takeover(loaded_env: Env, due_plan: int) -> None:
    from jikoflow.drills.jobs import fire_plan

    old, new = Holder(101, "host-a", "old"), Holder(202, "host-b", "new")
    acquire(loaded_env.url, old, T0)
    hold_for_plans(old)
    with time_machine.travel(T0 + timedelta(seconds=1), tick=False):
        assert fire_plan(due_plan) is not None
    # The old holder stalls; a standby takes the lease over and its scheduler, started before
    # the old one recorded the plan's next run, is handed the same run.
    later = T0 + STALE_AFTER + timedelta(seconds=1)
    acquire(loaded_env.url, new, later)
    hold_for_plans(new)
    with time_machine.travel(later, tick=False):
        assert fire_plan(due_plan) is None
    # The old holder wakes up and fires too: it holds no lease any more.
    hold_for_plans(old)
    with time_machine.travel(later + timedelta(hours=1), tick=False):
        assert fire_plan(due_plan) is None
    assert len(plan_drills(loaded_env.url, due_plan)) == 1
    # Next Monday's run is a run of its own.
    hold_for_plans(new)
    with time_machine.travel(T0 + timedelta(days=7, seconds=1), tick=False):
        assert fire_plan(due_plan) is not None
    assert len(plan_drills(loaded_env.url, due_plan)) == 2


def test_the_occurrence_is_the_latest_scheduled_time(loaded_env: Env, due_plan: int) -> None:
    with reading(loaded_env.url) as session:
        plan = session.get_one(DrillPlan, due_plan)
    assert occurrence(plan, T0 + timedelta(hours=5)) == T0
    assert occurrence(plan, T0 - timedelta(seconds=1)) is None  # a week back is past the grace


# --- real processes --------------------------------------------------------------------------


class Served:
    """A `serve --worker` process and the lines of its standard error, read in a thread."""

    def __init__(self, tick: str = "1") -> None:
        self.process = subprocess.Popen(
            [str(CONSOLE_SCRIPT), "serve", "--worker", "--no-web", "--tick", tick],
            env=subprocess_environ(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._seen = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._seen:
                self.lines.append(line.rstrip("\n"))
                self._seen.notify_all()
        with self._seen:
            self.lines.append("<exited>")
            self._seen.notify_all()

    def wait_for(self, words: str) -> str:
        """The first line containing `words` (fails after LIMIT seconds or at exit)."""
        with self._seen:
            found = self._seen.wait_for(
                lambda: any(words in line or line == "<exited>" for line in self.lines), LIMIT
            )
            line = next((ln for ln in self.lines if words in ln), None)
        if not found or line is None:
            pytest.fail(f"no line with {words!r}:\n" + "\n".join(self.lines[-30:]))
        return line

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def test_a_standby_takes_over_when_the_holder_is_killed(
    sqlite_env: Env, cli: Cli, parties_file: Path
) -> None:
    assert cli("parties", "load", parties_file).code == 0
    drills_on_any_day(cli, parties_file.parent)
    # A daily plan whose time came two minutes ago, as if nothing had been serving.
    fire = (utcnow() - timedelta(minutes=2)).astimezone(TOKYO)
    with time_machine.travel(utcnow() - timedelta(minutes=5), tick=False):
        made = cli(
            "drill",
            "plan",
            "--contract",
            "C-2026-001",
            "--type",
            "contact",
            "--cron",
            f"{fire.minute} {fire.hour} * * *",
            "--json",
        )
    assert made.code == 0, made.err
    first = Served()
    second: Served | None = None
    try:
        first.wait_for("took the scheduler lease")
        first.wait_for("started DRL-")
        second = Served()
        second.wait_for("worker standing by")
        first.process.kill()  # SIGKILL: no lease given back
        first.process.wait()
        second.wait_for("took the scheduler lease")
        with reading(sqlite_env.url) as session:
            assert session.get_one(SchedulerLease, "scheduler").pid == second.process.pid
        second.process.send_signal(signal.SIGTERM)
        assert second.process.wait(timeout=LIMIT) == 0
    finally:
        first.stop()
        if second is not None:
            second.stop()
    assert len(plan_drills(sqlite_env.url, int(made.json()["id"]))) == 1
