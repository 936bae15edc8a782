"""Who may do what with drills (DESIGN.md §8), through the drill services on SQLite and
PostgreSQL: each act against people at every place — 甲, 乙, tiers on the drill's path, the
origin, a sibling branch the tabletop never reached, another contract — as a table. A refused
act is refused the right way (403 for what the person may see, 404 for what they may not, so a
drill's existence is not revealed) and changes nothing."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import select

from jikoflow.drills import plan_service, service
from jikoflow.drills.rules import DrillType, FindingState
from jikoflow.drills.schemas import (
    AckInput,
    FindingChange,
    FindingInput,
    PlanInput,
    PolicyInput,
    RespondInput,
    RunInput,
)
from jikoflow.drills.tables import Drill, DrillFinding, DrillParticipant
from jikoflow.models.access import OPERATOR, Principal, person
from jikoflow.models.db import get_engine, reading, transaction
from jikoflow.models.errors import BadInput, Forbidden, NotFound
from jikoflow.models.parties.file import PartiesFile
from jikoflow.models.parties.service import load
from tests.integration.drill_helpers import CONTRACT, T0

NOW = T0 + timedelta(minutes=5)
OK, FORBIDDEN, UNKNOWN = "ok", "403", "404"

# Who stands where. The tabletop happens at delta (third tier) and reaches delta and every
# organisation above it; the contact check reaches the whole chain, kappa included.
PEOPLE = {
    "tanaka": "甲 manager",
    "suzuki": "乙 manager",
    "sato": "乙 worker",
    "takahashi": "manager above the origin (beta)",
    "watanabe": "origin manager (delta)",
    "yamamoto": "origin worker (delta)",
    "kimura": "manager of a sibling branch (kappa, under 乙)",
    "okada": "乙 manager of another contract",
}


def add_sibling_and_other_contract(data: dict[str, Any]) -> None:
    """kappa under acme beside beta's branch, and a second contract with its own parties."""
    data["organizations"] += [
        {
            "id": "kappa",
            "name": "カッパ保守株式会社",
            "kind": "subcontractor",
            "people": [{"id": "kimura", "name": "木村 悠", "role": "manager"}],
        },
        {
            "id": "suginami",
            "name": "杉並区",
            "kind": "client",
            "people": [{"id": "ogawa", "name": "小川 誠", "role": "manager"}],
        },
        {
            "id": "omega",
            "name": "オメガ株式会社",
            "kind": "contractor",
            "people": [{"id": "okada", "name": "岡田 亮", "role": "manager"}],
        },
    ]
    data["contracts"][0]["delegations"].append(
        {"from": "acme", "to": "kappa", "approved_at": "2026-04-01"}
    )
    data["contracts"].append(
        {
            "id": "C-2026-002",
            "title": "税務システム保守",
            "client": "suginami",
            "contractor": "omega",
            "delegations": [],
        }
    )


@dataclass(frozen=True)
class World:
    """A database with both contracts, a running tabletop at delta and a contact check."""

    url: str
    tabletop: str
    contact: str


def _run(url: str, kind: DrillType, scenario: str | None = None) -> str:
    data = RunInput(contract=CONTRACT, type=kind, scenario=scenario)
    with transaction(url) as session:
        return service.run_drill(session, actor=OPERATOR, data=data, now=T0).id


@pytest.fixture
def world(db_url: str, sample_parties: dict[str, Any]) -> World:
    data = copy.deepcopy(sample_parties)
    add_sibling_and_other_contract(data)
    with transaction(db_url) as session:
        load(session, actor=OPERATOR, parties=PartiesFile.model_validate(data), source="test")
    tabletop = _run(db_url, DrillType.TABLETOP, "lost-forms-tier3")
    return World(db_url, tabletop, _run(db_url, DrillType.CONTACT))


@cache
def _tables(url: str) -> list[sa.Table]:
    """The database's tables, reflected once (reflection costs more than reading them)."""
    metadata = sa.MetaData()
    metadata.reflect(get_engine(url))
    return [t for name, t in sorted(metadata.tables.items()) if name != "alembic_version"]


