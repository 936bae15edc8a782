"""The effective policy other code reads: every value filled, defaults from DESIGN.md §6.

`ContractPolicy` answers for one contract (its own settings over the file's defaults over the
built-in ones); `OrganizationPolicy` for one organisation's sign-in.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)

from jikoflow.models.enums import StepName
from jikoflow.models.policy.span import Span
from jikoflow.models.schemas import ReadModel

_HH_MM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _time_of_day(value: Any) -> Any:
    # YAML reads an unquoted 9:00 as the number 540 (base 60); never guess what was meant.
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or _HH_MM.match(value.strip()) is None:
        raise ValueError('expected a time of day in quotes, such as "09:00"')
    hours, minutes = value.strip().split(":")
    return time(int(hours), int(minutes))


TimeOfDay = Annotated[
    time,
    BeforeValidator(_time_of_day),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
]


class ClosedDayRule(StrEnum):
    """What a drill plan does when its date falls on a closed day (weekend, holiday, 12/29–1/3)."""

    NEXT_BUSINESS_DAY = "next_business_day"
    SKIP = "skip"
    KEEP = "keep"  # runs on its date all the same (a team that rehearses at weekends)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StepClock(_Frozen):
    """A step's clock: due this long after its start; warned this long before the due time."""

    due: Span | None  # None: no fixed due of its own (a measure is due on its own date)
    warn: Span | None

    @model_validator(mode="after")
    def _warn_before_due(self) -> Self:
        if self.due is not None and self.warn is not None and self.warn.minutes >= self.due.minutes:
            raise ValueError("warn must be shorter than due")
        return self


def _clock(due: str | None, warn: str | None) -> Any:
    return Field(
        default_factory=lambda: StepClock(
            due=Span.parse(due) if due else None, warn=Span.parse(warn) if warn else None
        )
    )


class Clocks(_Frozen):
    """The step clocks of DESIGN.md §6."""

    report: StepClock = _clock("1h", "30m")  # reports delivered to 甲, 乙 and the chain
    acknowledgement: StepClock = _clock("1h", "30m")  # each recipient, counted from delivery
    containment: StepClock = _clock("1h", "30m")  # the first containment measure
    root_cause: StepClock = _clock("14d", "3d")
    prevention: StepClock = _clock("20d", "3d")
    record: StepClock = _clock("20d", "3d")
    record_improper_purpose: StepClock = _clock("45d", "3d")
    record_returned: StepClock = _clock("7d", "3d")  # a record 甲 returned, from the return
    measure: StepClock = _clock(None, "3d")  # a prevention measure, due on its own date

    def for_step(self, step: StepName, *, improper_purpose: bool = False) -> StepClock:
        """The clock of one Article 24 step."""
        if step is StepName.RECORD and improper_purpose:
            return self.record_improper_purpose
        clock: StepClock = getattr(self, step.value)
        return clock


class Repeat(_Frozen):
    """How often a reminder or escalation repeats, and how many times at most."""

    every: Span
    at: TimeOfDay | None = None  # day-scale repeats: the time of day in Asia/Tokyo
    cap: int | None = Field(default=None, ge=1, le=10_000)  # None: until the step is done

    @model_validator(mode="after")
    def _at_only_for_days(self) -> Self:
        if self.at is not None and not self.every.day_scale:
            raise ValueError(
                "at is only for repeats counted in days (with hours or minutes, write at: null)"
            )
        return self


class Escalation(_Frozen):
    """Repeats of DESIGN.md §6: overdue steps, and reports not yet acknowledged."""

    hour_scale: Repeat = Field(default_factory=lambda: Repeat(every=Span.parse("1h")))
    day_scale: Repeat = Field(default_factory=lambda: Repeat(every=Span.parse("1d"), at=time(9, 0)))
    acknowledgement: Repeat = Field(default_factory=lambda: Repeat(every=Span.parse("30m")))


class DrillRules(_Frozen):
    """Calendar rules for drill plans."""

    closed_days: ClosedDayRule = ClosedDayRule.NEXT_BUSINESS_DAY


class ContractPolicy(_Frozen):
    """Everything the policy says about one contract, defaults filled."""

    business_days: bool = False  # day-scale clocks count Japanese business days
    clocks: Clocks = Field(default_factory=Clocks)
    escalation: Escalation = Field(default_factory=Escalation)
    drills: DrillRules = Field(default_factory=DrillRules)


class OrganizationPolicy(_Frozen):
    """Everything the policy says about one organisation."""

    require_totp: bool = False  # its people sign in with a second factor (TOTP)


class PolicyLoaded(ReadModel):
    """What `policy load` changed (all zero when the database already matched)."""

    file: str
    sha256: str
    changed: dict[str, int]


class PolicyView(ReadModel):
    """The effective policy of every contract and organisation in the database."""

    loaded_at: datetime | None
    defaults: ContractPolicy
    contracts: dict[str, ContractPolicy]
    organizations: dict[str, OrganizationPolicy]
