"""The outbox as dispatchers and operators see it: what is due, claim it, settle what happened.

A claim is one `UPDATE … RETURNING`, the first statement of its transaction. On PostgreSQL
it updates only rows it could lock at once (`FOR UPDATE SKIP LOCKED`): dispatchers on several
machines claim different rows and never wait for each other. On SQLite the writing transaction
holds the database's write lock before it reads, so the conditional update is enough. A claim
that is never settled (the process died) is taken again after `STALE_CLAIM`, marked
`maybe_posted`, and the next attempt first looks for the message by its key.

Which due rows to claim, and in which order, is the dispatcher's choice: it knows the
transport's addresses and threads. Rows of one transport succeed, retry and fail on their own;
a report counts as delivered (and sent) once any transport delivered it, and as failed only
when every transport failed. While a transport's service is down its rows are held (`outage`)
rather than backing off each on its own: the first message that goes through again releases
them all at once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, and_, col, func, or_, select

from jikoflow.models.audit.service import record_event, record_events
from jikoflow.models.db import get_engine, reading, transaction
from jikoflow.models.enums import ReportStatus, StepName, StepStatus
from jikoflow.models.errors import BadInput
from jikoflow.models.incidents.tables import Incident, Report, Step
from jikoflow.models.outbox.facts import (
    NoticeEvent,
    NoticeFacts,
    OutboxStatus,
    ReportState,
    StepFact,
    steps_as_shown,
)
from jikoflow.models.outbox.tables import Notification, Transport
from jikoflow.models.parties.tables import Person

STALE_CLAIM = timedelta(minutes=5)
SCAN_LIMIT = 5000
_OPEN = (OutboxStatus.PENDING, OutboxStatus.SENDING)
_STUCK = (OutboxStatus.FAILED, OutboxStatus.UNREACHABLE)


@dataclass(frozen=True)
class Candidate:
    """An open outbox row: whom it is for, and whether it may be claimed now."""

    id: int
    subject_id: str
    org_id: str | None
    person_id: str | None
    due: bool
    in_flight: bool = False  # claimed by a dispatcher that is still at it
    outage: bool = False  # held until its transport's service is back


@dataclass(frozen=True)
class Claim:
    """One outbox row held by this dispatcher for one attempt."""

    id: int
    key: str
    subject_id: str
    org_id: str | None
    person_id: str | None
    report_id: int | None
    facts: NoticeFacts
    maybe_posted: bool
    attempts: int = 1


@dataclass(frozen=True)
class Settlement:
    """What one attempt came to, to be written back."""

    id: int
    status: OutboxStatus
    error: str | None = None
    retry_at: datetime | None = None
    maybe_posted: bool = False
    released: bool = False  # not attempted after all (its address was paused)
    outage: bool = False  # the service was unreachable: held until it is back


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return or_(
        and_(
            col(Notification.status) == OutboxStatus.PENDING,
            col(Notification.next_attempt_at) <= now,
        ),
        and_(
            col(Notification.status) == OutboxStatus.SENDING,
            col(Notification.claimed_at) <= now - STALE_CLAIM,
        ),
    )


def _in_flight(now: datetime) -> sa.ColumnElement[bool]:
    return and_(
        col(Notification.status) == OutboxStatus.SENDING,
        col(Notification.claimed_at) > now - STALE_CLAIM,
    )


def _held() -> sa.ColumnElement[bool]:
    return and_(col(Notification.status) == OutboxStatus.PENDING, col(Notification.outage))


def _about(subjects: Collection[str]) -> sa.ColumnElement[bool]:
    wanted = sorted(subjects)
    return or_(col(Notification.incident_id).in_(wanted), col(Notification.drill_id).in_(wanted))


def due_rows(session: Session, now: datetime) -> list[Notification]:
    """Every outbox row a delivery pass at `now` would try, oldest first."""
    return list(session.exec(select(Notification).where(_due(now)).order_by(col(Notification.id))))


def candidates(
    url: str, now: datetime, *, transport: Transport, subjects: Collection[str] | None = None
) -> list[Candidate]:
    """The open rows of one transport (of some subjects, or all), oldest first."""
    query = sa.select(
        col(Notification.id),
        func.coalesce(Notification.incident_id, Notification.drill_id),
        col(Notification.org_id),
        col(Notification.person_id),
        sa.case((_due(now), True), else_=False),
        sa.case((_in_flight(now), True), else_=False),
        sa.case((_held(), True), else_=False),
    ).where(col(Notification.status).in_(_OPEN), col(Notification.transport) == transport)
    if subjects is not None:
        query = query.where(_about(subjects))
    query = query.order_by(col(Notification.id)).limit(SCAN_LIMIT)
    with reading(url) as session:
        rows = session.connection().execute(query).all()
    return [Candidate(i, s, o, p, bool(d), bool(f), bool(h)) for i, s, o, p, d, f, h in rows]


Who = tuple[str | None, str | None]  # (organisation, person) an outbox row is addressed to


def queued_ahead(
    url: str, now: datetime, *, transport: Transport, subjects: Collection[str]
) -> set[Who]:
    """Addressees with messages of other subjects, older than these subjects' own, that are due
    or in flight: a queue the dispatchers work through in order."""
    wanted = sorted(subjects)
    ours = sa.select(func.min(Notification.id)).where(
        col(Notification.transport) == transport,
        col(Notification.status).in_(_OPEN),
        _about(wanted),
    )
    query = (
        sa.select(col(Notification.org_id), col(Notification.person_id))
        .where(
            col(Notification.transport) == transport,
            col(Notification.status).in_(_OPEN),
            or_(_due(now), _in_flight(now)),
            col(Notification.id) < ours.scalar_subquery(),
            # (not `~_about`: NOT over a NULL drill key is NULL, which would drop every row)
            func.coalesce(Notification.incident_id, Notification.drill_id).not_in(wanted),
        )
        .distinct()
    )
    with reading(url) as session:
        return {(o, p) for o, p in session.connection().execute(query)}


def end_outage(url: str, *, transport: Transport, now: datetime) -> int:
    """The transport's service is back: every row held by its outage is due now."""
    table = SQLModel.metadata.tables["notification"]
    with transaction(url) as session:
        result = session.connection().execute(
            sa.update(table)
            .where(
                table.c.transport == transport,
                table.c.status == OutboxStatus.PENDING,
                table.c.outage,
            )
            .values(outage=False, next_attempt_at=now)
        )
    return int(result.rowcount or 0)


