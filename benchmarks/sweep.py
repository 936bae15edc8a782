"""Benchmark: one `sweep` pass over N open incidents (default 10,000; SQLite file, and with
`--postgres` also a throw-away PostgreSQL server started as the tests start theirs).

The incidents are idle, as most open incidents are between two clocks: declared at T0, every
report delivered through the real delivery path (the terminal transport), the facts recorded
(500 people: 甲 must report to the PPC), an instruction of 甲 due in two weeks, and one sweep
run so every acknowledgement and APPI clock is armed. Those declared are copied, with their
rows, up to N. Prints the time of a pass when nothing is due (the every-minute case; target
≤ 1 s at 100,000): the clocks alone, the clocks and 甲's decisions (`queue_due`), and the whole
sweep path (`jikoflow.sweep.sweep`: those, then a delivery pass over the outbox), with the
number of rows of steps, reports, instructions and incidents the pass read; `--explain` prints
the database's plan of every query an idle pass sends. Then, unless `--quiet-only`, when every
incident's containment and report steps reach their warn time at once (worst case), and a
repeat pass.
Usage: python benchmarks/sweep.py [N] [--declare M] [--quiet-only] [--postgres] [--explain]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jikoflow.database import upgrade  # noqa: E402
from jikoflow.models.access import OPERATOR, person  # noqa: E402
from jikoflow.models.db import get_engine, transaction  # noqa: E402
from jikoflow.models.enums import IncidentKind  # noqa: E402
from jikoflow.models.facts.schemas import Facts, InstructInput  # noqa: E402
from jikoflow.models.facts.service import instruct, record_facts  # noqa: E402
from jikoflow.models.incidents.schemas import DeclareInput  # noqa: E402
from jikoflow.models.incidents.service import declare  # noqa: E402
from jikoflow.models.incidents.sweep import sweep_clocks  # noqa: E402
from jikoflow.models.incidents.tables import Incident, Report, Step  # noqa: E402
from jikoflow.models.outbox.tables import Notification  # noqa: E402
from jikoflow.models.parties.file import read_parties  # noqa: E402
from jikoflow.models.parties.service import load_parties  # noqa: E402
from jikoflow.models.settings import Settings, load_settings  # noqa: E402
from jikoflow.notifications.delivery import deliver  # noqa: E402
from jikoflow.sweep import queue_due, sweep  # noqa: E402
from tests.pg_server import PostgresServer, find_postgres_bin  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "jikoflow" / "sample" / "parties.yaml"
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
ORGS = ["acme", "beta", "gamma", "delta"]


def seed(url: str, settings: Settings, count: int) -> None:
    """Declare `count` incidents spread over the chain, in batches; record their facts and an
    instruction of 甲, deliver every message, and arm every clock (one sweep)."""
    with transaction(url) as session:
        load_parties(session, read_parties(SAMPLE))
    ids: list[str] = []
    for start in range(0, count, 1000):
        with transaction(url) as session:
            for n in range(start, min(count, start + 1000)):
                ids.append(
                    declare(
                        session,
                        actor=OPERATOR,
                        data=DeclareInput(
                            contract="C-2026-001",
                            org=ORGS[n % 4],
                            kind=IncidentKind.LEAK,
                            summary="benchmark",
                        ),
                        now=T0,
                    ).incident.id
                )
        print(f"  declared {min(count, start + 1000):,}/{count:,}", file=sys.stderr)
    for start in range(0, count, 1000):
        with transaction(url) as session:
            for incident_id in ids[start : start + 1000]:
                record_facts(
                    session,
                    actor=OPERATOR,
                    incident_id=incident_id,
                    data=Facts(people=500),
                    now=T0 + timedelta(minutes=2),
                )
                instruct(
                    session,
                    actor=person("tanaka"),
                    incident_id=incident_id,
                    data=InstructInput(text="経過を報告すること", due=T0.date() + timedelta(14)),
                    now=T0 + timedelta(minutes=2),
                )
    with get_engine(url).begin() as conn:  # queued at T0 (the outbox stamps the real time)
        conn.execute(sa.update(Notification).values(next_attempt_at=T0))
    with open(os.devnull, "w") as quiet, contextlib.redirect_stderr(quiet):
        # The terminal transport prints every message (to stderr).
        stats = deliver(settings, now=T0 + timedelta(minutes=3))
    print(f"  delivered {stats.sent:,} messages", file=sys.stderr)
    queue_due(url, now=T0 + timedelta(minutes=4))  # arms the acknowledgement and APPI clocks


# Rows of an incident that a copy takes along (the outbox stays with the declared ones).
CHILDREN = ("step", "report", "factsrevision", "instruction")


def copy_incidents(url: str, count: int) -> int:
    """Copy the declared incidents, with their steps, reports, facts and instructions, until
    there are `count` (declaring through the service runs ~10-50 a second on a small machine)."""
    with get_engine(url).begin() as conn:
        declared = int(conn.execute(sa.text("SELECT count(*) FROM incident")).scalar_one())
        tables = SQLModel.metadata.tables
        copies = 0
        while declared * (copies + 1) < count:
            copies += 1
            suffix = f"-{copies:03d}"
            # The declared incidents are those whose id has no copy suffix (the 1st batch).
            where = "WHERE length(incident_id) = (SELECT min(length(id)) FROM incident)"
            columns = [c.name for c in tables["incident"].columns]
            values = [
                "id || :s" if c == "id" else
                "linked_incident_id || :s" if c == "linked_incident_id" else c
                for c in columns
            ]  # fmt: skip
            conn.execute(
                sa.text(
                    f"INSERT INTO incident ({', '.join(columns)}) SELECT {', '.join(values)} "
                    "FROM incident WHERE length(id) = (SELECT min(length(id)) FROM incident)"
                ),
                {"s": suffix},
            )
            for name in CHILDREN:
                columns = [c.name for c in tables[name].columns if c.name != "id"]
                values = ["incident_id || :s" if c == "incident_id" else c for c in columns]
                conn.execute(
                    sa.text(
                        f"INSERT INTO {name} ({', '.join(columns)}) "
                        f"SELECT {', '.join(values)} FROM {name} {where}"
                    ),
                    {"s": suffix},
                )
        return int(conn.execute(sa.text("SELECT count(*) FROM incident")).scalar_one())


def settings_for(url: str, home: Path) -> Settings:
    """The application's settings for the database at `url` (messages to the terminal)."""
    return load_settings({"JIKOFLOW_DATABASE_URL": url, "JIKOFLOW_HOME": str(home)})


