"""When the sweep next looks at 甲's APPI clocks (`Report.appi_next_at`).

The 速報/確報 reminders depend on the facts, the incident's kind, 甲's sector and the delivery
of the report to 甲. The sweep reads only reports whose time has come and sets the next one;
whatever changes one of those inputs has the sweep look again at once (the time becomes the
delivery time, always past), so a reminder is never missed and an idle sweep reads nothing.
Setting `Report.delivered_at` sets it by itself (an attribute event beside the table); the
facts, a reclassification and a parties load call these.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from sqlmodel import Session, col, select

from jikoflow.models.incidents.tables import Report


def look_again(session: Session, incident_id: str) -> None:
    """The incident's facts or kind changed: the next sweep looks at its APPI clocks."""
    query = select(Report).where(
        Report.incident_id == incident_id, col(Report.delivered_at).is_not(None)
    )
    for report in session.exec(query):
        report.appi_next_at = report.delivered_at
        session.add(report)


def look_again_for(session: Session, recipients: Collection[str]) -> None:
    """Organisations' sectors changed: the next sweep looks at every report delivered to them."""
    if not recipients:
        return
    session.execute(
        sa.update(Report)
        .where(col(Report.recipient_id).in_(sorted(recipients)))
        .where(col(Report.delivered_at).is_not(None))
        .values(appi_next_at=Report.delivered_at)
        .execution_options(synchronize_session="fetch")
    )
