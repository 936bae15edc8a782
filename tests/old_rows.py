"""Rows of a database in use, written as plain SQL into whatever schema revision it has, so a
migration test never depends on today's models (which know columns the old schema lacks).

`write_old_rows(url)`: parties (a ward, its contractor, a subcontractor, their managers), a
contract with its delegation, and an incident at the subcontractor with its five steps (one
done, one reminded and escalated once, one reminded) and two reports (one delivered, one
acknowledged), and the incident's first audit event. Rows of tables with generated ids get
them in the order written (1, 2, …, on a fresh database). Columns the schema does not have are left
out; ones it has and the rows do not name take their defaults.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from jikoflow.models.db import get_engine

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
INCIDENT = "INC-20261102-OLDROW"


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _rows() -> dict[str, list[dict[str, Any]]]:
    step = {"incident_id": INCIDENT, "started_at": T0, "done_at": None}
    return {
        "organization": [
            {"id": "nerima", "name": "練馬区", "kind": "client", "slack_channel": "C0NERIMA"},
            {"id": "acme", "name": "アクメ", "kind": "contractor", "slack_channel": "C0ACME"},
            {"id": "delta", "name": "デルタ", "kind": "subcontractor", "slack_channel": None},
        ],
        "person": [
            {
                "id": "tanaka",
                "org_id": "nerima",
                "name": "田中 一郎",
                "role": "manager",
                "slack_user": "U0TANAKA",
                "email": "tanaka@example.jp",
            },
            {
                "id": "suzuki",
                "org_id": "acme",
                "name": "鈴木 花子",
                "role": "manager",
                "slack_user": "U0SUZUKI",
                "email": None,
            },
            {
                "id": "watanabe",
                "org_id": "delta",
                "name": "渡辺 直子",
                "role": "manager",
                "slack_user": None,
                "email": None,
            },
        ],
        "contract": [
            {"id": "C-1", "title": "業務", "client_id": "nerima", "contractor_id": "acme"},
        ],
        "delegation": [
            {
                "contract_id": "C-1",
                "parent_id": "acme",
                "child_id": "delta",
                "approved_at": date(2026, 4, 1),
                "upstream_notified_at": None,
            },
        ],
        "incident": [
            {
                "id": INCIDENT,
                "contract_id": "C-1",
                "org_id": "delta",
                "kind": "leak",
                "suspected": True,
                "improper_purpose": False,
                "summary": "封筒の所在不明",
                "state": "open",
                "discovered_at": T0,
                "declared_at": T0,
                "declared_by": "@operator",
                "is_drill": False,
            },
        ],
        "step": [
            step
            | {
                "name": "containment",
                "status": "done",
                "warn_at": _at(30),
                "due_at": _at(60),
                "done_at": _at(10),
            },
            step
            | {
                "name": "report",
                "status": "in_progress",
                "warn_at": _at(30),
                "due_at": _at(60),
                "reminded_at": _at(31),
                "escalated_at": _at(61),
            },
            step
            | {
                "name": "root_cause",
                "status": "pending",
                "warn_at": _at(11 * 24 * 60),
                "due_at": _at(14 * 24 * 60),
                "reminded_at": _at(11 * 24 * 60 + 1),
            },
            step
            | {
                "name": "prevention",
                "status": "pending",
                "warn_at": _at(17 * 24 * 60),
                "due_at": _at(20 * 24 * 60),
            },
            step
            | {
                "name": "record",
                "status": "pending",
                "warn_at": _at(17 * 24 * 60),
                "due_at": _at(20 * 24 * 60),
            },
        ],
        "report": [
            {
                "incident_id": INCIDENT,
                "recipient_id": "nerima",
                "status": "delivered",
                "sent_at": _at(0),
                "delivered_at": _at(0),
            },
            {
                "incident_id": INCIDENT,
                "recipient_id": "acme",
                "status": "acknowledged",
                "sent_at": _at(0),
                "delivered_at": _at(0),
                "acknowledged_at": _at(5),
                "acknowledged_by": "suzuki",
            },
        ],
        "auditevent": [
            {
                "chain": INCIDENT,
                "seq": 1,
                "at": T0,
                "actor": "@operator",
                "action": "declared",
                "detail": {"org": "delta"},
                "prev_hash": "0" * 64,
                "hash": "1" * 64,
            },
        ],
    }


def write_old_rows(url: str) -> None:
    """Write the rows into the database at `url` as its schema is now."""
    engine = get_engine(url)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    with engine.begin() as conn:
        for name, rows in _rows().items():
            table = metadata.tables[name]
            # One statement for all rows: each names every column any of them names.
            named = {k for r in rows for k in r if k in table.c}
            conn.execute(table.insert(), [{k: r.get(k) for k in named} for r in rows])
