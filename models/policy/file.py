"""The policy file (YAML): what it may say, and reading it with every refusal naming its place.

Everything is optional: what the file leaves out keeps the default of DESIGN.md §6. A contract's
settings apply over the file's `defaults`, field by field.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jikoflow.models.errors import BadInput, problem_text
from jikoflow.models.policy.rules import contract_checks, place_of
from jikoflow.models.policy.schemas import ClosedDayRule, TimeOfDay
from jikoflow.models.policy.span import Span
from jikoflow.models.yamlfile import load_strict

MAX_FILE_BYTES = 256 * 1024
Slug = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StepClockIn(_In):
    """A step's clock as written: `{due: 14d, warn: 3d}`, either part optional."""

    due: Span | None = None
    warn: Span | None = None


class ClocksIn(_In):
    """The step clocks a section overrides."""

    report: StepClockIn | None = None
    acknowledgement: StepClockIn | None = None
    containment: StepClockIn | None = None
    root_cause: StepClockIn | None = None
    prevention: StepClockIn | None = None
    record: StepClockIn | None = None
    record_improper_purpose: StepClockIn | None = None
    record_returned: StepClockIn | None = None
    measure: StepClockIn | None = None


class RepeatIn(_In):
    """A repeat as written: `{every: 1d, at: "09:00", cap: 10}`, each part optional."""

    every: Span | None = None
    at: TimeOfDay | None = None
    cap: int | None = Field(default=None, ge=1, le=10_000)


class EscalationIn(_In):
    """The repeats a section overrides."""

    hour_scale: RepeatIn | None = None
    day_scale: RepeatIn | None = None
    acknowledgement: RepeatIn | None = None


class DrillsIn(_In):
    """The drill-plan rules a section overrides."""

    closed_days: ClosedDayRule | None = None


class ContractSettingsIn(_In):
    """What a contract (or the defaults) may set."""

    business_days: bool | None = None
    clocks: ClocksIn | None = None
    escalation: EscalationIn | None = None
    drills: DrillsIn | None = None


class DefaultsIn(ContractSettingsIn):
    """The file's defaults: for every contract, and `require_totp` for every organisation."""

    require_totp: bool | None = None


class ContractIn(ContractSettingsIn):
    """One contract's own settings."""

    id: str = Slug


class OrganizationIn(_In):
    """One organisation's sign-in rule."""

    id: str = Slug
    require_totp: bool


class PolicyFile(_In):
    """The whole policy file."""

    defaults: DefaultsIn = Field(default_factory=DefaultsIn)
    organizations: list[OrganizationIn] = Field(default_factory=list, max_length=10_000)
    contracts: list[ContractIn] = Field(default_factory=list, max_length=10_000)

    def defaults_set(self) -> dict[str, Any]:
        """The contract settings the defaults write (without `require_totp`)."""
        return _written(self.defaults, exclude={"require_totp"})

    def contract_set(self, index: int) -> dict[str, Any]:
        """What contract `index` writes, without its id."""
        return _written(self.contracts[index], exclude={"id"})


def _written(model: BaseModel, exclude: set[str]) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json", exclude_unset=True, exclude=exclude)
    return data


def parse_policy(text: str, name: str) -> PolicyFile:
    """Validate the text of a policy file named `name`; every refusal names the place."""
    raw: Any = load_strict(text, name, MAX_FILE_BYTES)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise BadInput(name, "expected a mapping with defaults, organizations and contracts")
    try:
        policy = PolicyFile.model_validate(raw)
    except ValidationError as exc:
        raise _refusal(name, exc.errors()[0]) from None
    _check(policy, name)
    return policy


def read_policy(path: Path) -> tuple[PolicyFile, str]:
    """Read and validate a policy file; returns it with its text (for the audit trail's hash)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise BadInput(str(path), f"larger than {MAX_FILE_BYTES // 1024} KiB")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(str(path), f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise BadInput(str(path), "not UTF-8 text") from None
    return parse_policy(text, path.name), text


def _refusal(name: str, error: Any, prefix: Sequence[int | str] = ()) -> BadInput:
    loc = [*prefix, *error["loc"]]
    return BadInput(f"{name}: {place_of(loc)}", problem_text(error))


def _unique(ids: list[str], name: str, section: str) -> None:
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        if ident in seen:
            raise BadInput(f"{name}: {section}[{i}].id", f"duplicate id {ident!r}")
        seen.add(ident)


def _check(policy: PolicyFile, name: str) -> None:
    """Ids unique; the defaults and every contract resolve to a consistent policy."""
    _unique([o.id for o in policy.organizations], name, "organizations")
    _unique([c.id for c in policy.contracts], name, "contracts")
    defaults = policy.defaults_set()
    contracts = [policy.contract_set(i) for i in range(len(policy.contracts))]
    problem = contract_checks(defaults, contracts)
    if problem is not None:
        loc, message = problem
        raise BadInput(f"{name}: {place_of(loc)}", message)