@contextlib.contextmanager
def watching(url: str) -> Iterator[tuple[Counter[str], list[tuple[str, Any]]]]:
    """Count the rows of steps, reports, instructions and incidents loaded, and keep every
    SELECT sent, while the block runs."""
    from jikoflow.models.facts.tables import Instruction

    loaded: Counter[str] = Counter()
    sent: list[tuple[str, Any]] = []
    tables = {Step: "steps", Report: "reports", Instruction: "instructions", Incident: "incidents"}

    def counter(name: str) -> Any:
        return lambda target, context: loaded.update([name])

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    listeners = [(table, "load", counter(name)) for table, name in tables.items()]
    engine = get_engine(url)
    for target, event, listener in listeners:
        sa.event.listen(target, event, listener)
    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        yield loaded, sent
    finally:
        for target, event, listener in listeners:
            sa.event.remove(target, event, listener)
        sa.event.remove(engine, "before_cursor_execute", keep)


def read(loaded: Counter[str]) -> str:
    """The rows a pass loaded, in words."""
    return ", ".join(f"{n:,} {name}" for name, n in sorted(loaded.items())) or "no rows"


def explain(url: str, statements: list[tuple[str, Any]]) -> None:
    """Print the database's plan of each statement (SQLite: EXPLAIN QUERY PLAN)."""
    engine = get_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    seen: set[str] = set()
    with engine.connect() as conn:
        for statement, parameters in statements:
            if statement in seen:
                continue
            seen.add(statement)
            prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            rows = conn.exec_driver_sql(prefix + statement, parameters).all()
            print("  " + " ".join(statement.split())[:300])
            for row in rows:
                print("    " + (str(row[-1]) if sqlite else str(row[0])))


def timed_sweep(url: str, now: datetime) -> tuple[float, int]:
    """Seconds for one pass of the clocks (committed), and the messages it queued."""
    started = time.perf_counter()
    with transaction(url) as session:
        result = sweep_clocks(session, now)
    return time.perf_counter() - started, result.messages


