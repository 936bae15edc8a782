"""Acts on one incident at the same moment all succeed, numbered without gaps or doubles
(cause revisions, measure numbers, the audit sequence), and the trail still verifies
(SQLite and PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlmodel import select

from jikoflow.models.access import OPERATOR
from jikoflow.models.audit.verify import check_incident
from jikoflow.models.db import reading, transaction
from jikoflow.models.parties.file import read_parties
from jikoflow.models.parties.service import load_parties
from jikoflow.models.response.schemas import CauseInput, ContainInput
from jikoflow.models.response.service import contain, record_cause
from jikoflow.models.response.tables import CauseRevision, ContainmentAction
from jikoflow.usecases import act
from tests import acts
from tests.conftest import SAMPLE_PARTIES

THREADS = 8


def test_concurrent_causes_and_containments_on_one_incident(db_url: str) -> None:
    with transaction(db_url) as session:
        load_parties(session, read_parties(SAMPLE_PARTIES))
        incident = acts.declare(session, summary="紛失").incident.id

    def one(n: int) -> None:
        if n % 2:
            data = CauseInput(text=f"原因 {n}")
            act(db_url, record_cause, actor=OPERATOR, incident_id=incident, data=data)
        else:
            data2 = ContainInput(action=f"措置 {n}")
            act(db_url, contain, actor=OPERATOR, incident_id=incident, data=data2)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(one, range(THREADS * 2)))
    with reading(db_url) as session:
        revisions = sorted(
            session.exec(
                select(CauseRevision.revision).where(CauseRevision.incident_id == incident)
            )
        )
        containments = session.exec(
            select(ContainmentAction.id).where(ContainmentAction.incident_id == incident)
        ).all()
        check = check_incident(session, incident)
    assert revisions == list(range(1, THREADS + 1))
    assert len(containments) == THREADS
    assert check.broken is None
    assert check.events >= 1 + THREADS * 2