def table_rows(url: str) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, comparable with `==`."""
    with get_engine(url).connect() as conn:
        return {
            t.name: sorted(tuple(str(v) for v in row) for row in conn.execute(sa.select(t)))
            for t in _tables(url)
        }


def actor(who: str | None) -> Principal:
    return OPERATOR if who is None else person(who)


def attempt(url: str, act: Callable[..., Any], who: str | None, **kwargs: Any) -> str:
    """Do `act` as `who` in its own transaction; what came of it. A refusal must change
    nothing at all."""
    before = table_rows(url)
    try:
        with transaction(url) as session:
            act(session, actor=actor(who), **kwargs)
    except Forbidden:
        outcome = FORBIDDEN
    except NotFound:
        outcome = UNKNOWN
    else:
        return OK
    assert table_rows(url) == before, (act.__name__, who)
    return outcome


def outcomes(url: str, act: Callable[..., Any], people: dict[str, str], **kwargs: Any) -> None:
    """Every person of `people` gets the expected answer to `act`."""
    got = {who: attempt(url, act, who, **kwargs) for who in people}
    assert got == people, act.__name__


def test_managers_of_otsu_or_ko_run_drills(world: World) -> None:
    data = RunInput(contract=CONTRACT, type=DrillType.CONTACT)
    expected = {
        "tanaka": OK,
        "suzuki": OK,
        "sato": FORBIDDEN,
        "takahashi": FORBIDDEN,
        "watanabe": FORBIDDEN,
        "yamamoto": FORBIDDEN,
        "kimura": FORBIDDEN,
        "okada": UNKNOWN,  # another contract: not even told it exists
    }
    outcomes(world.url, service.run_drill, expected, data=data, now=NOW)
    with reading(world.url) as session:
        starters = session.exec(select(Drill.started_by).order_by(Drill.started_at)).all()
    assert sorted(starters) == ["@operator", "@operator", "suzuki", "tanaka"]
    unknown = RunInput(contract="C-NOPE", type=DrillType.CONTACT)
    assert attempt(world.url, service.run_drill, "suzuki", data=unknown) == UNKNOWN


def test_a_person_runs_only_shipped_scenarios(world: World, tmp_path: Any) -> None:
    own = tmp_path / "own.yaml"
    own.write_text("id: own\n", encoding="utf-8")
    data = RunInput(contract=CONTRACT, type=DrillType.TABLETOP, scenario=str(own))
    with transaction(world.url) as session, pytest.raises(BadInput) as caught:
        service.run_drill(session, actor=person("suzuki"), data=data, now=NOW)
    assert caught.value.field == "scenario"
    assert "unknown scenario" in caught.value.message
    shipped = RunInput(contract=CONTRACT, type=DrillType.TABLETOP, scenario="lost-forms-tier3")
    assert attempt(world.url, service.run_drill, "suzuki", data=shipped, now=NOW) == OK


SEE_TABLETOP = {
    "tanaka": OK,
    "suzuki": OK,
    "sato": OK,
    "takahashi": OK,
    "watanabe": OK,
    "yamamoto": OK,
    "kimura": UNKNOWN,  # a sibling branch is not on the tabletop's path
    "okada": UNKNOWN,
}


@pytest.mark.parametrize("act", [service.show_drill, service.drill_report])
def test_people_of_reached_organisations_see_a_drill(world: World, act: Callable[..., Any]) -> None:
    outcomes(world.url, act, SEE_TABLETOP, drill_id=world.tabletop)
    # The contact check reached the whole chain, the sibling branch too.
    outcomes(world.url, act, SEE_TABLETOP | {"kimura": OK}, drill_id=world.contact)
    outcomes(world.url, act, dict.fromkeys(PEOPLE, UNKNOWN), drill_id="DRL-NOPE")
    with reading(world.url) as session, pytest.raises(NotFound) as caught:
        act(session, actor=person("ghost"), drill_id=world.tabletop)
    assert caught.value.field == "by"  # an unknown person is named as such


def test_lists_show_only_the_drills_a_person_may_see(world: World) -> None:
    def listed(who: str | None) -> list[str]:
        with reading(world.url) as session:
            return [d.id for d in service.list_drills(session, actor=actor(who))]

    both = sorted([world.tabletop, world.contact])
    assert sorted(listed(None)) == both
    assert sorted(listed("yamamoto")) == both
    assert listed("kimura") == [world.contact]
    assert listed("okada") == []
    with reading(world.url) as session, pytest.raises(NotFound):
        service.list_drills(session, actor=person("okada"), contract_id=CONTRACT)


LEADS = {
    "tanaka": OK,
    "suzuki": OK,
    "sato": FORBIDDEN,
    "takahashi": FORBIDDEN,
    "watanabe": FORBIDDEN,
    "yamamoto": FORBIDDEN,
    "kimura": UNKNOWN,
    "okada": UNKNOWN,
}


def test_managers_of_otsu_or_ko_release_injects(world: World) -> None:
    outcomes(world.url, service.next_inject, LEADS, drill_id=world.tabletop, now=NOW)
    with reading(world.url) as session:
        assert session.get_one(Drill, world.tabletop).released == 2  # tanaka's and suzuki's


def test_managers_of_otsu_or_ko_end_drills(world: World) -> None:
    # Contact checks (cheaper to start than tabletops) reach kappa: its manager may see one.
    for who, expected in (LEADS | {"kimura": FORBIDDEN}).items():
        drill_id = _run(world.url, DrillType.CONTACT)
        assert attempt(world.url, service.end_drill, who, drill_id=drill_id, now=NOW) == expected
        with reading(world.url) as session:
            state = session.get_one(Drill, drill_id).state
        assert (state == "closed") == (expected == OK), who


def test_managers_of_otsu_or_ko_record_and_update_findings(world: World) -> None:
    data = FindingInput(text="連絡網の更新", owner="ito")
    outcomes(world.url, service.add_finding, LEADS, drill_id=world.tabletop, data=data, now=NOW)
    with reading(world.url) as session:
        findings = session.exec(select(DrillFinding)).all()
    assert sorted(f.created_by or "" for f in findings) == ["suzuki", "tanaka"]
    change = FindingChange(state=FindingState.IN_PROGRESS, note="対応中")
    outcomes(
        world.url, service.update_finding, LEADS, finding_id=findings[0].id, data=change, now=NOW
    )
    outcomes(
        world.url,
        service.update_finding,
        dict.fromkeys(PEOPLE, UNKNOWN),
        finding_id=9999,
        data=change,
        now=NOW,
    )
    # An owner from another contract is refused as bad input, whoever asks.
    stranger = FindingInput(text="x", owner="okada")
    with transaction(world.url) as session, pytest.raises(BadInput) as caught:
        service.add_finding(session, actor=OPERATOR, drill_id=world.tabletop, data=stranger)
    assert caught.value.field == "owner"


def test_findings_are_listed_to_those_who_see_their_drill(world: World) -> None:
    with transaction(world.url) as session:
        data = FindingInput(text="連絡網の更新")
        service.add_finding(session, actor=OPERATOR, drill_id=world.tabletop, data=data)

    def listed(who: str, **kwargs: Any) -> int:
        with reading(world.url) as session:
            return len(service.list_findings(session, actor=person(who), **kwargs))

    assert listed("yamamoto") == 1
    assert listed("kimura") == 0
    with reading(world.url) as session, pytest.raises(NotFound) as caught:
        service.list_findings(session, actor=person("kimura"), drill_id=world.tabletop)
    assert caught.value.field == "drill"


TAKE_PART = SEE_TABLETOP


def test_people_of_reached_organisations_answer_and_attend(world: World) -> None:
    with transaction(world.url) as session:
        service.next_inject(session, actor=OPERATOR, drill_id=world.tabletop, now=NOW)
    answer = RespondInput(inject=1, role="origin_manager", text="搬送を停止")
    outcomes(world.url, service.respond, TAKE_PART, drill_id=world.tabletop, data=answer, now=NOW)
    outcomes(world.url, service.join, TAKE_PART, drill_id=world.tabletop, now=NOW)
    with transaction(world.url) as session, pytest.raises(BadInput) as caught:
        service.join(session, actor=OPERATOR, drill_id=world.tabletop, now=NOW)
    assert caught.value.field == "by"  # the operator is nobody in particular


def test_managers_confirm_the_check_for_their_own_organisation(world: World) -> None:
    expected = {
        "tanaka": OK,
        "suzuki": OK,
        "sato": FORBIDDEN,  # a worker
        "takahashi": OK,
        "watanabe": OK,
        "yamamoto": FORBIDDEN,
        "kimura": OK,  # the contact check reached kappa
        "okada": UNKNOWN,
    }
    ack = service.acknowledge
    outcomes(world.url, ack, expected, drill_id=world.contact, data=AckInput(), now=NOW)
    with reading(world.url) as session:
        confirmed = session.exec(
            select(DrillParticipant.org_id, DrillParticipant.acknowledged_by).where(
                DrillParticipant.drill_id == world.contact,
                DrillParticipant.acknowledged_at.is_not(None),  # type: ignore[union-attr]
            )
        ).all()
    assert sorted(confirmed) == [
        ("acme", "suzuki"),
        ("beta", "takahashi"),
        ("delta", "watanabe"),
        ("kappa", "kimura"),
        ("nerima", "tanaka"),
    ]
    # A manager may not confirm for another organisation; the operator may, naming it.
    for_gamma = AckInput(org="gamma")
    refused = attempt(world.url, ack, "suzuki", drill_id=world.contact, data=for_gamma, now=NOW)
    assert refused == FORBIDDEN
    assert attempt(world.url, ack, None, drill_id=world.contact, data=for_gamma, now=NOW) == OK


def test_plans_and_the_policy_are_the_operators(world: World) -> None:
    plan = PlanInput(contract=CONTRACT, type=DrillType.CONTACT, cron="0 10 1 */6 *")
    policy = PolicyInput(contract=CONTRACT, contact_months=3)
    with transaction(world.url) as session:
        made = plan_service.plan_drill(session, actor=OPERATOR, data=plan)
    refused = dict.fromkeys(PEOPLE, FORBIDDEN)
    outcomes(world.url, plan_service.plan_drill, refused, data=plan)
    outcomes(world.url, plan_service.set_policy, refused, data=policy)
    outcomes(world.url, plan_service.list_plans, refused)
    outcomes(world.url, plan_service.unplan_drill, refused, plan_id=made.id)
    assert attempt(world.url, plan_service.set_policy, None, data=policy) == OK
    assert attempt(world.url, plan_service.unplan_drill, None, plan_id=made.id) == OK


def test_due_shows_a_person_their_organisation_and_those_below(world: World) -> None:
    def orgs(who: str | None, **kwargs: Any) -> list[tuple[str, str]]:
        with reading(world.url) as session:
            rows = plan_service.drills_due(session, actor=actor(who), now=NOW, **kwargs)
        return [(r.contract, r.org) for r in rows]

    ours = [(CONTRACT, o) for o in ("acme", "beta", "gamma", "delta", "kappa")]
    assert orgs(None) == [*ours, ("C-2026-002", "omega")]
    assert orgs("tanaka") == ours
    assert orgs("takahashi") == [(CONTRACT, o) for o in ("beta", "gamma", "delta")]
    assert orgs("okada") == [("C-2026-002", "omega")]
    with reading(world.url) as session, pytest.raises(NotFound):
        plan_service.drills_due(session, actor=person("okada"), contract_id=CONTRACT)