def timed_queue(url: str, now: datetime) -> tuple[float, dict[str, Any], Counter[str]]:
    """Seconds for the clocks and 甲's decisions (`queue_due`), what it did and read."""
    with watching(url) as (loaded, _):
        started = time.perf_counter()
        result = queue_due(url, now=now)
        took = time.perf_counter() - started
    return took, result, loaded


def timed_path(
    url: str, home: Path, now: datetime
) -> tuple[float, dict[str, object], Counter[str], list[tuple[str, Any]]]:
    """Seconds for the whole sweep path (clocks, then a delivery pass), what it did and read."""
    settings = settings_for(url, home)
    with watching(url) as (loaded, sent):
        started = time.perf_counter()
        result = sweep(settings, now=now)
        took = time.perf_counter() - started
    return took, result, loaded, sent


def load() -> str:
    """The machine's load averages (`uptime`)."""
    done = subprocess.run(["uptime"], capture_output=True, text=True, check=False)
    return done.stdout.strip().split("load average:")[-1].strip()


def run(url: str, home: Path, count: int, declare_count: int | None, args: Any) -> None:
    """Seed the database at `url`, then time the passes."""
    upgrade(url)
    started = time.perf_counter()
    declared = count if declare_count is None else min(count, declare_count)
    seed(url, settings_for(url, home), declared)
    if declared < count:
        count = copy_incidents(url, count)
    print(
        f"seeded {count:,} open incidents ({declared:,} declared, the rest copied with their "
        f"steps, reports, facts and instructions) in {time.perf_counter() - started:.1f} s"
    )
    if get_engine(url).dialect.name == "postgresql":
        with get_engine(url).connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    print(f"load average before the passes: {load()}")
    quiet, _ = timed_sweep(url, T0 + timedelta(minutes=10))
    print(f"sweep, nothing due (clocks):  {quiet:.3f} s")
    quiet, _ = timed_sweep(url, T0 + timedelta(minutes=11))
    print(f"sweep, nothing due (again):   {quiet:.3f} s")
    queued, result, loaded = timed_queue(url, T0 + timedelta(minutes=12))
    print(
        f"sweep, nothing due (clocks and 甲's decisions): {queued:.3f} s "
        f"(queued {result['reminders']} reminders, {result['escalations']} escalations, "
        f"{result['decisions']} decisions; read {read(loaded)})"
    )
    whole, result, loaded, statements = timed_path(url, home, T0 + timedelta(minutes=13))
    print(
        f"sweep, nothing due (the whole path: clocks, decisions and a delivery pass): "
        f"{whole:.3f} s (sent {result['sent']}, queued {result['reminders']} reminders, "
        f"{result['escalations']} escalations; read {read(loaded)})"
    )
    print(f"load average after the idle passes: {load()}")
    if args.explain:
        explain(url, statements)
    if args.quiet_only:
        return
    busy, queued_count = timed_sweep(url, T0 + timedelta(minutes=31))
    print(f"sweep, every incident warns:  {busy:.3f} s ({queued_count:,} messages queued)")
    again, queued_count = timed_sweep(url, T0 + timedelta(minutes=32))
    print(f"sweep, repeated:              {again:.3f} s ({queued_count:,} queued)")


def main() -> None:
    """Seed, then time the passes on SQLite (and PostgreSQL)."""
    parser = argparse.ArgumentParser(description="one sweep pass over N open incidents")
    parser.add_argument("count", type=int, nargs="?", default=10_000)
    parser.add_argument("--quiet-only", action="store_true", help="only the nothing-due passes")
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    parser.add_argument("--no-sqlite", action="store_true", help="not on SQLite")
    parser.add_argument("--explain", action="store_true", help="plans of an idle pass's queries")
    parser.add_argument(
        "--declare",
        type=int,
        default=None,
        help="declare this many through the service and copy them up to N (default: declare N)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_sqlite:
            print("== SQLite")
            run(f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp), args.count, args.declare, args)
        if args.postgres:
            bindir = find_postgres_bin()
            if bindir is None:
                sys.exit("PostgreSQL binaries (initdb, pg_ctl) not found")
            print("== PostgreSQL")
            pg = PostgresServer(bindir)
            try:
                pg.start()
                pg.create_database("bench")
                run(pg.url("bench"), Path(tmp), args.count, args.declare, args)
            finally:
                get_engine.cache_clear()
                pg.stop()


if __name__ == "__main__":
    main()
