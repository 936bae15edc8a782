"""Handing work to the orchestrator: in-process (Prefect's ephemeral mode) with nothing
configured, or to the served deployments of a Prefect server when `PREFECT_API_URL` is set.

A declaration commits with its reports queued and its Article 24 flow asked for (a flow
request, `jikoflow.models.handoff`). `report_and_hand_off` — what every surface calls after a
declaration — delivers the reports at once from the declaring process, then hands the flow on:
in service mode the declaring process never runs it (nor imports Prefect); `serve`, on every
machine, starts each requested flow on the served deployment (`start_requested`), so a
Prefect server that is down delays the flow, never the reports, and the flow runs when the
server is back. With nothing configured the declaring command runs the flow in this process
after the reports are out.

Prefect is imported here only when a flow actually runs, so read-only commands stay fast.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from jikoflow.models.settings import Settings
from jikoflow.notifications.stats import DeliveryStats

log = logging.getLogger("jikoflow.runner")

LOGGING_CONFIG = Path(__file__).with_name("prefect_logging.yml")
# Deployment names `serve` gives the flows (see jikoflow.serve.serve_deployments).
DEPLOYMENTS = {
    "incident": "article-24-incident/jikoflow-incident",
    "sweep": "jikoflow-sweep/jikoflow-sweep",
    "drill": "jikoflow-drill/jikoflow-drill",
}


@dataclass(frozen=True)
class Handoff:
    """What became of handing a flow to the orchestrator."""

    completed: bool  # in-process: ran to the end with nothing left; service mode: accepted
    error: str | None = None  # why it could not start, in one line


class FlowState(StrEnum):
    """Where a declaration's Article 24 flow is, once its reports are out."""

    QUEUED = "queued"  # asked for: `serve` starts it on the deployment (or here, embedded)
    COMPLETED = "completed"  # ran here to the end, nothing left
    RAN = "ran"  # ran here; something waits for a later pass
    NOT_STARTED = "not_started"  # could not start here; `serve` starts it later


@dataclass(frozen=True)
class Reported:
    """What `report_and_hand_off` did: the reports' delivery and the flow's hand-off."""

    stats: DeliveryStats
    flow: FlowState
    error: str | None = None


