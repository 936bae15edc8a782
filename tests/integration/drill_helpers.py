"""What the drill tests share: fixed times, running a drill through the CLI, a bare organisation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import CliResult

Cli = Callable[..., CliResult]
CONTRACT = "C-2026-001"
T0 = datetime(2026, 11, 2, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def at(minutes: float) -> str:
    """`minutes` after T0, as `--now` takes it."""
    return (T0 + timedelta(minutes=minutes)).isoformat()


def run_drill(cli: Cli, drill_type: str, *extra: str | Path) -> dict[str, Any]:
    """`drill run --json` on the sample contract, which must succeed; its JSON."""
    result = cli("drill", "run", "--contract", CONTRACT, "--type", drill_type, *extra, "--json")
    assert result.code == 0, result.err
    data: dict[str, Any] = result.json()
    return data


def add_epsilon(data: dict[str, Any]) -> None:
    """A second-tier subcontractor with no chat channel and only a worker (no manager)."""
    data["organizations"].append(
        {
            "id": "epsilon",
            "name": "イプシロン印刷株式会社",
            "kind": "subcontractor",
            "people": [{"id": "kato", "name": "加藤 優", "role": "worker"}],
        }
    )
    data["contracts"][0]["delegations"].append(
        {"from": "beta", "to": "epsilon", "approved_at": "2026-04-15"}
    )
