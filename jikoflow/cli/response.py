"""The rest of the Article 24 sequence: contain, cause, prevent, record, submit, accept."""

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


@handled()
def contain(
    incident_id: IdArg,
    action: Annotated[str, typer.Option("--action", help="The measure taken.")],
    done: Annotated[bool, typer.Option("--done", help="The damage is contained.")] = False,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Record a measure against further damage (Art. 24 (1)); --done when contained."""
    from jikoflow.models.response.schemas import ContainInput
    from jikoflow.models.response.service import contain as record_containment
    from jikoflow.models.schemas import parse

    data = parse(ContainInput, {"action": action, "done": done})
    ctx = Context()
    result = act(
        ctx.url, record_containment, actor=principal(by), incident_id=incident_id, data=data
    )
    deliver_now(ctx, incident_id)
    if json_out:
        emit_json(result)
    else:
        out.print(f"{incident_id}: containment recorded" + (" (contained)" if done else ""))


@handled()
def cause(
    incident_id: IdArg,
    text: Annotated[str, typer.Option("--text", help="The root-cause analysis.")],
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Record or revise the root-cause analysis (Art. 24 (2))."""
    from jikoflow.models.response.schemas import CauseInput
    from jikoflow.models.response.service import record_cause
    from jikoflow.models.schemas import parse

    data = parse(CauseInput, {"text": text})
    ctx = Context()
    result = act(ctx.url, record_cause, actor=principal(by), incident_id=incident_id, data=data)
    deliver_now(ctx, incident_id)
    if json_out:
        emit_json(result)
    else:
        out.print(f"{incident_id}: root cause recorded (revision {result.revision})")


@handled({"number": "--implemented"})
def prevent(
    incident_id: IdArg,
    measure: Annotated[str | None, typer.Option("--measure", help="A prevention measure.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Person responsible.")] = None,
    due: Annotated[str | None, typer.Option("--due", help="Due date (YYYY-MM-DD).")] = None,
    implemented: Annotated[
        int | None, typer.Option("--implemented", help="Mark measure N implemented.")
    ] = None,
    evidence: Annotated[
        str | None, typer.Option("--evidence", help="How the implementation is shown.")
    ] = None,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Add a recurrence-prevention measure (Art. 24 (3)), or mark one implemented."""
    from jikoflow.models.response.schemas import MeasureInput
    from jikoflow.models.response.service import add_measure, implement_measure
    from jikoflow.models.schemas import parse
    from jikoflow.models.times import parse_day

    if (measure is None) == (implemented is None):
        raise BadInput("measure", "give either --measure TEXT or --implemented N")
    if evidence is not None and implemented is None:
        raise BadInput("evidence", "evidence is given with --implemented N")
    ctx = Context()
    actor = principal(by)
    if implemented is not None:
        result = act(
            ctx.url,
            implement_measure,
            actor=actor,
            incident_id=incident_id,
            number=implemented,
            evidence=evidence,
        )
    else:
        day = parse_day(due, "due") if due is not None else None
        data = parse(MeasureInput, {"measure": measure, "owner": owner, "due": day})
        result = act(ctx.url, add_measure, actor=actor, incident_id=incident_id, data=data)
    deliver_now(ctx, incident_id)
    if json_out:
        emit_json(result)
    else:
        state = "implemented" if result.implemented else "added"
        out.print(f"{incident_id}: measure {result.number} {state}")


@handled({"fmt": "--format"})
def record(
    incident_id: IdArg,
    lang: Annotated[str, typer.Option("--lang", help="ja or en.")] = "ja",
    fmt: Annotated[str, typer.Option("--format", help="md, html or pdf.")] = "md",
    out_path: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the --out file if it exists.")
    ] = False,
    version: Annotated[
        int | None, typer.Option("--version", help="A submitted version, as frozen.")
    ] = None,
    dates: Annotated[str, typer.Option("--dates", help="western or era (令和).")] = "western",
    by: ByOpt = None,
) -> None:
    """Render the written record (a draft until submitted)."""
    from jikoflow.models.choices import parse_choice
    from jikoflow.models.enums import Lang
    from jikoflow.models.response.service import record_document
    from jikoflow.records.render import DateStyle, RecordFormat

    record_format = parse_choice(RecordFormat, fmt, "fmt")
    language = parse_choice(Lang, lang, "lang")
    style = parse_choice(DateStyle, dates, "dates")
    if version is not None and style is DateStyle.ERA:
        raise BadInput("dates", "a submitted version is shown as frozen; --dates is for drafts")
    if record_format is RecordFormat.PDF and out_path is None:
        raise BadInput("out", "a PDF needs --out PATH")
    ctx = Context()
    if out_path is not None:
        from jikoflow.cli.files import checked_out_path

        checked_out_path(out_path, ctx.settings, force=force)  # before any work
    body = read(
        ctx.url,
        record_document,
        actor=principal(by),
        incident_id=incident_id,
        lang=language,
        fmt=record_format.value,
        version=version,
        era=style is DateStyle.ERA,
    )
    if out_path is None:
        typer.echo(body.decode(), nl=False)
        return
    from jikoflow.cli.files import write_out

    write_out(out_path, body, ctx.settings, force=force)
    typer.echo(f"wrote {out_path}", err=True)


@handled()
def submit(
    incident_id: IdArg,
    lang: Annotated[str, typer.Option("--lang", help="Language of the record: ja or en.")] = "ja",
    not_an_incident: Annotated[
        bool,
        typer.Option("--not-an-incident", help="Propose closing as 該当なし (needs --reason)."),
    ] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why it is not an incident.")
    ] = None,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Submit the written record to 甲 and 乙 (Art. 24 (4)), frozen with its SHA-256; with
    --not-an-incident it proposes 該当なし (no prevention plan needed)."""
    from jikoflow.models.choices import parse_choice
    from jikoflow.models.enums import Lang
    from jikoflow.models.response.schemas import SubmitInput
    from jikoflow.models.response.service import submit as submit_record
    from jikoflow.models.schemas import parse

    data = parse(
        SubmitInput,
        {
            "lang": parse_choice(Lang, lang, "lang"),
            "not_an_incident": not_an_incident,
            "reason": reason,
        },
    )
    ctx = Context()
    result = act(ctx.url, submit_record, actor=principal(by), incident_id=incident_id, data=data)
    deliver_now(ctx, incident_id)
    if json_out:
        emit_json(result)
    else:
        proposes = " as 該当なし (not an incident)" if data.not_an_incident else ""
        out.print(
            f"{incident_id}: version {result.version} submitted{proposes}"
            f" (sha256 {result.sha256[:16]}…)"
        )


@handled()
def accept(
    incident_id: IdArg,
    by: Annotated[str, typer.Option("--by", help="The manager of 甲 accepting the record.")],
    version: Annotated[
        int | None,
        typer.Option("--version", help="The version read: refused if another was submitted."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """甲 accepts the submitted record, closing the incident."""
    from jikoflow.models.response.schemas import AcceptInput
    from jikoflow.models.response.service import accept as accept_record
    from jikoflow.models.schemas import parse

    ctx = Context()
    data = parse(AcceptInput, {"version": version})
    result = act(ctx.url, accept_record, actor=principal(by), incident_id=incident_id, data=data)
    deliver_now(ctx, incident_id)
    if json_out:
        emit_json(result)
    else:
        outcome = " as 該当なし (not an incident)" if result.outcome == "not_an_incident" else ""
        out.print(f"{incident_id}: version {result.version} accepted{outcome} by {by}; closed")


def register(app: typer.Typer) -> None:
    """Add these commands to the CLI."""
    for command in (contain, cause, prevent, record, submit, accept):
        app.command()(command)
