"""`declare` killed (SIGKILL) at seeded random moments of its run: the database holds each
incident whole or not at all, the retry with the same key answers with its id, and delivery
afterwards posts every message exactly once (SQLite, the real CLI against the fake Slack)."""

from __future__ import annotations

import random
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from jikoflow.models.db import get_engine
from jikoflow.models.types import utcnow
from jikoflow.notifications.dispatch import ChannelPacer, deliver_due
from jikoflow.notifications.slack import SlackChannel
from tests.conftest import CONSOLE_SCRIPT, CliResult, Env, subprocess_environ
from tests.slack_fixtures import SLACK_TOKEN
from tests.slack_server import SlackServer

DECLARE = (
    "declare", "--contract", "C-2026-001", "--org", "delta", "--kind", "leak", "--suspected",
    "--summary", "住民票の写し1通の所在不明", "--no-flow",
)  # fmt: skip
SEED = 24
# Where in a whole declare's wall time each kill lands: most of a run is start-up, so the
# moments are drawn from its second half, where the incident is saved and reported.
_DRAW = random.Random(SEED)
MOMENTS = sorted(_DRAW.uniform(0.45, 1.0) for _ in range(6))
CHILD_ROWS = ("step", "report", "notification", "declarationkey")


def _count(conn: sa.Connection, sql: str) -> int:
    found = conn.execute(sa.text(sql)).scalar_one()
    assert isinstance(found, int)
    return found


def assert_each_incident_whole(url: str, steps: int, reports: int) -> int:
    """Every incident has all its steps, reports and a declared event; no row of a missing
    incident is left behind. Returns how many incidents there are."""
    with get_engine(url).connect() as conn:
        for table in CHILD_ROWS:
            orphans = _count(
                conn,
                f"SELECT count(*) FROM {table} WHERE incident_id NOT IN (SELECT id FROM incident)",
            )
            assert orphans == 0, table
        shape = conn.execute(
            sa.text(
                "SELECT i.id, (SELECT count(*) FROM step s WHERE s.incident_id = i.id), "
                "(SELECT count(*) FROM report r WHERE r.incident_id = i.id), "
                "(SELECT count(*) FROM auditevent a WHERE a.chain = i.id "
                " AND a.action = 'declared') FROM incident i"
            )
        ).all()
    for incident, step_count, report_count, declared in shape:
        assert (step_count, report_count, declared) == (steps, reports, 1), incident
    return len(shape)


def declare(key: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(CONSOLE_SCRIPT), *DECLARE, "--key", key],
        env=subprocess_environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_declare_killed_at_random_moments_loses_and_doubles_nothing(
    sqlite_env: Env,
    cli: Callable[..., CliResult],
    parties_file: Path,
    slack_env: SlackServer,
) -> None:
    assert cli("parties", "load", parties_file).code == 0
    started = time.perf_counter()
    whole = declare("whole")
    out, err = whole.communicate(timeout=120)
    duration = time.perf_counter() - started
    assert whole.returncode == 0, err
    with get_engine(sqlite_env.url).connect() as conn:
        steps = _count(conn, "SELECT count(*) FROM step")
        reports = _count(conn, "SELECT count(*) FROM report")
    assert reports == 4
    saved = {out.split()[0]}

    for number, moment in enumerate(MOMENTS):
        key = f"kill-{number}"
        child = declare(key)
        time.sleep(moment * duration)
        child.kill()
        child.communicate(timeout=30)
        before = assert_each_incident_whole(sqlite_env.url, steps, reports)
        retry = declare(key)
        out, err = retry.communicate(timeout=120)
        assert retry.returncode == 0, (moment, err)
        [incident] = out.split()[:1]
        saved.add(incident)
        # The retry answers with the incident the killed run saved, or saves it now.
        after = assert_each_incident_whole(sqlite_env.url, steps, reports)
        assert after in (before, before + 1)
        assert after == len(saved), (moment, before, after)

    # A later pass (the claims of the killed runs lapsed) delivers whatever they left.
    channel = SlackChannel(SLACK_TOKEN, slack_env.url)
    later = utcnow() + timedelta(minutes=10)
    deliver_due(sqlite_env.url, channel, now=later, pacer=ChannelPacer(0))
    with get_engine(sqlite_env.url).connect() as conn:
        rows = conn.execute(sa.text("SELECT key, status FROM notification")).all()
    assert {status for _, status in rows} == {"sent"}, rows
    posted = Counter(
        r.body["metadata"]["event_payload"]["key"]
        for r in slack_env.calls("chat.postMessage")
        if r.ok
    )
    assert posted == Counter({key: 1 for key, _ in rows}), f"seed {SEED}: {posted}"
    assert cli("audit", "verify").code == 0
