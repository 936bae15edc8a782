"""The record's facts and 甲's decisions: `facts`, `reclassify`, `return`, `instruct`,
`publish` and `ppc` (DESIGN.md §7) — thin commands over `jikoflow.models.facts.service`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jikoflow.cli.common import (
    ByOpt,
    Context,
    IdArg,
    JsonOpt,
    deliver_now,
    emit_json,
    handled,
    out,
    principal,
)
from jikoflow.models.errors import BadInput
from jikoflow.usecases import act, read


@handled({"facts": "facts"})
def facts(
    incident_id: IdArg,
    occurred_at: Annotated[
        str | None, typer.Option("--occurred-at", help="When it happened (ISO; Tokyo if no zone).")
    ] = None,
    discovered_by: Annotated[
        str | None, typer.Option("--discovered-by", help="Who discovered it.")
    ] = None,
    how: Annotated[str | None, typer.Option("--how", help="How it was discovered.")] = None,
    items: Annotated[
        str | None, typer.Option("--items", help="Items of information, comma-separated.")
    ] = None,
    records: Annotated[int | None, typer.Option("--records", help="Number of records.")] = None,
    people: Annotated[int | None, typer.Option("--people", help="Number of people.")] = None,
    sensitive: Annotated[
        bool | None,
        typer.Option("--sensitive/--not-sensitive", help="Sensitive data (要配慮) involved."),
    ] = None,
    my_number: Annotated[
        bool | None,
        typer.Option("--my-number/--no-my-number", help="My Number data (特定個人情報)."),
    ] = None,
    financial: Annotated[
        bool | None,
        typer.Option("--financial/--not-financial", help="Possible financial damage."),
    ] = None,
    improper_purpose: Annotated[
        bool | None,
        typer.Option(
            "--improper-purpose/--no-improper-purpose", help="Possibly for an improper purpose."
        ),
    ] = None,
    secondary_damage: Annotated[
        str | None, typer.Option("--secondary-damage", help="Secondary damage, or its risk.")
    ] = None,
    subject_notice: Annotated[
        str | None,
        typer.Option("--subject-notice", help="done, planned or not-needed (本人への対応)."),
    ] = None,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Record the structured facts (§9); only the options given change, each revision kept."""
    from jikoflow.models.facts.rules import parse_facts
    from jikoflow.models.facts.service import record_facts

    given = {
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
    change = {k: v for k, v in given.items() if v is not None}
    if not change:
        raise BadInput("facts", "give at least one fact (see --help)")
    data = parse_facts(change)
    ctx = Context()
    result = act(ctx.url, record_facts, actor=principal(by), incident_id=incident_id, data=data)
    deliver_now(ctx, incident_id)
    if json_out:
        emit_json(result)
    else:
        changed = ", ".join(result.changed)
        out.print(f"{incident_id}: facts revision {result.revision} ({changed})")


@handled()
def reclassify(
    incident_id: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="Why it is reclassified.")],
    kind: Annotated[
        str | None, typer.Option("--kind", help="leak|destruction|tampering|erasure|violation")
    ] = None,
    suspected: Annotated[
        bool | None,
        typer.Option("--suspected/--confirmed", help="おそれ (suspected) or 発生 (confirmed)."),
    ] = None,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Change the kind and/or おそれ/発生, with the reason (audited, notified without content)."""
    from jikoflow.models.choices import parse_choice
    from jikoflow.models.enums import IncidentKind
    from jikoflow.models.facts.schemas import ReclassifyInput
    from jikoflow.models.facts.service import reclassify as reclassify_incident
    from jikoflow.models.schemas import parse

    new_kind = parse_choice(IncidentKind, kind, "kind") if kind is not None else None
    data = parse(ReclassifyInput, {"kind": new_kind, "suspected": suspected, "reason": reason})
    ctx = Context()
    result = act(
        ctx.url, reclassify_incident, actor=principal(by), incident_id=incident_id, data=data
    )
    deliver_now(ctx, incident_id)
    if json_out:
        emit_json(result)
    else:
        state = "suspected" if result.suspected else "confirmed"
        out.print(f"{incident_id}: reclassified as {result.kind} ({state})")


@handled()
def return_record(
    incident_id: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="Why the record is returned.")],
    by: Annotated[str, typer.Option("--by", help="The manager of 甲 returning the record.")],
    json_out: JsonOpt = False,
) -> None:
    """甲 returns the submitted record (差戻し): back to open, the record step due again."""
    from jikoflow.models.facts.schemas import ReturnInput
    from jikoflow.models.facts.service import return_record as return_submitted
    from jikoflow.models.schemas import parse
    from jikoflow.models.times import tokyo_time

    data = parse(ReturnInput, {"reason": reason})
    ctx = Context()
    result = act(ctx.url, return_submitted, actor=principal(by), incident_id=incident_id, data=data)
    deliver_now(ctx, incident_id)
    if json_out:
        emit_json(result)
    else:
        due = tokyo_time(result.record_due_at)
        out.print(f"{incident_id}: version {result.version} returned; record due again {due}")


@handled({"number": "--done"})
def instruct(
    incident_id: IdArg,
    text: Annotated[str | None, typer.Option("--text", help="The instruction (Art. 22).")] = None,
    due: Annotated[str | None, typer.Option("--due", help="Due date (YYYY-MM-DD).")] = None,
    done: Annotated[int | None, typer.Option("--done", help="Mark instruction N done.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="How it was done.")] = None,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """甲 instructs or asks for a report (Art. 22), or marks instruction N done (--done N)."""
    from jikoflow.models.facts.schemas import InstructInput, InstructionDoneInput
    from jikoflow.models.facts.service import complete_instruction
    from jikoflow.models.facts.service import instruct as give_instruction
    from jikoflow.models.schemas import parse
    from jikoflow.models.times import parse_day

    if (text is None) == (done is None):
        raise BadInput("text", "give either --text TEXT or --done N")
    ctx = Context()
    actor = principal(by)
    if done is not None:
        if due is not None:
            raise BadInput("due", "a due date is given with --text, not with --done")
        finished = parse(InstructionDoneInput, {"number": done, "note": note})
        result = act(
            ctx.url, complete_instruction, actor=actor, incident_id=incident_id, data=finished
        )
    else:
        if note is not None:
            raise BadInput("note", "a note is given with --done N")
        day = parse_day(due, "due") if due is not None else None
        given = parse(InstructInput, {"text": text, "due": day})
        result = act(ctx.url, give_instruction, actor=actor, incident_id=incident_id, data=given)
    deliver_now(ctx, incident_id)
    if json_out:
        emit_json(result)
    else:
        out.print(f"{incident_id}: instruction {result.number} {result.status}")


@handled()
def publish(
    incident_id: IdArg,
    decision: Annotated[str, typer.Option("--decision", help="publish or withhold.")],
    on: Annotated[
        str | None, typer.Option("--on", help="Day of publication or decision (YYYY-MM-DD).")
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (required to withhold).")
    ] = None,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """甲's decision on publication (Art. 25)."""
    from jikoflow.models.choices import parse_choice
    from jikoflow.models.enums import Publication
    from jikoflow.models.facts.schemas import PublishInput
    from jikoflow.models.facts.service import publish as decide
    from jikoflow.models.schemas import parse
    from jikoflow.models.times import parse_day

    choice = parse_choice(Publication, decision, "decision")
    day = parse_day(on, "on") if on is not None else None
    data = parse(PublishInput, {"decision": choice, "on": day, "reason": reason})
    ctx = Context()
    result = act(ctx.url, decide, actor=principal(by), incident_id=incident_id, data=data)
    deliver_now(ctx, incident_id)
    if json_out:
        emit_json(result)
    else:
        out.print(f"{incident_id}: publication {result.decision} ({result.on.isoformat()})")


