"""Benchmark: one `sweep` pass over 10,000 open incidents (SQLite file, console channel off).

Prints the time of a pass when nothing is due (the every-minute case), when every incident's
containment and report steps reach their warn time at once (worst case), and a repeat pass.
Usage: python benchmarks/sweep.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jikoflow.database import upgrade
from jikoflow.models.access import OPERATOR
from jikoflow.models.db import transaction
from jikoflow.models.enums import IncidentKind
from jikoflow.models.incidents.schemas import DeclareInput
from jikoflow.models.incidents.service import declare
from jikoflow.models.incidents.sweep import sweep_clocks
from jikoflow.models.parties.file import read_parties
from jikoflow.models.parties.service import load_parties

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


def timed_sweep(url: str, now: datetime) -> tuple[float, int]:
    """Seconds for one pass (committed), and the messages it queued."""
    started = time.perf_counter()
    with transaction(url) as session:
        result = sweep_clocks(session, now)
    return time.perf_counter() - started, result.messages


def main() -> None:
    """Seed, then time the passes."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        started = time.perf_counter()
        seed(url, count)
        print(f"seeded {count:,} incidents in {time.perf_counter() - started:.1f} s")
        quiet, _ = timed_sweep(url, T0 + timedelta(minutes=10))
        print(f"sweep, nothing due:          {quiet:.3f} s")
        busy, queued = timed_sweep(url, T0 + timedelta(minutes=31))
        print(f"sweep, every incident warns: {busy:.3f} s ({queued:,} messages queued)")
        again, queued = timed_sweep(url, T0 + timedelta(minutes=32))
        print(f"sweep, repeated:             {again:.3f} s ({queued:,} queued)")


if __name__ == "__main__":
    main()