_CLAIMED = (
    "id",
    "key",
    "incident_id",
    "drill_id",
    "org_id",
    "person_id",
    "report_id",
    "facts",
    "maybe_posted",
    "attempts",
)


def claim(url: str, ids: Sequence[int], now: datetime, *, probe: bool = False) -> list[Claim]:
    """Claim those of `ids` that are still due at `now`, in id order (with `probe`, also rows
    held by an outage: one of them tries whether the service is back)."""
    if not ids:
        return []
    table = SQLModel.metadata.tables["notification"]
    claimable = or_(_due(now), _held()) if probe else _due(now)
    where: sa.ColumnElement[bool]
    if get_engine(url).dialect.name == "postgresql":
        # Rows another dispatcher is claiming right now are skipped, not waited for.
        locked = sa.select(table.c.id).where(table.c.id.in_(ids), claimable)
        where = table.c.id.in_(locked.with_for_update(skip_locked=True).scalar_subquery())
    else:
        where = and_(table.c.id.in_(ids), claimable)
    # A Core UPDATE … RETURNING of the columns a claim needs: no ORM objects to build.
    claiming = (
        sa.update(table)
        .where(where)
        .values(
            status=OutboxStatus.SENDING,
            claimed_at=now,
            attempts=table.c.attempts + 1,
            # SET reads the old row: a stale `sending` claim may have reached the service.
            maybe_posted=or_(table.c.status == OutboxStatus.SENDING, table.c.maybe_posted),
        )
        .returning(
            *(table.c[name] for name in _CLAIMED if name != "facts"),
            # As stored: pydantic reads the JSON text faster than the dicts json.loads makes.
            sa.cast(table.c.facts, sa.Text).label("facts"),
        )
    )
    with transaction(url) as session:
        rows = sorted(session.connection().execute(claiming).mappings(), key=lambda r: r["id"])
    return [
        Claim(
            id=row["id"],
            key=row["key"],
            subject_id=row["incident_id"] or row["drill_id"],
            org_id=row["org_id"],
            person_id=row["person_id"],
            report_id=row["report_id"],
            facts=NoticeFacts.model_validate_json(row["facts"]),
            maybe_posted=bool(row["maybe_posted"]),
            attempts=row["attempts"],
        )
        for row in rows
    ]


