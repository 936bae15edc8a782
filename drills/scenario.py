"""Tabletop scenario files (YAML, Japanese): objectives, a starting situation, timed injects.

Every refusal names the place in the file (`injects[2].questions[0].role`) and says what to fix.
Inject texts are drill content: they are shown by the CLI and in the after-action report, never
posted in chat (DESIGN.md §5).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
)

from jikoflow.drills.schemas import ScenarioSummary
from jikoflow.models.enums import IncidentKind
from jikoflow.models.errors import BadInput, problem_text
from jikoflow.models.yamlfile import load_strict

SCENARIOS_DIR = Path(__file__).parent / "scenarios"
MAX_OFFSET_MINUTES = 7 * 24 * 60
MAX_FILE_BYTES = 1024 * 1024
_OFFSET = re.compile(r"^(?:(\d+)h)?\s*(?:(\d+)m)?$")


def parse_offset(value: Any) -> Any:
    """`90`, `"90m"`, `"1h30m"` or `"2h"` as a timedelta (minutes when a bare number), at most
    a week (an exercise is hours long; a huge number would overflow)."""
    if isinstance(value, bool):
        raise ValueError("expected a time offset such as 15m or 1h30m")
    if isinstance(value, int):
        return _bounded(value)
    if isinstance(value, str):
        match = _OFFSET.match(value.strip())
        if match and any(match.groups()):
            hours, minutes = (int(g or 0) for g in match.groups())
            return _bounded(hours * 60 + minutes)
        raise ValueError(f"{value!r} is not a time offset such as 15m or 1h30m")
    return value


def _bounded(minutes: int) -> timedelta:
    if not 0 <= minutes <= MAX_OFFSET_MINUTES:
        raise ValueError(f"must be between 0m and {MAX_OFFSET_MINUTES // 60}h")
    return timedelta(minutes=minutes)


def format_offset(value: timedelta) -> str:
    """A timedelta as `1h30m` / `15m` / `0m`."""
    minutes = int(value.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest}m" if hours and rest else (f"{hours}h" if hours else f"{rest}m")


Offset = Annotated[
    timedelta, BeforeValidator(parse_offset), PlainSerializer(format_offset, return_type=str)
]
Text = Annotated[str, Field(min_length=1, max_length=4000)]


class RoleOrg(StrEnum):
    """Which organisation of the chain a scenario role belongs to."""

    ORIGIN = "origin"  # where the simulated 事故等 happens
    SUPERVISOR = "supervisor"  # the origin's delegator
    CONTRACTOR = "contractor"  # 乙
    CLIENT = "client"  # 甲


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ScenarioRole(_Strict):
    """A named role the injects put questions to."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)
    name: str = Field(min_length=1, max_length=100)
    org: RoleOrg


class Question(_Strict):
    """A question for one role."""

    role: str
    ask: Text


class Inject(_Strict):
    """New information given to the participants at a time offset from the start."""

    at: Offset
    text: Text
    questions: list[Question] = Field(default_factory=list)


class Situation(_Strict):
    """The starting situation: where (subcontract tier: 0 = 乙, 1 = 再委託先, …) and what."""

    tier: int = Field(ge=0, le=10)
    kind: IncidentKind
    suspected: bool = True
    text: Text


class Scenario(_Strict):
    """A tabletop exercise."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$", max_length=64)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    duration: Offset = timedelta(hours=2)
    objectives: list[Text] = Field(min_length=1)
    roles: list[ScenarioRole] = Field(min_length=1)
    situation: Situation
    injects: list[Inject] = Field(min_length=1)

    def role(self, role_id: str) -> ScenarioRole | None:
        """The role with id `role_id`, if the scenario names it."""
        return next((r for r in self.roles if r.id == role_id), None)


def _place(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "file"


def parse_scenario(raw: Any, name: str) -> Scenario:
    """Validate scenario data; every refusal names `name` and the place in it."""
    if not isinstance(raw, dict):
        raise BadInput(name, "expected a mapping with id, title, objectives, roles, situation")
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise BadInput(f"{name}: {_place(err['loc'])}", problem_text(err)) from None
    check_scenario(scenario, name)
    return scenario


def check_scenario(scenario: Scenario, name: str) -> None:
    """Role ids unique and known; injects in time order and inside the exercise."""
    seen: set[str] = set()
    for i, role in enumerate(scenario.roles):
        if role.id in seen:
            raise BadInput(f"{name}: roles[{i}].id", f"duplicate role {role.id!r}")
        seen.add(role.id)
    previous = timedelta(0)
    for i, inject in enumerate(scenario.injects):
        where = f"{name}: injects[{i}]"
        if inject.at < previous:
            raise BadInput(f"{where}.at", f"{format_offset(inject.at)} is before the inject above")
        if inject.at > scenario.duration:
            raise BadInput(
                f"{where}.at",
                f"{format_offset(inject.at)} is after the end ({format_offset(scenario.duration)})",
            )
        previous = inject.at
        for q, question in enumerate(inject.questions):
            if question.role not in seen:
                known = ", ".join(sorted(seen))
                raise BadInput(
                    f"{where}.questions[{q}].role",
                    f"unknown role {question.role!r} (roles: {known})",
                )


def read_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise BadInput(str(path), f"larger than {MAX_FILE_BYTES // 1024} KiB")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(str(path), f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise BadInput(str(path), "not UTF-8 text") from None
    raw: Any = load_strict(text, str(path), MAX_FILE_BYTES, fast=True)
    return parse_scenario(raw, path.name)


def shipped_scenarios() -> list[Path]:
    """The scenario files shipped with jikoflow, by file name."""
    return sorted(SCENARIOS_DIR.glob("*.yaml"))


def _locate(ref: str, field: str, *, shipped_only: bool = False) -> Path:
    path = Path(ref)
    names = ", ".join(p.stem for p in shipped_scenarios())
    if not shipped_only and (path.suffix in (".yaml", ".yml") or path.exists()):
        return path
    shipped = SCENARIOS_DIR / f"{ref}.yaml"
    if path.name == ref and shipped.exists():
        return shipped
    if shipped_only:
        raise BadInput(field, f"unknown scenario {ref!r} (shipped: {names})")
    raise BadInput(field, f"unknown scenario {ref!r} (shipped: {names}; or give a file path)")


def find_scenario(ref: str, field: str = "scenario", *, shipped_only: bool = False) -> Scenario:
    """A shipped scenario by id, or (unless `shipped_only`) a scenario file by path."""
    return read_scenario(_locate(ref, field, shipped_only=shipped_only))


def scenario_ref(ref: str, field: str = "scenario") -> str:
    """How a plan keeps a scenario: a shipped id, or the absolute path of a valid file."""
    path = _locate(ref, field)
    scenario = read_scenario(path)
    return scenario.id if path.parent == SCENARIOS_DIR else str(path.resolve())


def shipped_summaries() -> list[ScenarioSummary]:
    """The shipped scenarios: id, title, tier and number of injects."""
    summaries = []
    for path in shipped_scenarios():
        s = read_scenario(path)
        summaries.append(
            ScenarioSummary(id=s.id, title=s.title, tier=s.situation.tier, injects=len(s.injects))
        )
    return summaries
