"""The sweep flow: one pass of everything due, across every incident (`serve` runs it)."""

from __future__ import annotations

from prefect import flow

from jikoflow.flows.tasks import deliver_notifications, keep_clock


@flow(name="jikoflow-sweep", log_prints=False)
def sweep_flow() -> bool:
    """Queue due reminders and escalations, then deliver every due message."""
    keep_clock(None)
    # What is left waits for the next sweep and for the dispatchers, not for this run.
    return bool(deliver_notifications(None, retry_pending=False, return_state=True).is_completed())
