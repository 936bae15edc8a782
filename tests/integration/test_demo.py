"""`jikoflow demo` on the embedded default: the walk-through a new user runs first."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CliResult, Env


@pytest.mark.prefect
def test_the_demo_reports_a_third_tier_leak_to_every_tier_above(
    sqlite_env: Env, cli: Callable[..., CliResult]
) -> None:
    result = cli("demo")
    assert result.code == 0, result.err
    assert "reports delivered: 4/4" in result.out
    for org in ("nerima", "acme", "beta", "gamma"):
        assert f"({org})" in result.out
    # The console channel printed each report, and the summary stayed out of chat.
    assert result.err.count("事故等報告") >= 4
    assert "住民票" not in result.err
    listed = cli("list", "--open", "--json").json()
    assert [(row["org"], row["kind"], row["suspected"]) for row in listed] == [
        ("delta", "leak", True)
    ]


def test_the_demo_in_a_fresh_process_prints_no_traceback(
    sqlite_env: Env, cli_subprocess: Callable[..., CliResult]
) -> None:
    # The real embedded default: a new process, a new Prefect home, the embedded server
    # started and stopped by the command. Its shutdown must not spill over the output.
    result = cli_subprocess("demo", timeout=600)
    assert result.code == 0, result.err[-2000:]
    assert "reports delivered: 4/4" in result.out
    assert "flow finished" in result.out, result.out[-1000:]
    assert "Traceback" not in result.err
    assert "ERROR" not in result.err
    assert "CancelledError" not in result.err
    assert "Still processing items" not in result.err  # Prefect's services log to its file