def prepare_prefect(settings: Settings) -> None:
    """Quiet, private defaults for the embedded Prefect; explicit environment wins."""
    # A flow runs for a while and Prefect builds many cycles: the collector the CLI turned
    # off for a short command is back on.
    gc.enable()
    settings.prefect_home.mkdir(parents=True, exist_ok=True)
    prefect_home = os.environ.setdefault("PREFECT_HOME", str(settings.prefect_home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    # The embedded server logs to a file in PREFECT_HOME, not over the command's own output.
    os.environ.setdefault("PREFECT_LOGGING_SETTINGS_PATH", str(LOGGING_CONFIG))
    # The embedded server's first start migrates its own database: on a busy machine that
    # takes longer than Prefect's default wait.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    logging.getLogger("prefect").setLevel(logging.WARNING)
    if not service_mode():
        from jikoflow.embedded import tie_to_this_process

        tie_to_this_process(Path(prefect_home))


def service_mode() -> bool:
    """Whether a Prefect server runs the flows (`PREFECT_API_URL` set)."""
    return bool(os.environ.get("PREFECT_API_URL"))


def run_flow(settings: Settings, name: str, **parameters: Any) -> bool:
    """Run one of jikoflow's flows in this process to completion; True when nothing is left."""
    prepare_prefect(settings)
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from jikoflow.flows.registry import FLOWS

    # A sync flow otherwise waits on its heartbeat thread for a second or more.
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        state = FLOWS[name](**parameters, return_state=True)
    return bool(state.is_completed() and state.result())


def hand_off(settings: Settings, name: str, **parameters: Any) -> Handoff:
    """Start flow `name`: on the served deployment in service mode (without waiting for it),
    in this process otherwise. Never raises: a failure to start is returned, in one line."""
    try:
        if service_mode():
            prepare_prefect(settings)
            from prefect.deployments import run_deployment

            run_deployment(DEPLOYMENTS[name], parameters=parameters, timeout=0)
            return Handoff(completed=True)
        return Handoff(completed=run_flow(settings, name, **parameters))
    except Exception as exc:  # the orchestrator is down, slow to start, or misconfigured
        return Handoff(completed=False, error=one_line(exc))


def one_line(exc: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


def report_and_hand_off(
    settings: Settings,
    incident_ids: Collection[str],
    *,
    run_here: bool = True,
    on_reported: Callable[[DeliveryStats], None] | None = None,
) -> Reported:
    """After a declaration committed: deliver its reports now, then hand its flow on.

    In service mode the flow stays asked for, and `serve` starts it on the deployment; with
    nothing configured it runs in this process after the reports (unless `run_here` is False,
    as in a web request: then `serve` runs it). `on_reported` hears of the reports before the
    flow runs. The CLI, the demo and the API call this.
    """
    from jikoflow.notifications.delivery import deliver

    stats = deliver(settings, subjects=incident_ids, inline=True)
    if on_reported is not None:
        on_reported(stats)
    if service_mode() or not run_here:
        return Reported(stats, FlowState.QUEUED)
    started = start_requested(settings, subjects=incident_ids)
    if not started.ran:
        if started.error is not None:
            return Reported(stats, FlowState.NOT_STARTED, started.error)
        return Reported(stats, FlowState.QUEUED)  # an embedded `serve` took it first
    flow = FlowState.COMPLETED if started.completed else FlowState.RAN
    return Reported(stats, flow, started.error)


@dataclass(frozen=True)
class Started:
    """What one `start_requested` did."""

    ran: int = 0  # flows started (service mode) or run here
    completed: bool = True  # every flow run here ended with nothing left
    error: str | None = None  # why (some) did not start


def start_requested(
    settings: Settings, *, subjects: Collection[str] | None = None, limit: int | None = None
) -> Started:
    """Start the flows that were asked for and have not started (of some subjects, or any):
    on the served deployments in service mode, in this process otherwise."""
    from jikoflow.models.handoff.service import CLAIM_LIMIT, claim_requests
    from jikoflow.models.types import utcnow

    url = settings.database_url
    claimed = claim_requests(url, utcnow(), subjects=subjects, limit=limit or CLAIM_LIMIT)
    if not claimed:
        return Started()
    if service_mode():
        return _on_deployments(settings, claimed)
    return _in_process(settings, claimed)


def _on_deployments(settings: Settings, claimed: list[Any]) -> Started:
    """Create a flow run per request on its deployment; the idempotency key makes a second
    start of the same request (after a crash between the two writes) the same run."""
    from jikoflow.models.handoff.service import mark_started, release
    from jikoflow.models.types import utcnow

    prepare_prefect(settings)
    from prefect.deployments import run_deployment

    runs: dict[int, str] = {}
    try:
        for request in claimed:
            run: Any = run_deployment(
                DEPLOYMENTS[request.flow],
                parameters={"incident_id": request.subject_id},
                timeout=0,
                idempotency_key=f"jikoflow-{request.flow}-{request.subject_id}",
            )
            runs[request.id] = str(run.id)
    except Exception as exc:  # the Prefect server is down or refuses: try again soon
        error = one_line(exc)
        release(settings.database_url, [r for r in claimed if r.id not in runs], utcnow(), error)
        mark_started(settings.database_url, runs, utcnow())
        return Started(len(runs), error=error)
    mark_started(settings.database_url, runs, utcnow())
    return Started(len(runs))


def _in_process(settings: Settings, claimed: list[Any]) -> Started:
    """Run each requested flow here; one that cannot start is released for a later try."""
    from jikoflow.models.handoff.service import mark_started, release
    from jikoflow.models.types import utcnow

    ran, completed = 0, True
    for request in claimed:
        try:
            done = run_flow(settings, request.flow, incident_id=request.subject_id)
        except Exception as exc:  # the embedded Prefect did not start (slow, or refused)
            error = one_line(exc)
            release(settings.database_url, claimed[ran:], utcnow(), error)
            return Started(ran, completed=False, error=error)
        mark_started(settings.database_url, {request.id: "in-process"}, utcnow())
        ran += 1
        completed = completed and done
    return Started(ran, completed=completed)