# What settling writes back; rows of one batch are written by one executemany.
_WRITTEN = (
    "status",
    "claimed_at",
    "attempts",
    "next_attempt_at",
    "last_error",
    "maybe_posted",
    "sent_at",
    "outage",
)

_READ_ONLY = ("report_id", "transport")
Recorder = Callable[[Session, list[int]], None]


def settle(
    url: str, settlements: Sequence[Settlement], now: datetime, *, record: Recorder | None = None
) -> list[int]:
    """Write back a batch of attempts in one short transaction; returns the ids written.

    `record` runs in the same transaction with those ids, so what a transport keeps about a
    message (where it landed) is committed together with the row's new state.
    """
    if not settlements:
        return []
    table = SQLModel.metadata.tables["notification"]
    with transaction(url) as session:
        connection = session.connection()
        ids = [s.id for s in settlements]
        # An incident's rows are written after its row is locked, as every act on it does: a
        # delivery settling beside an act waits its turn instead of deadlocking with it.
        incidents = sa.select(table.c.incident_id).where(
            table.c.id.in_(ids), table.c.report_id.is_not(None), table.c.incident_id.is_not(None)
        )
        locking = {i for (i,) in connection.execute(incidents.distinct())}
        if locking:
            _lock_incidents(session, locking)
        # Rows not `sending` any more were settled meanwhile by a dispatcher that took over.
        sent = [s for s in settlements if _plainly_sent(s)]
        others = [s for s in settlements if not _plainly_sent(s)]
        written = _write_sent(connection, sent, now) + _write_each(connection, others, now)
        _settle_reports(
            session,
            [(v, s.status) for v, s in written if v["report_id"] is not None and not s.released],
            now,
        )
        order = {s.id: n for n, s in enumerate(settlements)}
        settled = sorted((w["row_id"] for w, _ in written), key=order.__getitem__)
        if record is not None and settled:
            record(session, settled)
        return settled


def _plainly_sent(settlement: Settlement) -> bool:
    """Sent, with nothing else to say: every such row of a batch is written alike."""
    s = settlement
    return (
        s.status is OutboxStatus.SENT
        and not (s.released or s.outage or s.maybe_posted)
        and s.error is None
    )


_Written = list[tuple[dict[str, Any], Settlement]]


def _write_sent(
    connection: sa.Connection, settlements: Sequence[Settlement], now: datetime
) -> _Written:
    """Mark rows sent in one statement (no row read first); those still `sending` are written."""
    if not settlements:
        return []
    table = SQLModel.metadata.tables["notification"]
    by_id = {s.id: s for s in settlements}
    marking = (
        sa.update(table)
        .where(table.c.id.in_(sorted(by_id)), table.c.status == OutboxStatus.SENDING)
        .values(
            status=OutboxStatus.SENT,
            claimed_at=None,
            last_error=None,
            maybe_posted=False,
            sent_at=now,
            outage=False,
        )
        .returning(table.c.id, table.c.report_id, table.c.transport)
    )
    return [
        ({"row_id": i, "report_id": r, "transport": t, "last_error": None}, by_id[i])
        for i, r, t in connection.execute(marking)
    ]


def _write_each(
    connection: sa.Connection, settlements: Sequence[Settlement], now: datetime
) -> _Written:
    """Write rows whose outcomes differ (retries, failures, rows given back): each row's new
    values from its current ones, all in one executemany."""
    if not settlements:
        return []
    table = SQLModel.metadata.tables["notification"]
    query = sa.select(
        table.c.id, table.c.report_id, table.c.transport, *(table.c[n] for n in _WRITTEN)
    ).where(table.c.id.in_([s.id for s in settlements]))
    rows = {r.id: r._asdict() for r in connection.execute(query)}
    written: _Written = []
    for settlement in settlements:
        row = rows.get(settlement.id)
        if row is not None and row["status"] == OutboxStatus.SENDING:
            written.append((_settled(row, settlement, now), settlement))
    if written:
        connection.execute(
            sa.update(table).where(
                table.c.id == sa.bindparam("row_id"), table.c.status == OutboxStatus.SENDING
            ),
            [{k: v for k, v in w.items() if k not in _READ_ONLY} for w, _ in written],
        )
    return written


