"""Benchmark: a contact-tree check over a 500-organisation chain, its report, and `serve` at rest.

1. Sends: the drill a plan would start (as `drills.jobs` does: open the drill, deliver its outbox)
   through the real WebClient to the fake Slack with Slack's per-channel limit switched on
   (1 post/s per channel). Twice: every organisation in its own channel, and the same chain
   sharing 25 channels. Counted: wall time, messages sent, HTTP 429 answers (target 0).
2. Report: the after-action report of that drill (400 confirmations, 100 silent), gathered and
   rendered as Markdown, HTML and PDF in-process, and `jikoflow drill report` (Markdown and PDF)
   as a fresh process. Target < 2 s.
3. `jikoflow serve` (no Prefect API): resident memory once it has run a few ticks.

Usage: python benchmarks/drill.py [--orgs N]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from jikoflow.database import upgrade  # noqa: E402
from jikoflow.drills.report import ReportFormat  # noqa: E402
from jikoflow.drills.rules import DrillType  # noqa: E402
from jikoflow.drills.schemas import AckInput, RunInput  # noqa: E402
from jikoflow.drills.service import (  # noqa: E402
    acknowledge,
    drill_report,
    end_drill,
    run_drill,
    show_drill,
)
from jikoflow.models.access import OPERATOR  # noqa: E402
from jikoflow.models.db import transaction  # noqa: E402
from jikoflow.models.enums import Lang  # noqa: E402
from jikoflow.models.parties.file import PartiesFile  # noqa: E402
from jikoflow.models.parties.service import load_parties  # noqa: E402
from jikoflow.models.settings import load_settings  # noqa: E402
from jikoflow.models.types import utcnow  # noqa: E402
from jikoflow.notifications.delivery import deliver  # noqa: E402
from tests.slack_fixtures import SLACK_TOKEN  # noqa: E402
from tests.slack_server import SlackServer  # noqa: E402

JIKOFLOW = Path(sys.executable).with_name("jikoflow")
REPORT_TARGET = 2.0


def parties(orgs: int, channels: int | None) -> PartiesFile:
    """甲, 乙, 20 first-tier subcontractors and the rest below them; every 50th has no channel
    and no manager. With `channels`, organisations share that many channels."""
    rows: list[dict[str, Any]] = [
        {"id": "ward", "name": "区", "kind": "client", "slack_channel": "CWARD"},
        {"id": "prime", "name": "元請", "kind": "contractor", "slack_channel": "CPRIME"},
    ]
    delegations = []
    for i in range(orgs - 2):
        org = f"s{i:04d}"
        parent = "prime" if i < 20 else f"s{i % 20:04d}"
        bare = i % 50 == 49
        channel = None if bare else (f"C{i % channels:04d}" if channels else f"C{org.upper()}")
        people = (
            []
            if bare
            else [
                {
                    "id": f"m{i:04d}",
                    "name": f"管理者{i}",
                    "role": "manager",
                    "slack_user": f"U{i:06d}",
                }
            ]
        )
        rows.append(
            {
                "id": org,
                "name": f"再委託先{i}",
                "kind": "subcontractor",
                "slack_channel": channel,
                "people": people,
            }
        )
        delegations.append({"from": parent, "to": org, "approved_at": "2026-04-01"})
    contract = {
        "id": "C-BENCH",
        "title": "性能試験",
        "client": "ward",
        "contractor": "prime",
        "delegations": delegations,
    }
    return PartiesFile.model_validate({"organizations": rows, "contracts": [contract]})


def prepared(workdir: Path, name: str, orgs: int, channels: int | None) -> str:
    """A fresh SQLite database with the benchmark chain loaded."""
    url = f"sqlite:///{workdir / name}.db"
    upgrade(url)
    with transaction(url) as session:
        load_parties(session, parties(orgs, channels))
    return url


def send(workdir: Path, orgs: int, channels: int | None) -> tuple[str, str]:
    """One contact check delivered to the rate-limited fake Slack; returns (db url, drill id)."""
    name = f"shared{channels}" if channels else "own"
    url = prepared(workdir, name, orgs, channels)
    with SlackServer(rate_limit=1.0, burst=1, token=SLACK_TOKEN) as slack:
        os.environ.update(
            {
                "JIKOFLOW_DATABASE_URL": url,
                "SLACK_BOT_TOKEN": SLACK_TOKEN,
                "SLACK_API_URL": slack.url,
            }
        )
        started = time.perf_counter()
        with transaction(url) as session:
            data = RunInput(contract="C-BENCH", type=DrillType.CONTACT)
            drill = run_drill(session, actor=OPERATOR, data=data, now=utcnow())
        opened = time.perf_counter() - started
        stats = deliver(load_settings(), subjects=[drill.id])
        rounds = 1
        while stats.retrying:  # what the sweep would pick up next minute
            stats = deliver(load_settings(), subjects=[drill.id])
            rounds += 1
        elapsed = time.perf_counter() - started
        statuses = slack.statuses("chat.postMessage")
    where = f"{channels} shared channels" if channels else "own channels"
    print(
        f"contact check, {orgs} organisations, {where}: {elapsed:.1f} s "
        f"(drill opened in {opened:.2f} s), {statuses.count(200)} posts, "
        f"{statuses.count(429)} × 429, {stats.unreachable} unreachable, {rounds} pass(es)"
    )
    return url, drill.id


def confirm_most(url: str, drill_id: str) -> None:
    """400 organisations confirm at random times within the hour; the rest stay silent."""
    rng = random.Random(7)
    with transaction(url) as session:
        drill = show_drill(session, actor=OPERATOR, drill_id=drill_id)
        for org in (f"s{i:04d}" for i in range(400)):
            acknowledge(
                session,
                actor=OPERATOR,
                drill_id=drill_id,
                data=AckInput(org=org),
                now=drill.started_at + timedelta(minutes=rng.uniform(1, 59)),
            )
        end_drill(session, actor=OPERATOR, drill_id=drill_id, now=drill.ends_at)


def report(url: str, drill_id: str, workdir: Path) -> None:
    """Gather and render the after-action report in-process, then as a fresh CLI process."""
    from jikoflow.models.db import reading

    for fmt in ReportFormat:
        started = time.perf_counter()
        with reading(url) as session:
            body = drill_report(
                session, actor=OPERATOR, drill_id=drill_id, lang=Lang.JA, fmt=fmt.value
            )
        elapsed = time.perf_counter() - started
        verdict = "ok" if elapsed < REPORT_TARGET else "SLOW"
        print(
            f"report {fmt}: {elapsed:.2f} s ({len(body) // 1024} KiB) — target "
            f"< {REPORT_TARGET:.0f} s {verdict}"
        )
    env = dict(os.environ, JIKOFLOW_DATABASE_URL=url)
    pdf = workdir / "report.pdf"
    for fmt, extra in (("md", []), ("pdf", ["--out", str(pdf)])):
        started = time.perf_counter()
        done = subprocess.run(
            [str(JIKOFLOW), "drill", "report", drill_id, "--format", fmt, *extra],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        elapsed = time.perf_counter() - started
        size = (
            f"{pdf.stat().st_size // 1024} KiB" if extra else f"{done.stdout.count(chr(10))} lines"
        )
        print(f"`jikoflow drill report --format {fmt}` (fresh process): {elapsed:.2f} s, {size}")


def serve_memory(url: str, workdir: Path) -> None:
    """RSS of `jikoflow serve` once it has run a few sweeps and drill ticks."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SLACK_"))}
    env.update(JIKOFLOW_DATABASE_URL=url, JIKOFLOW_HOME=str(workdir / "home"))
    child = subprocess.Popen(
        [str(JIKOFLOW), "serve", "--tick", "1"], env=env, stderr=subprocess.PIPE, text=True
    )
    assert child.stderr is not None
    child.stderr.readline()  # the start line
    time.sleep(5)  # a few ticks (sweep, drill tick) have run
    rss = psutil.Process(child.pid).memory_info().rss
    child.send_signal(signal.SIGTERM)
    code = child.wait(timeout=60)
    print(
        f"`jikoflow serve` idle RSS after 5 s of 1-s ticks: {rss / 2**20:.0f} MiB "
        f"(exit {code} on SIGTERM)"
    )


def main() -> None:
    """Run the three measurements in a temporary directory."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--orgs", type=int, default=500)
    args, _ = parser.parse_known_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        os.environ["JIKOFLOW_HOME"] = str(workdir / "home")
        url, drill_id = send(workdir, args.orgs, None)
        send(workdir, args.orgs, 25)
        confirm_most(url, drill_id)
        report(url, drill_id, workdir)
        serve_memory(url, workdir)


if __name__ == "__main__":
    main()
