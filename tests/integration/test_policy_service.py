"""Loading the policy file into the database (all or nothing, idempotent, audited, operator
only) and reading the effective policy back, on SQLite and PostgreSQL; the CLI thinly."""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import pytest

from jikoflow.models.access import OPERATOR, Via, person
from jikoflow.models.audit.service import events_of, verify_chain
from jikoflow.models.db import reading, transaction
from jikoflow.models.errors import BadInput, Forbidden
from jikoflow.models.policy.file import parse_policy, read_policy
from jikoflow.models.policy.schemas import ContractPolicy
from jikoflow.models.policy.service import (
    POLICY_CHAIN,
    contract_policy,
    load_policy,
    organization_policy,
)
from tests.conftest import CliResult, Env
from tests.integration.conftest import SAMPLE_CONTRACT, Snapshot, table_rows
from tests.web_fixtures import load_sample_parties

SAMPLE_POLICY = Path(str(files("jikoflow").joinpath("sample/policy.yaml")))


@pytest.fixture
def url(db_url: str) -> str:
    """A database with the sample parties."""
    load_sample_parties(db_url)
    return db_url


def _load(url: str, text: str, principal=OPERATOR) -> dict[str, int]:
    with transaction(url) as session:
        loaded = load_policy(
            session, actor=principal, policy=parse_policy(text, "p.yaml"), name="p.yaml", text=text
        )
    return loaded.changed


def test_the_loaded_policy_is_what_contracts_and_organisations_read(url: str) -> None:
    policy, text = read_policy(SAMPLE_POLICY)
    with transaction(url) as session:
        loaded = load_policy(session, actor=OPERATOR, policy=policy, name="policy.yaml", text=text)
    assert loaded.changed == {"defaults": 1, "contracts": 1, "organizations": 2}

    with reading(url) as session:
        contract = contract_policy(session, SAMPLE_CONTRACT)
        unknown = contract_policy(session, "C-NOT-LOADED")
        nerima = organization_policy(session, "nerima")
        delta = organization_policy(session, "delta")
        trail = events_of(session, POLICY_CHAIN)

    assert contract.business_days is True
    assert str(contract.clocks.root_cause.due) == "10d"
    assert str(contract.clocks.record.warn) == "3d"
    assert unknown == ContractPolicy()
    assert (nerima.require_totp, delta.require_totp) == (True, False)
    assert [e.action for e in trail] == ["policy_loaded"]
    assert trail[0].actor == "@operator"
    assert trail[0].detail["file"] == "policy.yaml"
    assert len(trail[0].detail["sha256"]) == 64
    assert verify_chain(trail)


def test_loading_the_same_file_again_changes_nothing(
    url: str, snapshot: Callable[[], Snapshot]
) -> None:
    text = SAMPLE_POLICY.read_text(encoding="utf-8")
    _load(url, text)
    before = table_rows(url)

    assert _load(url, text) == {"defaults": 0, "contracts": 0, "organizations": 0}
    assert table_rows(url) == before


def test_the_file_is_the_whole_truth_a_section_left_out_goes(url: str) -> None:
    _load(url, SAMPLE_POLICY.read_text(encoding="utf-8"))

    changed = _load(url, "defaults: {require_totp: true}\n")

    assert changed == {"defaults": 1, "contracts": 1, "organizations": 2}
    with reading(url) as session:
        assert contract_policy(session, SAMPLE_CONTRACT) == ContractPolicy()
        assert organization_policy(session, "delta").require_totp is True


def test_a_refused_file_changes_nothing(url: str) -> None:
    _load(url, SAMPLE_POLICY.read_text(encoding="utf-8"))
    before = table_rows(url)
    bad = (
        "defaults: {business_days: true}\n"
        "organizations: [{id: nerima, require_totp: false}]\n"
        "contracts: [{id: C-2026-001}, {id: C-NOPE}]\n"
    )

    with pytest.raises(BadInput) as raised:
        _load(url, bad)

    assert str(raised.value) == "p.yaml: contracts[1].id: unknown contract 'C-NOPE'"
    assert table_rows(url) == before
    with pytest.raises(BadInput, match=r"organizations\[0\]\.id: unknown organisation 'ghost'"):
        _load(url, "organizations: [{id: ghost, require_totp: true}]\n")


def test_only_the_operator_loads_a_policy(url: str) -> None:
    before = table_rows(url)
    for via in (Via.WEB, Via.API, Via.CLI):
        with pytest.raises(Forbidden):
            _load(url, "defaults: {require_totp: true}\n", principal=person("tanaka", via))
    assert table_rows(url) == before


def test_policy_commands(
    cli: Callable[..., CliResult], sqlite_env: Env, parties_file: Path, tmp_path: Path
) -> None:
    assert cli("parties", "load", parties_file).code == 0

    loaded = cli("policy", "load", SAMPLE_POLICY)
    again = cli("policy", "load", SAMPLE_POLICY, "--json")
    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text("contracts: [{id: C-2026-001, clocks: {root_cause: {due: 2d}}}]\n")
    bad = cli("policy", "load", bad_file)
    shown = cli("policy", "show", "--json")
    text = cli("policy", "show")

    assert loaded.code == 0
    assert "1 defaults, 1 contracts, 2 organizations changed" in loaded.out
    assert again.json()["changed"] == {"defaults": 0, "contracts": 0, "organizations": 0}
    assert bad.code == 2
    assert (
        bad.err
        == "error: bad.yaml: contracts[0].clocks.root_cause: warn must be shorter than due\n"
    )
    data = shown.json()
    assert data["contracts"][SAMPLE_CONTRACT]["clocks"]["root_cause"] == {
        "due": "10d",
        "warn": "2d",
    }
    assert data["defaults"]["escalation"]["day_scale"]["at"] == "09:00"
    assert data["organizations"]["nerima"] == {"require_totp": True}
    assert data["organizations"]["delta"] == {"require_totp": False}
    assert data["loaded_at"].endswith("+00:00"), data["loaded_at"]
    assert text.code == 0
    assert "C-2026-001:" in text.out
    assert "root_cause:" in text.out
    missing = cli("policy", "load", tmp_path / "missing.yaml")
    assert missing.code == 2
    assert missing.err.startswith("error: ")
    assert "cannot read" in missing.err