def _settled(row: dict[str, Any], settlement: Settlement, now: datetime) -> dict[str, Any]:
    """The row's new values (every written column, so the batch shares one statement)."""
    values = {name: row[name] for name in _WRITTEN}
    values.update(row_id=row["id"], report_id=row["report_id"], transport=row["transport"])
    values.update(status=settlement.status, claimed_at=None)
    values["outage"] = settlement.outage
    if settlement.released:
        values["status"] = OutboxStatus.PENDING
        values["attempts"] = max(0, row["attempts"] - 1)
        values["next_attempt_at"] = settlement.retry_at or now
        return values
    values["last_error"] = settlement.error[:200] if settlement.error else None
    values["maybe_posted"] = settlement.maybe_posted
    if settlement.status is OutboxStatus.PENDING:
        values["next_attempt_at"] = settlement.retry_at or now
    if settlement.status is OutboxStatus.SENT:
        values["sent_at"] = now
    return values


def _lock_incidents(session: Session, incident_ids: Collection[str]) -> None:
    """Lock the incidents' rows in id order (on SQLite the write lock is already held)."""
    query = select(Incident.id).where(col(Incident.id).in_(sorted(incident_ids)))
    session.exec(query.order_by(col(Incident.id)).with_for_update()).all()


@dataclass
class _ReportNow:
    """A report's row as settling a batch reads and changes it."""

    id: int
    incident_id: str
    recipient_id: str
    status: ReportStatus
    last_error: str | None
    sent: bool = False  # a transport accepted it in this batch
    delivered: bool = False  # and it was its first delivery


def _settle_reports(
    session: Session, written: Sequence[tuple[dict[str, Any], OutboxStatus]], now: datetime
) -> None:
    """The reports' side of a settled batch (rows in the order written): each report's state,
    its event in the incident's trail, and the report step once every report is delivered.

    Read once, decided in order here, written back in a few statements: the reports, their
    incidents' undelivered reports and report steps in one query each, the delivered reports
    in one UPDATE, the events in one append. The incidents' rows are locked already, so nothing
    read here changes before it is written.
    """
    if not written:
        return
    connection = session.connection()
    table = SQLModel.metadata.tables["report"]
    reports = _reports_now(connection, sorted({v["report_id"] for v, _ in written}))
    failing = sorted({v["report_id"] for v, status in written if status in _STUCK} & set(reports))
    stuck = _every_transport_failed(connection, failing)
    delivering = {
        reports[v["report_id"]].incident_id
        for v, status in written
        if status is OutboxStatus.SENT and v["report_id"] in reports
    }
    steps, undelivered = _report_steps(session, sorted(delivering))
    events: list[tuple[str, str, dict[str, Any], datetime]] = []
    changed: dict[int, _ReportNow] = {}
    acknowledged_first: set[int] = set()
    for values, status in written:
        report = reports.get(values["report_id"])
        if report is None:
            continue
        if report.status is ReportStatus.ACKNOWLEDGED:
            # Acknowledged (in the portal) before a transport delivered it: the delivery is
            # still the incident's, with its time; the acknowledgement stands.
            if status is OutboxStatus.SENT:
                acknowledged_first.add(report.id)
                detail = {"to": report.recipient_id, "error": None, "via": values["transport"]}
                events.append((report.incident_id, "report_sent", detail, now))
            continue
        report.last_error = values["last_error"]
        if status is OutboxStatus.SENT:
            # Sent is when a transport accepted it: an attempt that failed sent nothing.
            report.sent = True
            if report.status is not ReportStatus.DELIVERED:
                report.delivered = True  # the first transport that delivered it
            report.status = ReportStatus.DELIVERED
        elif report.status is not ReportStatus.DELIVERED and report.id in stuck:
            report.status = ReportStatus.FAILED
        changed[report.id] = report
        if status is OutboxStatus.PENDING:
            continue  # a retry is not an event of the incident; its outcome will be
        detail = {
            "to": report.recipient_id,
            "error": values["last_error"],
            "via": values["transport"],
        }
        events.append((report.incident_id, f"report_{status}", detail, now))
        step = steps.get(report.incident_id)
        if step is None or status is not OutboxStatus.SENT or step.status is StepStatus.DONE:
            continue
        # The duty is to report (Art. 24 (1)): done once every report is delivered; each
        # recipient's acknowledgement is tracked on its report, not as a condition of the step.
        waiting = undelivered[report.incident_id]
        waiting.discard(report.id)
        if waiting:
            step.status = StepStatus.IN_PROGRESS
        else:
            step.status = StepStatus.DONE
            step.done_at = now
            events.append((report.incident_id, "step_done", {"step": str(step.name)}, now))
            # A reminder or escalation about reporting that waits would now say something untrue.
            withdraw_alerts(session, report.incident_id, step=StepName.REPORT)
        session.add(step)
    _write_reports(connection, table, list(changed.values()), now)
    if acknowledged_first:
        connection.execute(
            sa.update(table)
            .where(table.c.id.in_(sorted(acknowledged_first)))
            .values(
                sent_at=sa.func.coalesce(table.c.sent_at, now),
                delivered_at=sa.func.coalesce(table.c.delivered_at, now),
            )
        )
    record_events(session, events)


