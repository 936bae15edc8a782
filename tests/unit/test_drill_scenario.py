"""Tabletop scenario files: the shipped ones are valid and realistic; bad ones are refused
with the place in the file and what to fix."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from jikoflow.drills.scenario import (
    find_scenario,
    format_offset,
    parse_scenario,
    read_scenario,
    scenario_ref,
    shipped_scenarios,
)
from jikoflow.models.enums import IncidentKind
from jikoflow.models.errors import BadInput

SHIPPED = {p.stem: p for p in shipped_scenarios()}


def raw(name: str = "lost-forms-tier3") -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SHIPPED[name].read_text(encoding="utf-8"))
    return copy.deepcopy(data)


def refusal(data: Any) -> BadInput:
    with pytest.raises(BadInput) as caught:
        parse_scenario(data, "s.yaml")
    return caught.value


def test_three_shipped_scenarios_cover_the_three_situations() -> None:
    scenarios = {name: read_scenario(path) for name, path in SHIPPED.items()}
    assert {s.id for s in scenarios.values()} == set(SHIPPED)  # an id is its file name
    lost = scenarios["lost-forms-tier3"]
    assert (lost.situation.tier, lost.situation.kind) == (3, IncidentKind.LEAK)
    assert "入力用紙" in lost.title
    ransomware = scenarios["ransomware-dc-tier2"]
    assert ransomware.situation.tier == 2
    assert "ランサムウェア" in ransomware.title
    assert "データセンター" in ransomware.situation.text
    mail = scenarios["misdirected-email-mynumber"]
    assert "個人番号" in mail.situation.text
    assert "誤送信" in mail.title
    assert mail.situation.suspected is False  # the mail was sent: a confirmed leak


def test_every_shipped_inject_asks_a_named_role_within_the_exercise() -> None:
    for path in SHIPPED.values():
        scenario = read_scenario(path)
        assert len(scenario.injects) >= 4
        assert len(scenario.objectives) >= 3
        offsets = [i.at for i in scenario.injects]
        assert offsets == sorted(offsets)
        assert offsets[-1] <= scenario.duration
        for inject in scenario.injects:
            assert inject.questions
            assert all(scenario.role(q.role) is not None for q in inject.questions)


def test_a_snapshot_round_trips_for_drills_that_outlive_their_file() -> None:
    scenario = read_scenario(SHIPPED["ransomware-dc-tier2"])
    dumped = scenario.model_dump(mode="json")
    assert dumped["injects"][1]["at"] == "20m"
    assert dumped["duration"] == "3h"
    assert parse_scenario(dumped, "snapshot") == scenario


@pytest.mark.parametrize(
    ("text", "minutes"), [("15m", 15), ("1h", 60), ("1h30m", 90), (45, 45), ("0m", 0)]
)
def test_offsets_read_as_minutes_and_hours(text: Any, minutes: int) -> None:
    data = raw()
    data["injects"] = data["injects"][:1]
    data["injects"][0]["at"] = text
    assert parse_scenario(data, "s.yaml").injects[0].at == timedelta(minutes=minutes)
    assert (
        format_offset(timedelta(minutes=minutes))
        == ({0: "0m", 15: "15m", 45: "45m", 60: "1h", 90: "1h30m"}[minutes])
    )


def test_a_question_for_an_unknown_role_names_the_place_and_the_roles() -> None:
    data = raw()
    data["injects"][2]["questions"][1]["role"] = "mayor"
    error = refusal(data)
    assert error.field == "s.yaml: injects[2].questions[1].role"
    assert "mayor" in error.message
    assert "origin_manager" in error.message


def test_injects_out_of_order_or_after_the_end_are_refused() -> None:
    data = raw()
    data["injects"][3]["at"] = "5m"
    assert refusal(data).field == "s.yaml: injects[3].at"
    data = raw()
    data["injects"][-1]["at"] = "2h10m"
    error = refusal(data)
    assert error.field == "s.yaml: injects[5].at"
    assert "after the end (2h)" in error.message


@pytest.mark.parametrize(
    ("edit", "place", "words"),
    [
        (lambda d: d.pop("objectives"), "objectives", "required"),
        (lambda d: d.update(objectives=[]), "objectives", "at least 1"),
        (lambda d: d["situation"].update(kind="fire"), "situation.kind", "leak"),
        (lambda d: d["situation"].update(tier=-1), "situation.tier", "0"),
        (lambda d: d["injects"][0].update(at="soon"), "injects[0].at", "15m or 1h30m"),
        (lambda d: d["injects"][0].update(text=""), "injects[0].text", "at least 1"),
        (lambda d: d.update(owner="x"), "owner", "not permitted"),
        (lambda d: d["roles"][0].update(org="mayor"), "roles[0].org", "origin"),
        (lambda d: d["roles"].append(dict(d["roles"][0])), "roles[4].id", "duplicate"),
    ],
)
def test_each_mistake_is_named_by_its_place(edit: Any, place: str, words: str) -> None:
    data = raw()
    edit(data)
    error = refusal(data)
    assert error.field == f"s.yaml: {place}"
    assert words in error.message


def test_files_that_are_not_scenarios(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\ntitle: [unclosed\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"unreadable YAML \(line 3\)"):
        read_scenario(broken)
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(BadInput, match="expected a mapping"):
        read_scenario(listed)
    with pytest.raises(BadInput, match="cannot read"):
        read_scenario(tmp_path / "missing.yaml")


def test_scenarios_are_found_by_id_or_path(tmp_path: Path) -> None:
    assert find_scenario("lost-forms-tier3").id == "lost-forms-tier3"
    own = tmp_path / "own.yaml"
    own.write_text(yaml.safe_dump(raw() | {"id": "own"}, allow_unicode=True), encoding="utf-8")
    assert find_scenario(str(own)).id == "own"
    assert scenario_ref("ransomware-dc-tier2") == "ransomware-dc-tier2"
    assert scenario_ref(str(own)) == str(own.resolve())
    with pytest.raises(BadInput) as caught:
        find_scenario("earthquake")
    assert caught.value.field == "scenario"
    assert "misdirected-email-mynumber" in caught.value.message
