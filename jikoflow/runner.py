"""Running flows in-process (Prefect's ephemeral mode) or against a configured Prefect API.

Prefect is imported here only when a flow actually runs, so read-only commands stay fast.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from jikoflow.models.settings import Settings


def prepare_prefect(settings: Settings) -> None:
    """Quiet, private defaults for the embedded Prefect; explicit environment wins."""
    settings.prefect_home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(settings.prefect_home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    logging.getLogger("prefect").setLevel(logging.WARNING)


def run_flow(settings: Settings, name: str, **parameters: Any) -> bool:
    """Run one of jikoflow's flows to completion; True when it completed with nothing left."""
    prepare_prefect(settings)
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from jikoflow.flows.registry import FLOWS

    # A sync flow otherwise waits on its heartbeat thread for a second or more.
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        state = FLOWS[name](**parameters, return_state=True)
    return bool(state.is_completed() and state.result())
