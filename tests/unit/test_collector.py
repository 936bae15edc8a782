"""The cyclic garbage collector: off for a short command (it only slows start-up), on for the
commands that run until stopped and as soon as a flow is about to run."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jikoflow.models.settings import load_settings
from jikoflow.runner import prepare_prefect

# The console script's entry point, with the command itself replaced by a report of the
# collector's state when it would have run.
PROBE = """
import gc, sys
import jikoflow.cli as cli
cli.run = lambda argv: print("on" if gc.isenabled() else "off") or 0
sys.argv = ["jikoflow", *sys.argv[1:]]
cli.main()
"""


def _collector_during(*argv: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.mark.parametrize("argv", [("status", "INC-1"), ("list",), ("declare", "--help"), ()])
def test_a_short_command_runs_without_the_collector(argv: tuple[str, ...]) -> None:
    assert _collector_during(*argv) == "off"


@pytest.mark.parametrize("command", ["serve", "web", "demo"])
def test_a_command_that_runs_until_stopped_keeps_it(command: str) -> None:
    assert _collector_during(command) == "on"


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.disable()
    yield
    gc.enable()


def test_a_flow_turns_it_back_on(
    collector_off: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prefect's settings go into this copy of the environment, not the test process's.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"JIKOFLOW_HOME": str(tmp_path), "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    monkeypatch.setattr(os, "environ", env)
    assert not gc.isenabled()
    prepare_prefect(load_settings())
    assert gc.isenabled()
