"""Rendering the written record of an incident with 5,000 audit events, and the PDF of one
whose every typed text is a single run a line cannot break in (a pasted key or log line).

Targets: Markdown and HTML under 1 s each, PDF under 10 s in both cases. Run with
`.venv/bin/python benchmarks/record.py [--events N] [--unbroken CHARS]`; exits 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlmodel import Session, SQLModel

from jikoflow.models.access import person
from jikoflow.models.audit.service import record_event
from jikoflow.models.audit.tables import AuditEvent
from jikoflow.models.db import get_engine
from jikoflow.models.enums import IncidentKind, Lang
from jikoflow.models.incidents.schemas import DeclareInput
from jikoflow.models.incidents.service import declare
from jikoflow.models.parties.file import read_parties
from jikoflow.models.parties.service import load_parties
from jikoflow.models.response.tables import CauseRevision, ContainmentAction, PreventionMeasure
from jikoflow.records.data import record_data
from jikoflow.records.render import RecordFormat, render_record

SAMPLE = Path(__file__).resolve().parent.parent / "jikoflow" / "sample" / "parties.yaml"
START = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
TARGETS = {"md": 1.0, "html": 1.0, "pdf": 10.0}


def build(url: str, events: int, unbroken: int = 0) -> str:
    """A database with one incident at gamma carrying `events` audit events; its id. With
    `unbroken`, its summary and every response is one run of that many characters."""
    engine = get_engine(url)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        load_parties(session, read_parties(SAMPLE))
        incident = declare(
            session,
            actor=person("ito"),
            data=DeclareInput(
                contract="C-2026-001",
                org="gamma",
                kind=IncidentKind.LEAK,
                summary=_run(unbroken)
                or "委託先のファイルサーバで住民情報ファイルへの不審なアクセスを検知",
            ),
            now=START,
        ).incident
        _add_response(session, incident.id, unbroken)
        last = record_event(session, incident.id, "contained", actor="ito", at=START)
        session.add_all(_events(incident.id, last.seq, events - last.seq))
        session.commit()
        return incident.id


def _run(length: int) -> str:
    """A base64-like run of `length` characters with no break opportunity."""
    return ("Qk1hZ2U+/0" * (length // 10 + 1))[:length]


def _add_response(session: Session, incident_id: str, unbroken: int) -> None:
    for n in range(1, 4):
        at = START + timedelta(minutes=10 * n)
        text = _run(unbroken)
        session.add(
            ContainmentAction(incident_id=incident_id, at=at, by="ito", text=text or f"措置 {n}")
        )
        session.add(
            CauseRevision(
                incident_id=incident_id, revision=n, at=at, by="ito", text=text or f"原因 {n}"
            )
        )
        session.add(
            PreventionMeasure(
                incident_id=incident_id,
                number=n,
                text=text or f"再発防止策 {n}",
                owner_id="ito",
                due_date=date(2026, 12, 10),
                created_at=at,
                created_by="ito",
            )
        )


def _events(incident_id: str, after: int, count: int) -> list[AuditEvent]:
    # Bulk rows rather than record_event: the benchmark measures rendering, not appending.
    actions = ["report_sent", "acknowledged", "reminder", "escalation", "step_done"]
    return [
        AuditEvent(
            chain=incident_id,
            seq=after + i,
            at=START + timedelta(minutes=i),
            actor="ito" if i % 3 else None,
            action=actions[i % len(actions)],
            detail={"to": "acme", "step": "report", "n": i},
            prev_hash="0" * 64,
            hash=f"{i:064x}",
        )
        for i in range(1, count + 1)
    ]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by `fn` and its result."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> int:
    """Build the incident, render it in every format and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--unbroken", type=int, default=5000, metavar="CHARS")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        incident_id = build(url, args.events)
        with Session(get_engine(url)) as session:
            load, data = timed(partial(record_data, session, incident_id, now=START))
        print(f"record_data   {load:6.3f} s  ({len(data.timeline)} audit events)")
        missed = []
        for fmt in RecordFormat:
            seconds, body = timed(partial(render_record, data, lang=Lang.JA, fmt=fmt))
            limit = TARGETS[fmt.value]
            print(f"{fmt.value:<13} {seconds:6.3f} s  (target < {limit:g} s, {len(body):,} bytes)")
            if seconds >= limit:
                missed.append(fmt.value)
        url = f"sqlite:///{tmp}/unbroken.db"
        incident_id = build(url, 10, unbroken=args.unbroken)
        with Session(get_engine(url)) as session:
            data = record_data(session, incident_id, now=START)
        seconds, body = timed(partial(render_record, data, lang=Lang.JA, fmt=RecordFormat.PDF))
        limit = TARGETS["pdf"]
        print(
            f"pdf, unbroken {seconds:6.3f} s  (target < {limit:g} s, {len(body):,} bytes;"
            f" summary and 3 × 3 responses of {args.unbroken:,} characters without a break)"
        )
        if seconds >= limit:
            missed.append("pdf with unbroken text")
    if missed:
        print(f"missed: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
