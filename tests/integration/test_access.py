"""Who may see and do what (DESIGN.md §8), as a table, through the services.

An incident at gamma (a second-tier subcontractor) of C-2026-001. Every act is tried by a
manager and a worker of: gamma itself, beta above it, 乙 (acme), 甲 (nerima), delta below it,
epsilon on a sibling branch, and zeta under another contract. Allowed acts succeed; refused ones
answer "unknown" (404) when the person may not even see the incident, "forbidden" (403)
otherwise, and change nothing. One database per backend serves the whole table: an allowed act
runs in a transaction that is rolled back, a refused one through the committing transaction
every surface uses (which must leave every table as it was).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import Session

from jikoflow.models.access import OPERATOR, person
from jikoflow.models.db import get_engine, transaction
from jikoflow.models.enums import IncidentKind, Publication
from jikoflow.models.errors import Forbidden, NotFound
from jikoflow.models.facts import service as facts
from jikoflow.models.facts.schemas import (
    Facts,
    InstructInput,
    PublishInput,
    ReclassifyInput,
    ReturnInput,
)
from jikoflow.models.incidents.schemas import DeclareInput
from jikoflow.models.incidents.service import (
    acknowledge,
    declare,
    incident_status,
    list_incidents,
)
from jikoflow.models.parties.file import read_parties
from jikoflow.models.parties.service import load, trees
from jikoflow.models.response.schemas import CauseInput, ContainInput, MeasureInput
from jikoflow.models.response.service import (
    accept,
    add_measure,
    contain,
    record_cause,
    record_document,
    submit,
)
from tests.integration.conftest import table_rows

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)

PARTIES = {
    "organizations": [
        {
            "id": "nerima",
            "name": "練馬区",
            "kind": "client",
            "people": [
                {"id": "tanaka", "name": "田中", "role": "manager"},
                {"id": "yoshida", "name": "吉田", "role": "worker"},
            ],
        },
        {
            "id": "acme",
            "name": "アクメ",
            "kind": "contractor",
            "people": [
                {"id": "suzuki", "name": "鈴木", "role": "manager"},
                {"id": "sato", "name": "佐藤", "role": "worker"},
            ],
        },
        {
            "id": "beta",
            "name": "ベータ",
            "kind": "subcontractor",
            "people": [
                {"id": "takahashi", "name": "高橋", "role": "manager"},
                {"id": "hayashi", "name": "林", "role": "worker"},
            ],
        },
        {
            "id": "gamma",
            "name": "ガンマ",
            "kind": "subcontractor",
            "people": [
                {"id": "ito", "name": "伊藤", "role": "manager"},
                {"id": "ogawa", "name": "小川", "role": "worker"},
            ],
        },
        {
            "id": "delta",
            "name": "デルタ",
            "kind": "subcontractor",
            "people": [
                {"id": "watanabe", "name": "渡辺", "role": "manager"},
                {"id": "yamamoto", "name": "山本", "role": "worker"},
            ],
        },
        {
            "id": "epsilon",
            "name": "イプシロン",
            "kind": "subcontractor",
            "people": [
                {"id": "kato", "name": "加藤", "role": "manager"},
                {"id": "kimura", "name": "木村", "role": "worker"},
            ],
        },
        {"id": "suginami", "name": "杉並区", "kind": "client", "people": []},
        {
            "id": "zeta",
            "name": "ゼータ",
            "kind": "contractor",
            "people": [
                {"id": "nakamura", "name": "中村", "role": "manager"},
                {"id": "mori", "name": "森", "role": "worker"},
            ],
        },
    ],
    "contracts": [
        {
            "id": "C-2026-001",
            "title": "住民情報システム運用保守業務",
            "client": "nerima",
            "contractor": "acme",
            "delegations": [
                {"from": "acme", "to": "beta", "approved_at": "2026-04-01"},
                {"from": "beta", "to": "gamma", "approved_at": "2026-04-10"},
                {"from": "gamma", "to": "delta", "approved_at": "2026-05-01"},
                {"from": "beta", "to": "epsilon", "approved_at": "2026-05-01"},
            ],
        },
        {"id": "C-2026-002", "title": "別の契約", "client": "suginami", "contractor": "zeta"},
    ],
}

# (manager, worker) of each organisation, by how it stands to the incident at gamma.
PEOPLE = {
    "own": ("ito", "ogawa"),
    "above": ("takahashi", "hayashi"),
    "contractor": ("suzuki", "sato"),
    "client": ("tanaka", "yoshida"),
    "below": ("watanabe", "yamamoto"),
    "sibling": ("kato", "kimura"),
    "other_contract": ("nakamura", "mori"),
}
OK, FORBIDDEN, UNKNOWN = "ok", "forbidden", "unknown"
_HIDDEN = {"below": UNKNOWN, "sibling": UNKNOWN, "other_contract": UNKNOWN}


def _table(**rows: tuple[str, str]) -> dict[str, tuple[str, str]]:
    return {**dict.fromkeys(_HIDDEN, (UNKNOWN, UNKNOWN)), **rows}


# act → standing → (manager's outcome, worker's outcome)
EXPECTED: dict[str, dict[str, tuple[str, str]]] = {
    "see": _table(own=(OK, OK), above=(OK, OK), contractor=(OK, OK), client=(OK, OK)),
    "record": _table(own=(OK, OK), above=(OK, OK), contractor=(OK, OK), client=(OK, OK)),
    **dict.fromkeys(
        ("contain", "cause", "prevent", "facts", "reclassify"),
        _table(
            own=(OK, OK),
            above=(OK, FORBIDDEN),
            contractor=(OK, FORBIDDEN),
            client=(OK, FORBIDDEN),
        ),
    ),
    "submit": _table(
        own=(OK, FORBIDDEN),
        above=(FORBIDDEN, FORBIDDEN),
        contractor=(OK, FORBIDDEN),
        client=(FORBIDDEN, FORBIDDEN),
    ),
    # 甲's APPI duties are not shown to the other tiers: its PPC draft is unknown to them.
    "ppc": _table(
        own=(UNKNOWN, UNKNOWN),
        above=(UNKNOWN, UNKNOWN),
        contractor=(UNKNOWN, UNKNOWN),
        client=(OK, FORBIDDEN),
    ),
    **dict.fromkeys(
        ("accept", "return", "instruct", "publish"),
        _table(
            own=(FORBIDDEN, FORBIDDEN),
            above=(FORBIDDEN, FORBIDDEN),
            contractor=(FORBIDDEN, FORBIDDEN),
            client=(OK, FORBIDDEN),
        ),
    ),
    # Each acknowledges the report to its own organisation; gamma receives none.
    "acknowledge": _table(
        own=(FORBIDDEN, FORBIDDEN),
        above=(OK, FORBIDDEN),
        contractor=(OK, FORBIDDEN),
        client=(OK, FORBIDDEN),
    ),
}
# Declaring at gamma: its own people, or managers above it; nobody else in the contract.
DECLARE = {
    "own": (OK, OK),
    "above": (OK, FORBIDDEN),
    "contractor": (OK, FORBIDDEN),
    "client": (OK, FORBIDDEN),
    "below": (FORBIDDEN, FORBIDDEN),
    "sibling": (FORBIDDEN, FORBIDDEN),
    "other_contract": (UNKNOWN, UNKNOWN),
}


@pytest.fixture(scope="module")
def parties_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("access") / "parties.yaml"
    path.write_text(yaml.safe_dump(PARTIES, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def incidents(module_db_url: str, parties_path: Path) -> dict[str, str]:
    """Two incidents at gamma: one ready to submit, one submitted (for accepting)."""
    db_url = module_db_url
    ids = {}
    with transaction(db_url) as session:
        load(session, actor=OPERATOR, parties=read_parties(parties_path), source="access")
    for name in ("open", "submitted"):
        with transaction(db_url) as session:
            data = DeclareInput(
                contract="C-2026-001", org="gamma", kind=IncidentKind.LEAK, summary="x"
            )
            incident = declare(session, actor=OPERATOR, data=data, now=T0).incident.id
            contain(
                session,
                actor=OPERATOR,
                incident_id=incident,
                data=ContainInput(action="a", done=True),
                now=T0,
            )
            record_cause(
                session, actor=OPERATOR, incident_id=incident, data=CauseInput(text="c"), now=T0
            )
            add_measure(
                session,
                actor=OPERATOR,
                incident_id=incident,
                data=MeasureInput(measure="m"),
                now=T0,
            )
            if name == "submitted":
                submit(session, actor=OPERATOR, incident_id=incident, now=T0)
        ids[name] = incident
    return ids


ACTS: dict[str, Callable[[Session, Any, dict[str, str]], object]] = {
    "see": lambda s, a, i: incident_status(s, actor=a, incident_id=i["open"]),
    "record": lambda s, a, i: record_document(s, actor=a, incident_id=i["open"]),
    "contain": lambda s, a, i: contain(
        s, actor=a, incident_id=i["open"], data=ContainInput(action="x")
    ),
    "cause": lambda s, a, i: record_cause(
        s, actor=a, incident_id=i["open"], data=CauseInput(text="x")
    ),
    "prevent": lambda s, a, i: add_measure(
        s, actor=a, incident_id=i["open"], data=MeasureInput(measure="x")
    ),
    "submit": lambda s, a, i: submit(s, actor=a, incident_id=i["open"]),
    "accept": lambda s, a, i: accept(s, actor=a, incident_id=i["submitted"]),
    "acknowledge": lambda s, a, i: acknowledge(s, actor=a, incident_id=i["open"]),
    "facts": lambda s, a, i: facts.record_facts(
        s, actor=a, incident_id=i["open"], data=Facts(people=7)
    ),
    "reclassify": lambda s, a, i: facts.reclassify(
        s, actor=a, incident_id=i["open"], data=ReclassifyInput(suspected=True, reason="r")
    ),
    "return": lambda s, a, i: facts.return_record(
        s, actor=a, incident_id=i["submitted"], data=ReturnInput(reason="r")
    ),
    "instruct": lambda s, a, i: facts.instruct(
        s, actor=a, incident_id=i["open"], data=InstructInput(text="t")
    ),
    "publish": lambda s, a, i: facts.publish(
        s, actor=a, incident_id=i["open"], data=PublishInput(decision=Publication.PUBLISH)
    ),
    "ppc": lambda s, a, i: facts.ppc_draft(s, actor=a, incident_id=i["open"]),
}
CASES = [
    (act, standing, role) for act in ACTS for standing in PEOPLE for role in ("manager", "worker")
]


def _outcome(run: Callable[[], object]) -> str:
    try:
        run()
    except NotFound:
        return UNKNOWN
    except Forbidden:
        return FORBIDDEN
    return OK


def _tried(db_url: str, run: Callable[[Session], object], expected: str) -> str:
    """Run an act: rolled back when it is expected to succeed, committed otherwise."""
    if expected == OK:
        with Session(get_engine(db_url)) as session:
            try:
                return _outcome(lambda: run(session))
            finally:
                session.rollback()
    before = table_rows(db_url, reflect=False)

    def committing() -> None:
        with transaction(db_url) as session:
            run(session)

    outcome = _outcome(committing)
    assert table_rows(db_url, reflect=False) == before, "a refused act changed the database"
    return outcome


@pytest.mark.parametrize(("act", "standing", "role"), CASES)
def test_every_act_by_every_standing(
    module_db_url: str, incidents: dict[str, str], act: str, standing: str, role: str
) -> None:
    who = person(PEOPLE[standing][0 if role == "manager" else 1])
    expected = EXPECTED[act][standing][0 if role == "manager" else 1]
    outcome = _tried(module_db_url, lambda s: ACTS[act](s, who, incidents), expected)
    assert outcome == expected


@pytest.mark.parametrize("standing", list(PEOPLE))
@pytest.mark.parametrize("role", ["manager", "worker"])
def test_who_may_declare_at_gamma(
    module_db_url: str, incidents: dict[str, str], standing: str, role: str
) -> None:
    who = person(PEOPLE[standing][0 if role == "manager" else 1])
    data = DeclareInput(contract="C-2026-001", org="gamma", kind=IncidentKind.LEAK, summary="y")
    expected = DECLARE[standing][0 if role == "manager" else 1]
    outcome = _tried(module_db_url, lambda s: declare(s, actor=who, data=data), expected)
    assert outcome == expected


def test_lists_show_only_what_each_person_may_see(
    module_db_url: str, incidents: dict[str, str]
) -> None:
    with Session(get_engine(module_db_url)) as session:
        at_delta = DeclareInput(
            contract="C-2026-001", org="delta", kind=IncidentKind.LEAK, summary="z"
        )
        below = declare(session, actor=OPERATOR, data=at_delta).incident.id
        session.flush()
        expected = {
            "ito": {incidents["open"], incidents["submitted"], below},  # delta is below gamma
            "watanabe": {below},
            "kato": set(),
            "nakamura": set(),
            "tanaka": {incidents["open"], incidents["submitted"], below},
        }
        for who, seen in expected.items():
            listed = {row.id for row in list_incidents(session, actor=person(who))}
            assert listed == seen, who
        assert {t.id for t in trees(session, actor=person("nakamura"))} == {"C-2026-002"}
        with pytest.raises(NotFound):
            list_incidents(session, actor=person("nakamura"), contract_id="C-2026-001")
        session.rollback()
