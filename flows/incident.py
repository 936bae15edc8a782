"""The Article 24 flow: what an incident needs now, in the clause's order.

Each run reads the incident from the database, does what is due, and stops; a second run
sends nothing twice (every message has an idempotency key), and a crashed run is picked up by
the next run or by `sweep`. People record the measures themselves (`contain`, `cause`,
`prevent`, `submit`); the flow reports, reminds and escalates.
"""

from __future__ import annotations

from prefect import flow

from jikoflow.flows.tasks import deliver_notifications, keep_clock
from jikoflow.models.enums import StepName


@flow(name="article-24-incident", log_prints=False, validate_parameters=True)
def incident_flow(incident_id: str) -> bool:
    """第24条第1項: 事故等の対応を、条文の順に、いま必要なことだけ行う。"""
    # (1) 直ちに被害を最小限に抑える措置を講じるとともに、甲に報告する — both at once:
    #     every report goes straight to 甲, 乙 and each tier above (DESIGN.md §4).
    reported = deliver_notifications(incident_id, return_state=True)
    keep_clock(incident_id, StepName.CONTAINMENT)
    keep_clock(incident_id, StepName.REPORT)
    # (2) 当該事故等の原因を分析する。
    keep_clock(incident_id, StepName.ROOT_CAUSE)
    # (3) 当該事故等の再発防止策を実施する。
    keep_clock(incident_id, StepName.PREVENTION)
    # (4) 当該事故等の記録を文書で提出する。
    keep_clock(incident_id, StepName.RECORD)
    # Reminders and escalations the clocks queued go out now; anything left waits for `sweep`.
    followed = deliver_notifications(incident_id, return_state=True)
    return bool(reported.is_completed() and followed.is_completed())
