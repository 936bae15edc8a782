"""Benchmark: one `sweep` pass over N open incidents (default 10,000; SQLite file).

Prints the time of a pass when nothing is due (the every-minute case; target ≤ 1 s at 100,000):
the clocks alone, and the whole sweep path (`jikoflow.sweep.sweep`: the clocks, then a delivery
pass over the outbox, whose reports were delivered); then, unless `--quiet-only`, when every
incident's containment and report steps reach their warn time at once (worst case), and a
repeat pass.
Usage: python benchmarks/sweep.py [N] [--declare M] [--quiet-only]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import SQLModel

from jikoflow.database import upgrade
from jikoflow.models.access import OPERATOR
from jikoflow.models.db import get_engine, transaction
from jikoflow.models.enums import IncidentKind
from jikoflow.models.incidents.schemas import DeclareInput
from jikoflow.models.incidents.service import declare
from jikoflow.models.incidents.sweep import sweep_clocks
from jikoflow.models.parties.file import read_parties
from jikoflow.models.parties.service import load_parties
from jikoflow.models.settings import load_settings
from jikoflow.sweep import sweep

SAMPLE = Path(__file__).resolve().parents[1] / "jikoflow" / "sample" / "parties.yaml"
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
ORGS = ["acme", "beta", "gamma", "delta"]


def seed(url: str, count: int) -> None:
    """Declare `count` incidents spread over the chain, in batches."""
    with transaction(url) as session:
        load_parties(session, read_parties(SAMPLE))
    for start in range(0, count, 1000):
        with transaction(url) as session:
            for n in range(start, min(count, start + 1000)):
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
                )
        print(f"  seeded {min(count, start + 1000):,}/{count:,}", file=sys.stderr)


# Rows of an incident that a copy takes along (the outbox stays with the declared ones).
CHILDREN = ("step", "report", "factsrevision")


def copy_incidents(url: str, count: int) -> int:
    """Copy the declared incidents, with their steps, reports and facts, until there are
    `count` (declaring through the service runs ~10-50 a second on a small machine)."""
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


def timed_sweep(url: str, now: datetime) -> tuple[float, int]:
    """Seconds for one pass (committed), and the messages it queued."""
    started = time.perf_counter()
    with transaction(url) as session:
        result = sweep_clocks(session, now)
    return time.perf_counter() - started, result.messages


def delivered(url: str) -> None:
    """Mark every queued message sent, as if the reports went out at declaration."""
    with get_engine(url).begin() as conn:
        conn.execute(sa.text("UPDATE notification SET status = 'sent'"))


def timed_path(url: str, home: Path, now: datetime) -> tuple[float, dict[str, object]]:
    """Seconds for the whole sweep path (clocks, then a delivery pass), and what it did."""
    settings = load_settings({"JIKOFLOW_DATABASE_URL": url, "JIKOFLOW_HOME": str(home)})
    started = time.perf_counter()
    result = sweep(settings, now=now)
    return time.perf_counter() - started, result


def main() -> None:
    """Seed, then time the passes."""
    parser = argparse.ArgumentParser(description="one sweep pass over N open incidents")
    parser.add_argument("count", type=int, nargs="?", default=10_000)
    parser.add_argument("--quiet-only", action="store_true", help="only the nothing-due passes")
    parser.add_argument(
        "--declare",
        type=int,
        default=None,
        help="declare this many through the service and copy them up to N (default: declare N)",
    )
    args = parser.parse_args()
    count = args.count
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        started = time.perf_counter()
        declared = count if args.declare is None else min(count, args.declare)
        seed(url, declared)
        if declared < count:
            count = copy_incidents(url, count)
        print(
            f"seeded {count:,} open incidents ({declared:,} declared, the rest copied with "
            f"their steps, reports and facts) in {time.perf_counter() - started:.1f} s"
        )
        delivered(url)
        quiet, _ = timed_sweep(url, T0 + timedelta(minutes=10))
        print(f"sweep, nothing due (clocks):  {quiet:.3f} s")
        quiet, _ = timed_sweep(url, T0 + timedelta(minutes=11))
        print(f"sweep, nothing due (again):   {quiet:.3f} s")
        whole, result = timed_path(url, Path(tmp), T0 + timedelta(minutes=12))
        print(
            f"sweep, nothing due (the whole path: clocks and a delivery pass): {whole:.3f} s "
            f"(sent {result['sent']}, queued {result['reminders']} reminders, "
            f"{result['escalations']} escalations)"
        )
        if args.quiet_only:
            return
        busy, queued = timed_sweep(url, T0 + timedelta(minutes=31))
        print(f"sweep, every incident warns:  {busy:.3f} s ({queued:,} messages queued)")
        again, queued = timed_sweep(url, T0 + timedelta(minutes=32))
        print(f"sweep, repeated:              {again:.3f} s ({queued:,} queued)")


if __name__ == "__main__":
    main()