@handled({"fmt": "--format"})
def ppc(
    incident_id: IdArg,
    stage: Annotated[str, typer.Option("--stage", help="preliminary or final.")] = "preliminary",
    fmt: Annotated[str, typer.Option("--format", help="md, html or pdf.")] = "md",
    dates: Annotated[str, typer.Option("--dates", help="western or era (令和).")] = "western",
    out_path: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the --out file if it exists.")
    ] = False,
    by: ByOpt = None,
) -> None:
    """Draft 甲's report to the PPC (漏えい等報告) from the facts; what they lack is marked."""
    from jikoflow.cli.files import checked_out_path, write_out
    from jikoflow.models.choices import parse_choice
    from jikoflow.models.enums import AppiStage
    from jikoflow.models.facts.service import ppc_draft
    from jikoflow.records.render import DateStyle, RecordFormat

    chosen_stage = parse_choice(AppiStage, stage, "stage")
    record_format = parse_choice(RecordFormat, fmt, "fmt")
    style = parse_choice(DateStyle, dates, "dates")
    if record_format is RecordFormat.PDF and out_path is None:
        raise BadInput("out", "a PDF needs --out PATH")
    ctx = Context()
    if out_path is not None:
        checked_out_path(out_path, ctx.settings, force=force)  # before any work
    body = read(
        ctx.url,
        ppc_draft,
        actor=principal(by),
        incident_id=incident_id,
        stage=chosen_stage,
        fmt=record_format.value,
        era=style is DateStyle.ERA,
    )
    if out_path is None:
        typer.echo(body.decode(), nl=False)
        return
    write_out(out_path, body, ctx.settings, force=force)
    typer.echo(f"wrote {out_path}", err=True)


def register(app: typer.Typer) -> None:
    """Add these commands to the CLI."""
    for command in (facts, reclassify, instruct, publish, ppc):
        app.command()(command)
    app.command(name="return")(return_record)