def _reports_now(connection: sa.Connection, ids: list[int]) -> dict[int, _ReportNow]:
    """The reports of `ids` as they are, by id."""
    table = SQLModel.metadata.tables["report"]
    columns = (table.c.id, table.c.incident_id, table.c.recipient_id, table.c.status)
    found: dict[int, _ReportNow] = {}
    for start in range(0, len(ids), 500):
        query = sa.select(*columns, table.c.last_error).where(
            table.c.id.in_(ids[start : start + 500])
        )
        for row_id, incident_id, recipient_id, status, error in connection.execute(query):
            found[row_id] = _ReportNow(
                row_id, incident_id, recipient_id, ReportStatus(status), error
            )
    return found


def _report_steps(
    session: Session, incident_ids: list[str]
) -> tuple[dict[str, Step], dict[str, set[int]]]:
    """The report step of each incident, and the reports not yet delivered of those whose step
    is not done."""
    if not incident_ids:
        return {}, {}
    steps = {
        step.incident_id: step
        for step in session.exec(
            select(Step).where(
                col(Step.incident_id).in_(incident_ids), Step.name == StepName.REPORT
            )
        )
    }
    open_ = sorted(i for i, step in steps.items() if step.status is not StepStatus.DONE)
    undelivered: dict[str, set[int]] = {i: set() for i in open_}
    if open_:
        table = SQLModel.metadata.tables["report"]
        query = sa.select(table.c.id, table.c.incident_id).where(
            table.c.incident_id.in_(open_),
            table.c.status.not_in((ReportStatus.DELIVERED, ReportStatus.ACKNOWLEDGED)),
        )
        for report_id, incident_id in session.connection().execute(query):
            undelivered[incident_id].add(report_id)
    return steps, undelivered


def _write_reports(
    connection: sa.Connection, table: sa.Table, reports: list[_ReportNow], now: datetime
) -> None:
    """Write the reports' new states: those delivered for the first time without an error in
    one UPDATE, the rest (retries, failures, further transports) by one executemany."""
    first = [r.id for r in reports if r.delivered and r.last_error is None]
    if first:
        # Delivered: the next sweep looks at the APPI clocks (as setting `Report.delivered_at`
        # through the ORM does).
        connection.execute(
            sa.update(table)
            .where(table.c.id.in_(first))
            .values(
                status=ReportStatus.DELIVERED,
                last_error=None,
                sent_at=sa.func.coalesce(table.c.sent_at, now),
                delivered_at=now,
                appi_next_at=now,
            )
        )
    done = set(first)
    rest = [r for r in reports if r.id not in done]
    if not rest:
        return
    sent = [r.id for r in rest if r.sent]
    if sent:
        connection.execute(
            sa.update(table)
            .where(table.c.id.in_(sent))
            .values(sent_at=sa.func.coalesce(table.c.sent_at, now))
        )
    delivered = [r.id for r in rest if r.delivered]
    if delivered:
        connection.execute(
            sa.update(table)
            .where(table.c.id.in_(delivered))
            .values(delivered_at=now, appi_next_at=now)
        )
    connection.execute(
        sa.update(table).where(table.c.id == sa.bindparam("report_id")),
        [{"report_id": r.id, "status": r.status, "last_error": r.last_error} for r in rest],
    )


