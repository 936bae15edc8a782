"""The structured facts of an incident (DESIGN.md §9) and the read models of 甲's decisions.

`Facts` is what a 事故等報告書 and the PPC's report form ask for beyond the summary: every field
is optional, because facts are learned over days and an unknown is better left blank than
guessed. `None` means "not known yet"; `False` means "known not to be the case".
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from jikoflow.models.enums import (
    AppiReason,
    AppiStage,
    IncidentKind,
    IncidentState,
    InstructionStatus,
    Outcome,
    Publication,
    ReviewAnswer,
    SubjectNotice,
)
from jikoflow.models.schemas import Day, Input, IsoTimes, Number, Plain, ReadModel, inert_text
from jikoflow.models.times import TOKYO, out_of_range

# Far above any real count (Japan has about 125 million people) and far below 2^63.
MAX_COUNT = 10**12
MAX_ITEMS = 50

# Stripped and measured first, then checked for control characters.
Line = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(inert_text),
]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000),
    AfterValidator(inert_text),
]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]

# The order the record and the PPC draft list them in.
FACT_FIELDS = (
    "occurred_at",
    "discovered_by",
    "how",
    "items",
    "records",
    "people",
    "sensitive",
    "my_number",
    "financial",
    "improper_purpose",
    "secondary_damage",
    "subject_notice",
)


class Facts(IsoTimes):
    """What is known of an incident; each field `None` until it is learned."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    occurred_at: datetime | None = None  # 発生日時 (the discovery time is the incident's own)
    discovered_by: Line | None = None  # 発見者
    how: Text | None = None  # 発見の経緯
    items: tuple[Line, ...] | None = Field(default=None, max_length=MAX_ITEMS)  # 情報の項目
    records: Count | None = None  # 件数
    people: Count | None = None  # 本人の数
    sensitive: bool | None = None  # 要配慮個人情報 (条例要配慮個人情報 included)
    my_number: bool | None = None  # 特定個人情報
    financial: bool | None = None  # 財産的被害が生じるおそれ
    improper_purpose: bool | None = None  # 不正の目的をもって行われたおそれ
    secondary_damage: Text | None = None  # 二次被害またはそのおそれ
    subject_notice: SubjectNotice | None = None  # 本人への対応

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and (why := out_of_range(value)) is not None:
            raise ValueError(f"out of range ({why})")
        # A time typed without an offset is a Tokyo time, as everywhere in jikoflow.
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=TOKYO)
        return value

    @field_validator("items", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        # `--items 氏名,住所` and 「氏名、住所」 both name two items.
        if isinstance(value, str):
            return tuple(p for p in value.replace("、", ",").split(",") if p.strip())
        return value

    @field_validator("items")
    @classmethod
    def _distinct(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("name at least one item, or leave it unknown")
        return tuple(dict.fromkeys(value))

    @field_validator("subject_notice", mode="before")
    @classmethod
    def _notice(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        # The command line spells it `not-needed`; either spelling is taken, and named.
        chosen = value.strip().replace("-", "_")
        if chosen not in {n.value for n in SubjectNotice}:
            raise ValueError(f"{value!r} is not one of done, planned, not-needed")
        return chosen

    def known(self) -> dict[str, Any]:
        """The fields that are known, in the record's order."""
        return {
            name: getattr(self, name) for name in FACT_FIELDS if getattr(self, name) is not None
        }


class _View(IsoTimes):
    model_config = ConfigDict(frozen=True)


class FactsRevisionView(_View):
    """One kept revision of the facts."""

    revision: int
    at: datetime
    by: str | None
    changed: list[str]
    facts: Facts


class AppiAssessment(_View):
    """Whether 甲 must report to the PPC, why, and by when (DESIGN.md §6)."""

    reportable: bool
    reasons: list[AppiReason]
    people_threshold: int
    learned_at: datetime | None
    preliminary_due_on: date | None
    preliminary_due_at: datetime | None
    final_due_on: date | None
    final_due_at: datetime | None
    # Facts still unknown that could make the case reportable once learned.
    unknown: list[str]


class InstructionView(_View):
    """One instruction or request for a report from 甲 (Art. 22)."""

    number: int
    text: str
    due_on: date | None
    given_at: datetime
    given_by: str | None
    status: InstructionStatus
    done_at: datetime | None
    done_by: str | None
    done_note: str | None


class PublicationView(_View):
    """甲's latest decision on publication (Art. 25)."""

    decision: Publication
    on: date | None
    reason: str | None
    decided_at: datetime
    decided_by: str | None


class ReclassificationView(_View):
    """One change of kind or of おそれ/発生, with its reason."""

    at: datetime
    by: str | None
    kind_before: IncidentKind
    kind_after: IncidentKind
    suspected_before: bool
    suspected_after: bool
    reason: str


class ReviewView(_View):
    """What one submitted version proposed, and 甲's answer."""

    version: int
    outcome: Outcome
    reason: str | None
    submitted_at: datetime
    submitted_by: str | None
    answer: ReviewAnswer | None
    answered_at: datetime | None
    answered_by: str | None
    answer_reason: str | None


class DecisionsView(_View):
    """What `status --json` adds about facts and 甲's decisions (DESIGN.md §7)."""

    outcome: Outcome
    outcome_reason: str | None
    facts: Facts
    facts_revision: int
    appi: AppiAssessment
    instructions: list[InstructionView]
    publication: PublicationView | None
    reclassifications: list[ReclassificationView]
    reviews: list[ReviewView]


# --- inputs and answers of the acts (DESIGN.md §7) -----------------------------------------


class ReclassifyInput(Input):
    """A new kind and/or おそれ (suspected) / 発生 (confirmed), with the reason."""

    kind: IncidentKind | None = None
    suspected: bool | None = None
    reason: Plain = Field(default="", max_length=4000)


class ReturnInput(Input):
    """甲 returns the submitted record (差戻し), saying why."""

    reason: Plain = Field(default="", max_length=4000)


class InstructInput(Input):
    """甲's instruction or request for a report (Art. 22), with its due date when given."""

    text: Plain = Field(max_length=4000)
    due: Day | None = None


class InstructionDoneBody(Input):
    """How an instruction was done, when said (the API's body; the number is in the path)."""

    note: Plain | None = Field(default=None, max_length=4000)


class InstructionDoneInput(InstructionDoneBody):
    """Instruction `number` is done; `note` says how, when given."""

    number: Number


class PublishInput(Input):
    """甲's decision on publication (Art. 25): the day, and the reason (required to withhold)."""

    decision: Publication
    on: Day | None = None
    reason: Plain | None = Field(default=None, max_length=4000)


class FactsRecorded(ReadModel):
    """A revision of the facts kept."""

    id: str
    revision: int
    changed: list[str]
    facts: Facts


class ReclassifiedResult(ReadModel):
    """The kind and おそれ/発生 after a reclassification."""

    id: str
    kind: IncidentKind
    suspected: bool
    state: IncidentState


class ReturnedResult(ReadModel):
    """A returned record: the version returned and when the record is due again."""

    id: str
    version: int
    state: IncidentState
    record_due_at: datetime


class InstructionResult(ReadModel):
    """An instruction given or marked done."""

    id: str
    number: int
    due_on: date | None
    status: InstructionStatus


class PublicationResult(ReadModel):
    """甲's decision on publication, in force."""

    id: str
    decision: Publication
    on: date
    reason: str | None


class PpcDraftFile(ReadModel):
    """The draft of 甲's report to the PPC as a file: its stage, format, name and bytes."""

    id: str
    stage: AppiStage
    format: str
    filename: str
    body: bytes
