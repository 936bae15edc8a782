"""Handing work to the orchestrator: in-process (Prefect's ephemeral mode) with nothing
configured, or to the served deployments of a Prefect server when `PREFECT_API_URL` is set.

Prefect is imported here only when a flow actually runs, so read-only commands stay fast. The
orchestrator comes *after* what must not wait for it: a declaration's reports are delivered
before any flow starts, and a flow that cannot start is reported, never fatal — the database
holds the state, and the next run or `sweep` picks it up.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jikoflow.models.settings import Settings

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


def prepare_prefect(settings: Settings) -> None:
    """Quiet, private defaults for the embedded Prefect; explicit environment wins."""
    settings.prefect_home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(settings.prefect_home))
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
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return Handoff(completed=False, error=reason)
