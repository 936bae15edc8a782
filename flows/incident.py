"""The Article 24 flow: what an incident needs now, in the clause's order.

Each run reads the incident from the database, does what is due, and stops; a second run
sends nothing twice, and a crashed run is picked up by the next.
"""

from __future__ import annotations

from prefect import flow

from flows.tasks import deliver_notifications


@flow(name="article-24-incident", log_prints=False, validate_parameters=True)
def incident_flow(incident_id: str) -> int:
    """第24条第1項: 直ちに被害を最小限に抑える措置を講じるとともに、甲に報告する。"""
    # (1) Report at once to 甲, 乙 and every tier above, and tell the organisation's managers.
    #     Containment is recorded by responders (`contain`); its clock runs from discovery.
    return deliver_notifications(incident_id)
