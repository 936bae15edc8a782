"""`jikoflow serve` as a real process: it fires a plan that is due, refuses a second scheduler on
the same database in one line, and stops cleanly on SIGTERM or SIGINT."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlmodel import select

from jikoflow.drills.tables import Drill, SchedulerLease
from jikoflow.models.db import reading
from jikoflow.models.outbox.tables import Notification
from jikoflow.models.times import TOKYO
from jikoflow.models.types import utcnow
from tests.conftest import CONSOLE_SCRIPT, Env, subprocess_environ
from tests.integration.conftest import drills_on_any_day
from tests.integration.drill_helpers import Cli, run_drill

LIMIT = 90  # seconds a line may take before the process is killed and the test fails


PLAN = ("drill", "plan", "--contract", "C-2026-001", "--type", "contact", "--json")


@dataclass
class Served:
    """The running `serve` and the drill it found already past its window."""

    process: subprocess.Popen[str]
    ended: str


@pytest.fixture
def served(sqlite_env: Env, cli: Cli, parties_file: Path) -> Iterator[Served]:
    """A plan whose run came due a minute ago (as if the service was down), a plan far ahead,
    a contact check whose window ended an hour ago and was never delivered, and `serve`."""
    assert cli("parties", "load", parties_file).code == 0
    drills_on_any_day(cli, parties_file.parent)
    # A daily plan whose run came due a minute ago: it fires once and not again for a day,
    # however long the test takes (an every-minute plan would fire again at the next minute).
    missed = (utcnow() - timedelta(minutes=1)).astimezone(TOKYO)
    with time_machine.travel(missed - timedelta(minutes=1), tick=False):
        due = cli(*PLAN, "--cron", f"{missed.minute} {missed.hour} * * *")
    far = cli(*PLAN, "--cron", "0 10 1 1 *")
    assert due.code == 0, due.err
    assert far.code == 0, far.err
    old = (utcnow() - timedelta(hours=2)).isoformat()
    ended = run_drill(cli, "contact", "--no-flow", "--now", old)
    process = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "serve", "--tick", "1", "--port", "0"],
        env=subprocess_environ(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(LIMIT, process.kill)
    watchdog.start()
    try:
        yield Served(process, ended["id"])
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
        process.wait()


def read_until(process: subprocess.Popen[str], words: str) -> list[str]:
    """Lines of the process's stderr up to the first that contains `words`."""
    assert process.stderr is not None
    seen: list[str] = []
    for line in process.stderr:
        seen.append(line.rstrip("\n"))
        if words in line:
            return seen
    pytest.fail(f"serve ended before printing {words!r}:\n" + "\n".join(seen[-20:]))


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_fires_the_due_plan_once_and_stops_on_a_signal(
    served: Served, sqlite_env: Env, stop: signal.Signals
) -> None:
    process = served.process
    started = read_until(process, "jikoflow serve: pid")
    assert f"pid {process.pid}" in started[-1]
    assert "2 drill plan(s)" in started[-1]
    fired = read_until(process, "started DRL-")
    assert "plan 1 started" in fired[-1]
    read_until(process, f"drill {served.ended} closed")  # the drill tick ran
    second = subprocess.run(
        [str(CONSOLE_SCRIPT), "serve"],
        env=subprocess_environ(),
        capture_output=True,
        text=True,
        timeout=LIMIT,
        check=False,
    )
    assert second.returncode == 2
    assert second.stderr.strip().splitlines() == [
        f"error: a scheduler is already running on this database "
        f"(pid {process.pid} on {socket.gethostname()})"
    ]
    process.send_signal(stop)
    rest = read_until(process, "jikoflow serve: stopped")
    assert process.wait(timeout=LIMIT) == 0
    assert not any("Traceback" in line for line in rest)
    with reading(sqlite_env.url) as session:
        drills = {d.id: d for d in session.exec(select(Drill))}
        assert session.get(SchedulerLease, "scheduler") is None  # the next serve starts at once
        unsent = session.exec(
            select(Notification).where(Notification.drill_id == served.ended)
        ).all()
    assert sorted((d.plan_id or 0, str(d.state)) for d in drills.values()) == [
        (0, "closed"),
        (1, "running"),
    ]
    assert {n.status for n in unsent} == {"sent"}  # the sweep delivered what was never sent
