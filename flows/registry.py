"""The flows jikoflow runs by name (the CLI, the scheduler and `serve` share this table)."""

from __future__ import annotations

from typing import Any

from jikoflow.flows.drill import drill_flow, start_drill_flow
from jikoflow.flows.incident import incident_flow
from jikoflow.flows.sweep import sweep_flow

FLOWS: dict[str, Any] = {
    "incident": incident_flow,
    "sweep": sweep_flow,
    "drill": drill_flow,
    "drill-start": start_drill_flow,
}
