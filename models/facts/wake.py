"""When the sweep next looks at 甲's APPI clocks (`Report.appi_next_at`).

The 速報/確報 reminders depend on the facts, the incident's kind, 甲's sector and when 甲 had
the report (its delivery, or its acknowledgement when that came first). The sweep reads only
reports whose time has come and sets the next one; whatever changes one of those inputs has
the sweep look again at once (the time becomes that moment, always past), so a reminder is
never missed and an idle sweep reads nothing. Setting `Report.delivered_at` sets it by itself
(an attribute event beside the table), as an acknowledgement before delivery does; the facts,
a reclassification and a parties load call these.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from sqlmodel import Session, col, select

from jikoflow.models.incidents.tables import Report

# Delivered, or acknowledged before its delivery was recorded: 甲 knows of it.
_KNOWN = sa.or_(col(Report.delivered_at).is_not(None), col(Report.acknowledged_at).is_not(None))


def look_again(session: Session, incident_id: str) -> None:
    """The incident's facts or kind changed: the next sweep looks at its APPI clocks."""
    query = select(Report).where(Report.incident_id == incident_id, _KNOWN)
    for report in session.exec(query):
        report.appi_next_at = report.known_at
        session.add(report)


def look_again_for(session: Session, recipients: Collection[str]) -> None:
    """Organisations' sectors changed: the next sweep looks at every report delivered to them."""
    if not recipients:
        return
    session.execute(
        sa.update(Report)
        .where(col(Report.recipient_id).in_(sorted(recipients)))
        .where(_KNOWN)
        .values(appi_next_at=sa.func.coalesce(Report.delivered_at, Report.acknowledged_at))
        .execution_options(synchronize_session="fetch")
    )
