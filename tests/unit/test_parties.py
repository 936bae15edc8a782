"""The parties file: every refusal names its place; loading writes exactly what changed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from jikoflow.models.db import reading, transaction
from jikoflow.models.enums import OrgKind, Role, Sector
from jikoflow.models.errors import BadInput
from jikoflow.models.parties.file import read_parties
from jikoflow.models.parties.queries import chain_for, get_contract
from jikoflow.models.parties.service import load_parties
from jikoflow.models.parties.tables import Delegation, Organization, Person

Edit = Callable[[dict[str, Any]], object]


def _org(data: dict[str, Any], org_id: str) -> dict[str, Any]:
    return next(o for o in data["organizations"] if o["id"] == org_id)


def _delegations(data: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = data["contracts"][0]["delegations"]
    return result


def _set(target: Callable[[dict[str, Any]], dict[str, Any]], key: str, value: Any) -> Edit:
    return lambda data: target(data).__setitem__(key, value)


REFUSALS: list[tuple[str, Edit, str, str]] = [
    (
        "unknown-client",
        _set(lambda d: d["contracts"][0], "client", "setagaya"),
        "contracts[0].client",
        "unknown organisation 'setagaya'",
    ),
    (
        "unknown-contractor",
        _set(lambda d: d["contracts"][0], "contractor", "nobody"),
        "contracts[0].contractor",
        "unknown organisation",
    ),
    (
        "unknown-delegate",
        _set(lambda d: _delegations(d)[1], "to", "ghost"),
        "contracts[0].delegations[1].to",
        "unknown organisation 'ghost'",
    ),
    (
        "unknown-delegator",
        _set(lambda d: _delegations(d)[0], "from", "ghost"),
        "contracts[0].delegations[0].from",
        "unknown organisation 'ghost'",
    ),
    (
        "duplicate-organisation",
        lambda d: d["organizations"].append(dict(_org(d, "beta"), people=[])),
        "organizations[5].id",
        "duplicate id 'beta'",
    ),
    (
        "duplicate-person",
        lambda d: _org(d, "beta")["people"].append({"id": "tanaka", "name": "X", "role": "worker"}),
        "people[",
        "duplicate id 'tanaka'",
    ),
    (
        "duplicate-contract",
        lambda d: d["contracts"].append(dict(d["contracts"][0])),
        "contracts[1].id",
        "duplicate id",
    ),
    (
        "unknown-kind",
        _set(lambda d: _org(d, "beta"), "kind", "vendor"),
        "[2].kind",
        "subcontractor",
    ),
    (
        "unknown-role",
        _set(lambda d: _org(d, "acme")["people"][0], "role", "boss"),
        "organizations[1].people[0].role",
        "'worker'",
    ),
    (
        "cycle",
        lambda d: _delegations(d).__setitem__(0, {"from": "delta", "to": "beta"}),
        "contracts[0].delegations",
        "cycle",
    ),
    (
        "two-parents",
        lambda d: _delegations(d).append({"from": "acme", "to": "gamma"}),
        "contracts[0].delegations",
        "gamma has two parents",
    ),
    (
        "delegating-the-contractor",
        lambda d: _delegations(d).append({"from": "beta", "to": "acme"}),
        "contracts[0].delegations",
        "two parents",
    ),
    (
        "client-not-a-client",
        _set(lambda d: d["contracts"][0], "client", "beta"),
        "contracts[0].client",
        "not of kind client",
    ),
    (
        "invalid-date-text",
        _set(lambda d: _delegations(d)[0], "approved_at", "someday"),
        "contracts[0].delegations[0].approved_at",
        "date",
    ),
    (
        "unknown-field",
        _set(lambda d: _org(d, "acme"), "colour", "red"),
        "organizations[1].colour",
        "Extra inputs",
    ),
    ("empty-id", _set(lambda d: _org(d, "acme"), "id", ""), "organizations[1].id", "at least"),
    (
        "two-role-addresses",
        _set(lambda d: _org(d, "acme"), "email", "a@example.jp, b@example.jp"),
        "organizations[1].email",
        "should match pattern",
    ),
    (
        "a-header-in-an-address",
        _set(lambda d: _org(d, "acme")["people"][0], "email", "x@example.jp\nBcc: y@e.jp"),
        "organizations[1].people[0].email",
        "should match pattern",
    ),
    (
        "unknown-sector",
        _set(lambda d: _org(d, "nerima"), "sector", "municipal"),
        "organizations[0].sector",
        "'private'",
    ),
    (
        "empty-addressee",
        _set(lambda d: _org(d, "nerima"), "addressee", ""),
        "organizations[0].addressee",
        "at least",
    ),
    (
        "long-representative",
        _set(lambda d: _org(d, "acme"), "representative", "長" * 201),
        "organizations[1].representative",
        "at most",
    ),
]


@pytest.mark.parametrize(
    ("edit", "place", "message"),
    [r[1:] for r in REFUSALS],
    ids=[r[0] for r in REFUSALS],
)
def test_a_wrong_parties_file_is_refused_naming_the_place(
    parties_variant: Callable[[Edit], Path], edit: Edit, place: str, message: str
) -> None:
    path = parties_variant(edit)
    with pytest.raises(BadInput) as refused:
        read_parties(path)
    assert refused.value.field.startswith(path.name)
    assert place in refused.value.field
    assert message in refused.value.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("organizations: [\n  - {id: x", "unreadable YAML (line 2)"),
        ("- just\n- a list\n", "expected a mapping"),
        ("", "expected a mapping"),
        (
            "contracts:\n  - {id: C, title: T, client: a, contractor: b, delegations:\n"
            "      [{from: a, to: b, approved_at: 2026-02-30}]}\n",
            "invalid value",
        ),
    ],
    ids=["broken-yaml", "not-a-mapping", "empty", "impossible-date"],
)
def test_an_unreadable_file_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "parties.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput) as refused:
        read_parties(path)
    assert message in refused.value.message


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="cannot read"):
        read_parties(tmp_path / "absent.yaml")


def test_the_sample_file_is_valid(parties_file: Path) -> None:
    parties = read_parties(parties_file)
    assert [o.id for o in parties.organizations] == ["nerima", "acme", "beta", "gamma", "delta"]
    contract = parties.contracts[0]
    assert (contract.client, contract.contractor) == ("nerima", "acme")
    assert contract.delegations[1].upstream_notified_at == date(2026, 4, 9)


def _load(url: str, path: Path) -> dict[str, int]:
    with transaction(url) as session:
        return load_parties(session, read_parties(path))


def test_loading_counts_everything_once_then_nothing(sqlite_url: str, parties_file: Path) -> None:
    first = _load(sqlite_url, parties_file)
    assert first == {"organizations": 5, "people": 7, "contracts": 1, "delegations": 3}
    assert _load(sqlite_url, parties_file) == dict.fromkeys(first, 0)
    with reading(sqlite_url) as session:
        acme = session.get(Organization, "acme")
        assert acme is not None
        assert (acme.kind, acme.slack_channel) == (OrgKind.CONTRACTOR, "C0ACME")
        assert acme.representative == "代表取締役 山田 太一"
        nerima = session.get(Organization, "nerima")
        assert nerima is not None
        assert (nerima.addressee, nerima.sector) == ("練馬区長", Sector.PUBLIC)
        sato = session.get(Person, "sato")
        assert sato is not None
        assert (sato.org_id, sato.role, sato.slack_user) == ("acme", Role.WORKER, None)


def test_how_the_record_addresses_a_client_is_loaded_and_changed(
    sqlite_url: str, parties_file: Path, parties_variant: Callable[[Edit], Path]
) -> None:
    _load(sqlite_url, parties_file)

    def edit(data: dict[str, Any]) -> None:
        _org(data, "nerima").update(addressee="練馬区長 前川 燿男", sector="private")
        _org(data, "gamma").pop("representative")

    assert _load(sqlite_url, parties_variant(edit))["organizations"] == 2
    with reading(sqlite_url) as session:
        nerima = session.get(Organization, "nerima")
        gamma = session.get(Organization, "gamma")
        assert nerima is not None
        assert gamma is not None
        assert (nerima.addressee, nerima.sector) == ("練馬区長 前川 燿男", Sector.PRIVATE)
        assert gamma.representative is None


def test_a_changed_file_updates_only_what_changed(
    sqlite_url: str, parties_file: Path, parties_variant: Callable[[Edit], Path]
) -> None:
    _load(sqlite_url, parties_file)

    def edit(data: dict[str, Any]) -> None:
        _org(data, "beta")["name"] = "ベータ株式会社"
        _org(data, "delta")["people"][1]["role"] = "manager"
        # delta moves up under beta, approved later; gamma's tier stays as it was.
        _delegations(data)[2] = {"from": "beta", "to": "delta", "approved_at": "2026-06-01"}

    changed = _load(sqlite_url, parties_variant(edit))
    assert changed == {"organizations": 1, "people": 1, "contracts": 0, "delegations": 1}
    with reading(sqlite_url) as session:
        chain = chain_for(session, get_contract(session, "C-2026-001"))
        assert chain.recipients_for("delta") == ["beta", "acme", "nerima"]
        assert chain.tiers["delta"].approved_at == date(2026, 6, 1)
        assert chain.tiers["gamma"].approved_at == date(2026, 4, 10)


def test_an_organisations_role_address_is_loaded_and_changed(
    sqlite_url: str, parties_file: Path, parties_variant: Callable[[Edit], Path]
) -> None:
    _load(sqlite_url, parties_file)
    with reading(sqlite_url) as session:
        assert session.get_one(Organization, "nerima").email == "joho@example.lg.jp"
        assert session.get_one(Organization, "acme").email is None
    changed = _load(sqlite_url, parties_variant(_set(lambda d: _org(d, "acme"), "email", "x@a.jp")))
    assert changed["organizations"] == 1
    with reading(sqlite_url) as session:
        assert session.get_one(Organization, "acme").email == "x@a.jp"


def test_a_delegation_removed_from_the_file_is_removed(
    sqlite_url: str, parties_file: Path, parties_variant: Callable[[Edit], Path]
) -> None:
    _load(sqlite_url, parties_file)
    changed = _load(sqlite_url, parties_variant(lambda d: _delegations(d).pop()))
    assert changed["delegations"] == 1
    with reading(sqlite_url) as session:
        children = session.exec(select(Delegation.child_id)).all()
    assert sorted(children) == ["beta", "gamma"]
