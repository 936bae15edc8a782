"""The policy file: durations, what a file may say, the place of each refusal, and the
effective policy (built-in defaults of DESIGN.md §6, then the file's defaults, then a
contract's own values)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from importlib.resources import files
from pathlib import Path

import pytest

from jikoflow.models.enums import StepName
from jikoflow.models.errors import BadInput
from jikoflow.models.incidents.clocks import deadlines
from jikoflow.models.policy.file import MAX_FILE_BYTES, parse_policy, read_policy
from jikoflow.models.policy.rules import merged, resolve_contract, resolve_organization
from jikoflow.models.policy.schemas import ClosedDayRule, ContractPolicy
from jikoflow.models.policy.span import Span, SpanUnit

SAMPLE_POLICY = Path(str(files("jikoflow").joinpath("sample/policy.yaml")))


@pytest.mark.parametrize(
    ("text", "minutes", "unit"),
    [("30m", 30, SpanUnit.MINUTES), ("1h", 60, SpanUnit.HOURS), (" 14d ", 14 * 1440, "d")],
)
def test_a_span_keeps_its_unit(text: str, minutes: int, unit: str) -> None:
    span = Span.parse(text)
    assert span.minutes == minutes
    assert span.unit == unit
    assert span.as_timedelta() == timedelta(minutes=minutes)
    assert str(span) == text.strip()
    assert span.day_scale is (unit == "d")


@pytest.mark.parametrize("text", ["", "0h", "1", "h", "1 hour", "1.5h", "-1d", "400d", "1w"])
def test_a_span_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        Span.parse(text)


def test_the_built_in_policy_is_design_section_6() -> None:
    policy = ContractPolicy()
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    for improper in (False, True):
        expected = deadlines(start, improper_purpose=improper)
        for step, deadline in expected.items():
            clock = policy.clocks.for_step(step, improper_purpose=improper)
            assert clock.due is not None
            assert clock.warn is not None
            assert start + clock.due.as_timedelta() == deadline.due_at, step
            assert deadline.due_at - clock.warn.as_timedelta() == deadline.warn_at, step
    assert str(policy.clocks.acknowledgement.due) == "1h"
    assert policy.clocks.measure.due is None
    assert str(policy.clocks.measure.warn) == "3d"
    assert str(policy.escalation.hour_scale.every) == "1h"
    assert str(policy.escalation.day_scale.every) == "1d"
    assert policy.escalation.day_scale.at == time(9, 0)
    assert str(policy.escalation.acknowledgement.every) == "30m"
    assert policy.escalation.day_scale.cap is None  # repeated until done
    assert policy.business_days is False
    assert policy.drills.closed_days is ClosedDayRule.NEXT_BUSINESS_DAY
    assert resolve_organization(None, None).require_totp is False


def test_the_sample_file_reads_and_a_contract_overrides_only_what_it_writes() -> None:
    policy, _text = read_policy(SAMPLE_POLICY)
    effective = resolve_contract(policy.defaults_set(), policy.contract_set(0))

    assert effective.business_days is True
    assert str(effective.clocks.root_cause.due) == "10d"
    assert str(effective.clocks.root_cause.warn) == "2d"
    assert str(effective.clocks.record.due) == "15d"
    assert str(effective.clocks.record.warn) == "3d"  # kept from the defaults
    assert str(effective.clocks.prevention.due) == "20d"
    assert effective.escalation.day_scale.cap == 10
    assert effective.escalation.day_scale.at == time(9, 0)
    assert resolve_contract(policy.defaults_set()) == ContractPolicy()


def test_the_files_defaults_apply_under_each_contracts_own_values() -> None:
    policy = parse_policy(
        "defaults:\n"
        "  business_days: true\n"
        "  require_totp: true\n"
        "  clocks: {root_cause: {due: 7d, warn: 1d}}\n"
        "contracts:\n"
        "  - {id: A, clocks: {root_cause: {due: 5d}}}\n"
        "  - {id: B, business_days: false}\n",
        "p.yaml",
    )
    a = resolve_contract(policy.defaults_set(), policy.contract_set(0))
    b = resolve_contract(policy.defaults_set(), policy.contract_set(1))

    assert (str(a.clocks.root_cause.due), str(a.clocks.root_cause.warn)) == ("5d", "1d")
    assert a.business_days is True
    assert str(b.clocks.root_cause.due) == "7d"
    assert b.business_days is False
    assert resolve_organization(policy.defaults.require_totp, None).require_totp is True
    assert resolve_organization(True, False).require_totp is False


def test_a_serialised_policy_reads_back_the_same() -> None:
    policy = resolve_contract({"escalation": {"day_scale": {"at": "08:30", "cap": 3}}})
    data = policy.model_dump(mode="json")
    assert data["escalation"]["day_scale"] == {"every": "1d", "at": "08:30", "cap": 3}
    assert ContractPolicy.model_validate(data) == policy


def test_merged_replaces_values_and_merges_mappings() -> None:
    assert merged({"a": {"b": 1, "c": 2}, "d": 1}, {"a": {"b": 3}, "d": None}) == {
        "a": {"b": 3, "c": 2},
        "d": None,
    }


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        (
            "contracts: [{id: C1, clocks: {root_cause: {due: 2d}}}]",
            "p.yaml: contracts[0].clocks.root_cause: warn must be shorter than due",
        ),
        (
            "defaults: {clocks: {root_cause: {warn: 15d}}}",
            "p.yaml: defaults.clocks.root_cause: warn must be shorter than due",
        ),
        (
            "defaults: {clocks: {report: {due: 1 hour}}}",
            "p.yaml: defaults.clocks.report.due: expected a duration such as 30m, 1h or 14d",
        ),
        (
            "defaults: {clocks: {report: {due: 60}}}",
            "p.yaml: defaults.clocks.report.due: expected a duration such as 30m, 1h or 14d,"
            " written as text",
        ),
        (
            "defaults: {escalation: {day_scale: {at: 9:00}}}",
            "p.yaml: defaults.escalation.day_scale.at: expected a time of day in quotes, such as"
            ' "09:00"',
        ),
        (
            "contracts: [{id: C1, escalation: {day_scale: {every: 2h}}}]",
            "p.yaml: contracts[0].escalation.day_scale: at is only for repeats counted in days"
            " (with hours or minutes, write at: null)",
        ),
        (
            "defaults: {escalation: {hour_scale: {cap: 0}}}",
            "p.yaml: defaults.escalation.hour_scale.cap: Input should be greater than or equal"
            " to 1",
        ),
        (
            "defaults: {escalation: {hour_scale: {every: null}}}",
            "p.yaml: defaults.escalation.hour_scale.every: expected a duration such as 30m, 1h"
            " or 14d, written as text",
        ),
        (
            "defaults: {drills: {closed_days: never}}",
            "p.yaml: defaults.drills.closed_days: "
            "Input should be 'next_business_day', 'skip' or 'keep'",
        ),
        ("defaults: {bogus: 1}", "p.yaml: defaults.bogus: Extra inputs are not permitted"),
        (
            "organizations: [{id: x, require_totp: true}, {id: x, require_totp: false}]",
            "p.yaml: organizations[1].id: duplicate id 'x'",
        ),
        (
            "organizations: [{id: x}]",
            "p.yaml: organizations[0].require_totp: Field required",
        ),
        (
            "contracts: [{id: 'bad id'}]",
            "p.yaml: contracts[0].id: String should match pattern '^[A-Za-z0-9][A-Za-z0-9_.\\-]*$'",
        ),
        ("a: &x [1]\nb: *x\n", "p.yaml: aliases are not allowed (line 2)"),
        ("defaults: {}\ndefaults: {}\n", "p.yaml: duplicate key 'defaults' (line 2)"),
        ("[1, 2]", "p.yaml: expected a mapping with defaults, organizations and contracts"),
        ("defaults: {", "p.yaml: expected the node content, but found '<stream end>' (line 1)"),
    ],
)
def test_each_refusal_names_its_place_in_the_file(text: str, refusal: str) -> None:
    with pytest.raises(BadInput) as raised:
        parse_policy(text, "p.yaml")
    assert str(raised.value).startswith(refusal), str(raised.value)


def test_an_empty_file_is_the_built_in_policy() -> None:
    policy = parse_policy("", "p.yaml")
    assert resolve_contract(policy.defaults_set()) == ContractPolicy()


def test_a_hostile_file_is_refused_before_it_costs_anything(tmp_path: Path) -> None:
    # Aliases are refused outright: a file of nested aliases would expand past memory.
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    with pytest.raises(BadInput, match="aliases are not allowed"):
        parse_policy(bomb, "p.yaml")
    big = tmp_path / "big.yaml"
    big.write_text("#" * (MAX_FILE_BYTES + 1), encoding="utf-8")
    with pytest.raises(BadInput, match="larger than 256 KiB"):
        read_policy(big)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(BadInput, match="not UTF-8"):
        read_policy(binary)
    with pytest.raises(BadInput, match="cannot read"):
        read_policy(tmp_path / "missing.yaml")


def test_the_step_clock_of_each_step() -> None:
    clocks = ContractPolicy().clocks
    assert clocks.for_step(StepName.RECORD) == clocks.record
    assert clocks.for_step(StepName.RECORD, improper_purpose=True) == (
        clocks.record_improper_purpose
    )
    assert clocks.for_step(StepName.ROOT_CAUSE) == clocks.root_cause


def test_the_readme_example_reads_and_its_defaults_are_the_built_in_ones() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The policy file", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]

    policy = parse_policy(example, "README.md")

    assert resolve_contract(policy.defaults_set()) == ContractPolicy()
    contract = resolve_contract(policy.defaults_set(), policy.contract_set(0))
    assert str(contract.clocks.root_cause.due) == "10d"
    assert contract.escalation.day_scale.cap == 10
