"""The written record as people open it: everything it holds, and the document in a format
(DESIGN.md §7 `record`), for people of an organisation on the incident's path.

A submitted version is frozen as Markdown with its SHA-256 (Art. 24 (4)); that text is served
byte for byte, so anyone can check it against the hash. HTML and PDF are rendered from the
current record: a draft while the incident is open, the latest submitted version otherwise.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from jikoflow.models.access import Principal
from jikoflow.models.enums import IncidentState, Lang
from jikoflow.models.errors import BadInput
from jikoflow.models.incidents.service import shows_appi, visible_incident
from jikoflow.models.response.schemas import RecordFile
from jikoflow.models.response.tables import RecordVersion
from jikoflow.models.types import utcnow
from jikoflow.records.data import RecordData, record_data
from jikoflow.records.render import RecordFormat, render_record


def record_view(
    session: Session, *, actor: Principal, incident_id: str, now: datetime | None = None
) -> RecordData:
    """Everything the record holds as of `now`: containment, causes, measures, submissions."""
    incident = visible_incident(session, actor, incident_id)
    appi = shows_appi(session, actor, incident.contract_id)
    return record_data(session, incident.id, now=now or utcnow(), appi=appi)


def record_file(
    session: Session,
    *,
    actor: Principal,
    incident_id: str,
    fmt: RecordFormat = RecordFormat.MD,
    lang: Lang = Lang.JA,
    version: int | None = None,
    now: datetime | None = None,
) -> RecordFile:
    """The record as a file: a submitted version's frozen Markdown as hashed, or the current
    record rendered in `fmt` (naming the submitted version it presents, if any)."""
    incident = visible_incident(session, actor, incident_id)
    versions = list(
        session.exec(
            select(RecordVersion)
            .where(RecordVersion.incident_id == incident.id)
            .order_by(col(RecordVersion.version))
        )
    )
    current = versions[-1] if versions and incident.state is not IncidentState.OPEN else None
    chosen = current
    if version is not None:
        chosen = next((v for v in versions if v.version == version), None)
        if chosen is None:
            raise BadInput("version", f"{incident.id} has no submitted version {version}")
        if fmt is not RecordFormat.MD and chosen is not current:
            raise BadInput(
                "version", f"version {version} is kept as its submitted Markdown only (format md)"
            )
    if chosen is not None and fmt is RecordFormat.MD:
        body = chosen.content.encode()
        lang = Lang(chosen.lang)
    else:
        appi = shows_appi(session, actor, incident.contract_id)
        data = record_data(session, incident.id, now=now or utcnow(), appi=appi)
        body = render_record(data, lang=lang, fmt=fmt)
    number = chosen.version if chosen is not None else None
    stem = f"{incident.id}-v{number}" if number is not None else f"{incident.id}-draft"
    return RecordFile(
        id=incident.id,
        format=fmt.value,
        lang=lang,
        version=number,
        sha256=chosen.sha256 if chosen is not None else None,
        draft=chosen is None,
        filename=f"{stem}.{fmt.value}",
        body=body,
    )
