"""A declaration with an idempotency key: a retry with the same key and input returns the same
incident (also when retries race), the same key with other input is refused and changes
nothing, and keys are each caller's own (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from jikoflow.models.access import OPERATOR
from jikoflow.models.db import reading
from jikoflow.models.enums import IncidentKind
from jikoflow.models.incidents.schemas import DeclareInput
from jikoflow.models.incidents.service import declare
from jikoflow.models.incidents.tables import Incident
from jikoflow.usecases import act
from tests.conftest import CliResult, Env

ARGV = ("declare", "--contract", "C-2026-001", "--org", "delta", "--kind", "leak", "--no-flow")


def _declare(
    cli: Callable[..., CliResult], *extra: str, summary: str = "封筒の所在不明"
) -> CliResult:
    return cli(*ARGV, "--summary", summary, *extra)


def _incidents(url: str) -> list[str]:
    with reading(url) as session:
        return sorted(i.id for i in session.query(Incident).all())


def test_a_retry_with_the_same_key_returns_the_same_incident(
    loaded_env: Env, cli: Callable[..., CliResult]
) -> None:
    first = _declare(cli, "--key", "retry-7f3a")
    again = _declare(cli, "--key", "retry-7f3a")
    assert first.code == again.code == 0, first.err + again.err
    assert first.out == again.out
    as_json = _declare(cli, "--key", "retry-7f3a", "--json")
    assert as_json.json()["id"] == first.out.strip()
    assert _incidents(loaded_env.url) == [first.out.strip()]
    other = _declare(cli, "--key", "retry-other")
    assert other.out != first.out
    assert len(_incidents(loaded_env.url)) == 2


def test_the_same_key_with_other_input_is_refused_and_changes_nothing(
    loaded_env: Env, cli: Callable[..., CliResult], snapshot: Callable[[], Any]
) -> None:
    first = _declare(cli, "--key", "k-1").out.strip()
    before = snapshot()
    refused = _declare(cli, "--key", "k-1", summary="別の事故")
    assert refused.code == 2
    assert refused.err == (
        f"error: --key: was used for another declaration ({first}); use a new key\n"
    )
    assert snapshot() == before


@pytest.mark.parametrize("key", ["", "has space", "日本語", "x" * 201, "tab\there"])
def test_a_malformed_key_is_refused(
    loaded_env: Env, cli: Callable[..., CliResult], snapshot: Callable[[], Any], key: str
) -> None:
    before = snapshot()
    refused = _declare(cli, "--key", key)
    assert refused.code == 2
    assert refused.err.startswith("error: --key: ")
    assert refused.err.count("\n") == 1
    assert snapshot() == before


def test_keys_are_each_callers_own(loaded_env: Env, cli: Callable[..., CliResult]) -> None:
    mine = _declare(cli, "--key", "shared").out.strip()
    theirs = _declare(cli, "--key", "shared", "--by", "watanabe").out.strip()
    assert mine != theirs


def test_retries_racing_with_one_key_open_one_incident(loaded_env: Env) -> None:
    data = DeclareInput(
        contract="C-2026-001", org="delta", kind=IncidentKind.LEAK, summary="同時の再送"
    )

    def attempt(_: int) -> str:
        declared = act(loaded_env.url, declare, actor=OPERATOR, data=data, idempotency_key="race")
        return declared.incident.id

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = set(pool.map(attempt, range(6)))
    assert len(ids) == 1
    assert _incidents(loaded_env.url) == sorted(ids)


def test_a_declaration_answered_with_ids_only_is_the_same_declaration(loaded_env: Env) -> None:
    from jikoflow.models.incidents.service import declare_ids

    data = DeclareInput(
        contract="C-2026-001", org="delta", kind=IncidentKind.LEAK, summary="封筒の所在不明"
    )
    first = act(loaded_env.url, declare_ids, actor=OPERATOR, data=data, idempotency_key="ids-1")
    assert first.violations == []
    # A retry through either answer returns the same incident, with its full view.
    again = act(loaded_env.url, declare, actor=OPERATOR, data=data, idempotency_key="ids-1")
    assert again.incident.id == first.id
    assert [r.to for r in again.incident.reports] == ["gamma", "beta", "acme", "nerima"]
    retried = act(loaded_env.url, declare_ids, actor=OPERATOR, data=data, idempotency_key="ids-1")
    assert retried == first
    assert _incidents(loaded_env.url) == [first.id]