def _every_transport_failed(connection: sa.Connection, report_ids: list[int]) -> set[int]:
    """Those of the reports that no transport delivered or may still, and that one of the
    transports failed outright."""
    if not report_ids:
        return set()
    table = SQLModel.metadata.tables["notification"]
    states: dict[int, set[str]] = {}
    for start in range(0, len(report_ids), 500):
        query = sa.select(table.c.report_id, table.c.status).where(
            table.c.report_id.in_(report_ids[start : start + 500])
        )
        for report_id, status in connection.execute(query):
            states.setdefault(report_id, set()).add(status)
    return {
        report_id
        for report_id, found in states.items()
        if OutboxStatus.FAILED in found and found <= set(_STUCK)
    }


def report_states(
    session: Session, incident_ids: Collection[str]
) -> dict[str, dict[str, ReportState]]:
    """Each incident's reports as they are now (who acknowledged, when), by recipient."""
    states: dict[str, dict[str, ReportState]] = {i: {} for i in incident_ids}
    if not states:
        return states
    found = session.execute(
        sa.select(
            col(Report.incident_id),
            col(Report.recipient_id),
            col(Report.status),
            col(Report.acknowledged_by),
            col(Report.acknowledged_at),
            col(Person.name),
        )
        .outerjoin(Person, col(Person.id) == Report.acknowledged_by)
        .where(col(Report.incident_id).in_(sorted(states)))
    )
    for incident_id, recipient_id, status, by, at, name in found:
        states[incident_id][recipient_id] = ReportState(
            status=ReportStatus(status), acknowledged_by=name or by, acknowledged_at=at
        )
    return states


def step_states(
    session: Session, incident_ids: Collection[str], now: datetime
) -> dict[str, tuple[StepFact, ...]]:
    """Each incident's steps as a message shows them at `now` (a card, updated)."""
    if not incident_ids:
        return {}
    wanted = sorted(set(incident_ids))
    ended = {
        incident_id: (closed is not None, contained is not None)
        for incident_id, closed, contained in session.execute(
            sa.select(col(Incident.id), col(Incident.closed_at), col(Incident.contained_at)).where(
                col(Incident.id).in_(wanted)
            )
        )
    }
    rows: dict[str, list[Step]] = {i: [] for i in ended}
    found = session.exec(
        select(Step).where(col(Step.incident_id).in_(wanted)).order_by(col(Step.id))
    )
    for step in found:
        rows[step.incident_id].append(step)
    return {
        i: steps_as_shown(rows[i], now, closed=closed, contained=contained)
        for i, (closed, contained) in ended.items()
    }


# Messages that remind or escalate: when what they say stops being true, they are withdrawn.
ALERTS = (
    NoticeEvent.REMINDER,
    NoticeEvent.ESCALATION,
    NoticeEvent.ACK_REMINDER,
    NoticeEvent.ACK_OVERDUE,
)
_ACK_ALERTS = (NoticeEvent.ACK_REMINDER, NoticeEvent.ACK_OVERDUE)
_STEP_ALERTS = (NoticeEvent.REMINDER, NoticeEvent.ESCALATION)


