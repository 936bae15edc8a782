"""The forms of an incident's page: 受領確認, containment, cause, prevention measures, 提出,
受理 and 差戻し, the structured facts, 甲's instructions (指示, 完了) and publication decision.
Each calls its service as the signed-in person and returns to the page; input the service
refused is shown beside its form, and an act the person may not do is refused (403) even when
the form was forged, changing nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any

from fastapi import Form, Request
from starlette.responses import RedirectResponse, Response

from jikoflow.models.facts.schemas import (
    FACT_FIELDS,
    Facts,
    InstructInput,
    InstructionDoneInput,
    PublishInput,
    ReturnInput,
)
from jikoflow.models.facts.service import (
    complete_instruction,
    instruct,
    publish,
    record_facts,
    return_record,
)
from jikoflow.models.incidents.service import acknowledge
from jikoflow.models.response.schemas import (
    AcceptInput,
    CauseInput,
    ContainInput,
    ImplementInput,
    MeasureInput,
    SubmitInput,
)
from jikoflow.models.response.service import (
    accept,
    add_measure,
    contain,
    implement_measure,
    record_cause,
    submit,
)
from jikoflow.models.schemas import parse
from jikoflow.models.times import parse_day
from jikoflow.web.deps import (
    AfterCommit,
    Config,
    Db,
    NumberPath,
    Refused,
    SignedIn,
    attempt,
    page_router,
)
from jikoflow.web.incident_page import render_incident

router = page_router()
Text = Annotated[str, Form()]


def _done(
    request: Request,
    db: Db,
    who: SignedIn,
    config: Config,
    deliveries: AfterCommit,
    incident_id: str,
    form: str,
    act: Callable[[], object],
    values: dict[str, Any] | None = None,
    fields: dict[str, str] | None = None,
) -> Response:
    """Run `act`; back to the page at `form`'s section, or the page again with the refusal
    (its field in the form's words: `fields` maps the service's name to the page's)."""
    outcome = attempt(db, act)
    if isinstance(outcome, Refused):
        outcome = replace(outcome, field=(fields or {}).get(outcome.field, outcome.field))
        return render_incident(
            request, db, who, config, incident_id, refused=outcome, form=form, values=values
        )
    deliveries.add(incident_id)
    return RedirectResponse(f"/incidents/{incident_id}#{form}", status_code=303)


@router.post("/incidents/{incident_id}/ack")
def ack(
    incident_id: str,
    request: Request,
    db: Db,
    who: SignedIn,
    config: Config,
    deliveries: AfterCommit,
) -> Response:
    """受領確認: a manager of a recipient confirms the report to their organisation arrived."""

    def act() -> object:
        return acknowledge(db, actor=who.principal, incident_id=incident_id, now=config.clock())

    return _done(request, db, who, config, deliveries, incident_id, "reports", act)


@router.post("/incidents/{incident_id}/containment")
def containment(
    incident_id: str,
    request: Request,
    db: Db,
    who: SignedIn,
    config: Config,
    deliveries: AfterCommit,
    action: Text = "",
    done: Text = "",
) -> Response:
    """Record a containment measure; ticked when the damage is contained."""
    values = {"action": action, "done": done == "true"}

    def act() -> object:
        data = parse(ContainInput, values)
        return contain(
            db, actor=who.principal, incident_id=incident_id, data=data, now=config.clock()
        )

    return _done(request, db, who, config, deliveries, incident_id, "containment", act, values)


@router.post("/incidents/{incident_id}/cause")
def cause(
    incident_id: str,
    request: Request,
    db: Db,
    who: SignedIn,
    config: Config,
    deliveries: AfterCommit,
    text: Text = "",
) -> Response:
    """Record a revision of the root-cause analysis."""
    values = {"text": text}

    def act() -> object:
        data = parse(CauseInput, values)
        return record_cause(
            db, actor=who.principal, incident_id=incident_id, data=data, now=config.clock()
        )

    return _done(request, db, who, config, deliveries, incident_id, "cause", act, values)


@router.post("/incidents/{incident_id}/measures")
def measure(
    incident_id: str,
    request: Request,
    db: Db,
    who: SignedIn,
    config: Config,
    deliveries: AfterCommit,
    measure: Text = "",
    owner: Text = "",
    due: Text = "",
) -> Response:
    """Add a recurrence-prevention measure, with its owner and due date when known."""
    values = {"measure": measure, "owner": owner.strip() or None, "due": due.strip() or None}

    def act() -> object:
        day = parse_day(values["due"], "due") if values["due"] else None
        data = parse(MeasureInput, values | {"due": day})
        return add_measure(
            db, actor=who.principal, incident_id=incident_id, data=data, now=config.clock()
        )

    return _done(request, db, who, config, deliveries, incident_id, "measures", act, values)


@router.post("/incidents/{incident_id}/measures/{number}/implemented")
def implemented(
    incident_id: str,
    number: NumberPath,
    request: Request,
    db: Db,
    who: SignedIn,
    config: Config,
    deliveries: AfterCommit,
    evidence: Text = "",
) -> Response:
    """Mark prevention measure `number` implemented, with how that is shown when given."""
    values = {"evidence": evidence, "number": number}

    def act() -> object:
        data = parse(ImplementInput, {"evidence": evidence or None})
        return implement_measure(
            db,
            actor=who.principal,
            incident_id=incident_id,
            number=number,
            evidence=data.evidence,
            now=config.clock(),
        )

    return _done(request, db, who, config, deliveries, incident_id, "measures", act, values)


@router.post("/incidents/{incident_id}/submit")
def submit_record(
    incident_id: str,
    request: Request,
    db: Db,
    who: SignedIn,
    config: Config,
    deliveries: AfterCommit,
    lang: Text = "ja",
) -> Response:
    """提出: freeze the written record as its next version and send it to 甲 and 乙."""

    def act() -> object:
        data = parse(SubmitInput, {"lang": lang})
        return submit(
            db, actor=who.principal, incident_id=incident_id, data=data, now=config.clock()
        )

    return _done(request, db, who, config, deliveries, incident_id, "record", act)


@router.post("/incidents/{incident_id}/accept")
def accept_record(
    incident_id: str,
    request: Request,
    db: Db,
    who: SignedIn,
    config: Config,
    deliveries: AfterCommit,
    version: Text = "",
) -> Response:
    """受理: a manager of 甲 accepts the submitted record, closing the incident — the version
    the page showed, refused if another was submitted since."""

    def act() -> object:
        data = parse(AcceptInput, {"version": version or None})
        return accept(
            db, actor=who.principal, incident_id=incident_id, data=data, now=config.clock()
        )

    return _done(request, db, who, config, deliveries, incident_id, "record", act)


@router.post("/incidents/{incident_id}/return")
def return_submitted(
    incident_id: str,
    request: Request,
    db: Db,
    who: SignedIn,
    config: Config,
    deliveries: AfterCommit,
    reason: Text = "",
) -> Response:
    """差戻し: a manager of 甲 returns the submitted record, saying why; it is open again."""
    values = {"reason": reason}

    def act() -> object:
        data = parse(ReturnInput, values)
        return return_record(
            db, actor=who.principal, incident_id=incident_id, data=data, now=config.clock()
        )

    return _done(request, db, who, config, deliveries, incident_id, "record", act, values)


@router.post("/incidents/{incident_id}/instructions")
def instruction(
    incident_id: str,
    request: Request,
    db: Db,
    who: SignedIn,
    config: Config,
    deliveries: AfterCommit,
    text: Text = "",
    due: Text = "",
) -> Response:
    """指示: a manager of 甲 instructs or asks for a report (Art. 22), with a due date if any."""
    values = {"text": text, "due": due.strip() or None}

    def act() -> object:
        day = parse_day(values["due"], "due") if values["due"] else None
        data = parse(InstructInput, values | {"due": day})
        return instruct(
            db, actor=who.principal, incident_id=incident_id, data=data, now=config.clock()
        )

    fields = {"text": "instruction"}
    return _done(
        request, db, who, config, deliveries, incident_id, "instructions", act, values, fields
    )


@router.post("/incidents/{incident_id}/instructions/{number}/done")
def instruction_done(
    incident_id: str,
    number: NumberPath,
    request: Request,
    db: Db,
    who: SignedIn,
    config: Config,
    deliveries: AfterCommit,
    note: Text = "",
) -> Response:
    """完了: mark instruction `number` done, with how it was done when given."""
    values = {"note": note, "number": number}

    def act() -> object:
        data = parse(InstructionDoneInput, {"number": number, "note": note or None})
        return complete_instruction(
            db, actor=who.principal, incident_id=incident_id, data=data, now=config.clock()
        )

    fields = {"note": "done_note"}
    return _done(
        request, db, who, config, deliveries, incident_id, "instructions", act, values, fields
    )


@router.post("/incidents/{incident_id}/publication")
def publication(
    incident_id: str,
    request: Request,
    db: Db,
    who: SignedIn,
    config: Config,
    deliveries: AfterCommit,
    decision: Text = "",
    on: Text = "",
    reason: Text = "",
) -> Response:
    """公表の判断: a manager of 甲 decides to publish the incident or to withhold it (Art. 25)."""
    values = {"decision": decision, "on": on.strip() or None, "reason": reason.strip() or None}

    def act() -> object:
        day = parse_day(values["on"], "on") if values["on"] else None
        data = parse(PublishInput, values | {"on": day})
        return publish(
            db, actor=who.principal, incident_id=incident_id, data=data, now=config.clock()
        )

    return _done(request, db, who, config, deliveries, incident_id, "publication", act, values)


@router.post("/incidents/{incident_id}/facts")
def facts(
    incident_id: str,
    request: Request,
    db: Db,
    who: SignedIn,
    config: Config,
    deliveries: AfterCommit,
    occurred_at: Text = "",
    discovered_by: Text = "",
    how: Text = "",
    items: Text = "",
    records: Text = "",
    people: Text = "",
    sensitive: Text = "",
    my_number: Text = "",
    financial: Text = "",
    improper_purpose: Text = "",
    secondary_damage: Text = "",
    subject_notice: Text = "",
) -> Response:
    """Record the structured facts as the form shows them: a field left blank is not known."""
    typed = {
        "occurred_at": occurred_at,
        "discovered_by": discovered_by,
        "how": how,
        "items": items,
        "records": records,
        "people": people,
        "sensitive": sensitive,
        "my_number": my_number,
        "financial": financial,
        "improper_purpose": improper_purpose,
        "secondary_damage": secondary_damage,
        "subject_notice": subject_notice,
    }
    values = {name: typed[name].strip() for name in FACT_FIELDS}

    def act() -> object:
        # The form shows every field, so every field is set: blank clears what was known.
        data = parse(Facts, {name: value or None for name, value in values.items()})
        return record_facts(
            db, actor=who.principal, incident_id=incident_id, data=data, now=config.clock()
        )

    fields = {"facts": "known_facts"}
    return _done(request, db, who, config, deliveries, incident_id, "facts", act, values, fields)
