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