def withdraw_alerts(
    session: Session,
    incident_id: str,
    *,
    recipient: str | None = None,
    step: StepName | None = None,
) -> int:
    """Reminders and escalations of an incident still waiting to be sent, marked withdrawn (with
    `recipient`: only those about that recipient's acknowledgement; with `step`: only those
    about that step's clock); returns how many."""
    which: sa.ColumnElement[bool]
    if step is not None:
        which = or_(
            *(
                col(Notification.key).startswith(f"{incident_id}:{e}:{step}:", autoescape=True)
                for e in _STEP_ALERTS
            )
        )
    elif recipient is None:
        which = col(Notification.event).in_([str(e) for e in ALERTS])
    else:
        which = or_(
            *(
                col(Notification.key).startswith(f"{incident_id}:{e}:{recipient}:", autoescape=True)
                for e in _ACK_ALERTS
            )
        )
    withdrawn = session.connection().execute(
        sa.update(Notification)
        .where(
            col(Notification.incident_id) == incident_id,
            col(Notification.status) == OutboxStatus.PENDING,
            which,
        )
        .values(status=OutboxStatus.WITHDRAWN)
    )
    return int(withdrawn.rowcount or 0)


def withdraw_drill_messages(session: Session, drill_id: str) -> int:
    """A closed drill's messages still waiting to be sent (a check asking for confirmation, an
    inject, a reminder), marked withdrawn: nobody is asked for what can no longer be recorded.
    Returns how many."""
    withdrawn = session.connection().execute(
        sa.update(Notification)
        .where(
            col(Notification.drill_id) == drill_id,
            col(Notification.status) == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.WITHDRAWN)
    )
    return int(withdrawn.rowcount or 0)


def waiting(
    url: str,
    subjects: Collection[str] | None = None,
    *,
    transports: Collection[Transport] | None = None,
    held: bool = True,
) -> int:
    """Outbox rows (of some subjects and transports, or all) that still wait for delivery;
    without those held by an outage when `held` is False."""
    query = (
        select(func.count())
        .select_from(Notification)
        .where(col(Notification.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
    )
    if not held:
        query = query.where(~col(Notification.outage))
    if subjects is not None:
        query = query.where(_about(subjects))
    if transports is not None:
        query = query.where(col(Notification.transport).in_(sorted(transports)))
    with reading(url) as session:
        return int(session.exec(query).one())


def outbox_rows(
    session: Session, *, failed_only: bool = False, subject_id: str | None = None
) -> list[Notification]:
    """Outbox rows, newest first (only failed and unreachable ones with `failed_only`)."""
    query = select(Notification)
    if failed_only:
        query = query.where(col(Notification.status).in_(_STUCK))
    if subject_id is not None:
        query = query.where(_about([subject_id]))
    return list(session.exec(query.order_by(col(Notification.id).desc())))


def retry_rows(
    session: Session, *, ids: Sequence[int] | None, now: datetime, by: str | None = None
) -> list[int]:
    """Queue failed or unreachable rows again; with `ids` None, every one of them and every
    message waiting for a retry, now.

    The address is resolved again when the row is delivered, so a channel added to the
    parties file since is used.
    """
    waiting: list[Notification] = []
    if ids is None:
        rows = list(session.exec(select(Notification).where(col(Notification.status).in_(_STUCK))))
        # After an outage or a long backoff the operator asks for everything now.
        waiting = list(
            session.exec(
                select(Notification).where(
                    Notification.status == OutboxStatus.PENDING,
                    or_(col(Notification.next_attempt_at) > now, col(Notification.outage)),
                )
            )
        )
    else:
        rows = [_stuck_row(session, row_id) for row_id in ids]
    for row in waiting:
        row.next_attempt_at = now
        row.outage = False
        session.add(row)
    for row in rows:
        row.status = OutboxStatus.PENDING
        row.attempts = 0
        row.next_attempt_at = now
        row.outage = False
        session.add(row)
        report = session.get(Report, row.report_id) if row.report_id else None
        if report is not None and report.status is ReportStatus.FAILED:
            report.status = ReportStatus.PENDING
            session.add(report)
        if row.incident_id:
            detail = {"notification": row.id, "to": row.org_id, "event": row.event}
            record_event(
                session, row.incident_id, "notification_retry", actor=by, at=now, detail=detail
            )
    return sorted(row.id for row in [*rows, *waiting] if row.id is not None)


def _stuck_row(session: Session, row_id: int) -> Notification:
    row = session.get(Notification, row_id)
    if row is None:
        raise BadInput("ID", f"no notification {row_id}")
    if row.status not in _STUCK:
        raise BadInput("ID", f"notification {row_id} is {row.status}, not failed or unreachable")
    return row
