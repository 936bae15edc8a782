"""Commands for the rest of the Article 24 sequence: contain, cause, prevent, record, submit."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlmodel import Session, select

from jikoflow.cli import ByOpt, Context, JsonOpt, NowOpt, app, emit_json, handled, now_from, out
from jikoflow.models.db import reading, transaction
from jikoflow.models.enums import Lang
from jikoflow.models.errors import BadInput
from jikoflow.models.response.tables import RecordVersion

if TYPE_CHECKING:
    from jikoflow.records.render import RecordFormat

IdArg = Annotated[str, typer.Argument(metavar="ID", help="Incident id.")]


@app.command()
@handled
def contain(
    incident_id: IdArg,
    action: Annotated[str, typer.Option("--action", help="The measure taken.")],
    done: Annotated[bool, typer.Option("--done", help="The damage is contained.")] = False,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Record a containment measure (Art. 24 (1)); --done when contained."""
    from jikoflow.models.response.service import record_containment

    ctx = Context()
    with transaction(ctx.url) as session:
        row = record_containment(session, incident_id, action=action, done=done, by=by)
        result = {"id": incident_id, "at": row.at.isoformat(), "contained": row.contained}
    from jikoflow.notifications.delivery import deliver

    deliver(ctx.settings, subjects=[incident_id])  # what fails now, `sweep` retries
    if json_out:
        emit_json(result)
    else:
        out.print(f"{incident_id}: containment recorded" + (" (contained)" if done else ""))


@app.command()
@handled
def cause(
    incident_id: IdArg,
    text: Annotated[str, typer.Option("--text", help="The root-cause analysis.")],
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Record or revise the root-cause analysis (Art. 24 (2))."""
    from jikoflow.models.response.service import record_cause

    ctx = Context()
    with transaction(ctx.url) as session:
        row = record_cause(session, incident_id, text=text, by=by)
        result = {"id": incident_id, "revision": row.revision, "at": row.at.isoformat()}
    from jikoflow.notifications.delivery import deliver

    deliver(ctx.settings, subjects=[incident_id])  # what fails now, `sweep` retries
    if json_out:
        emit_json(result)
    else:
        out.print(f"{incident_id}: root cause recorded (revision {row.revision})")


def parse_date(text: str, field: str) -> date:
    """An ISO date from the command line."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(field, f"not an ISO date (YYYY-MM-DD): {text!r}") from None


@app.command()
@handled
def prevent(
    incident_id: IdArg,
    measure: Annotated[str | None, typer.Option("--measure", help="A prevention measure.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Person responsible.")] = None,
    due: Annotated[str | None, typer.Option("--due", help="Due date (YYYY-MM-DD).")] = None,
    implemented: Annotated[
        int | None, typer.Option("--implemented", help="Mark measure N implemented.")
    ] = None,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Add a recurrence-prevention measure (Art. 24 (3)), or mark one implemented."""
    from jikoflow.models.response.service import add_measure, implement_measure

    if (measure is None) == (implemented is None):
        raise BadInput("--measure", "give either --measure TEXT or --implemented N")
    due_date = parse_date(due, "--due") if due else None
    ctx = Context()
    with transaction(ctx.url) as session:
        if implemented is not None:
            row = implement_measure(session, incident_id, number=implemented, by=by)
        else:
            row = add_measure(
                session, incident_id, measure=measure or "", owner=owner, due=due_date, by=by
            )
        result = {
            "id": incident_id,
            "number": row.number,
            "implemented": row.implemented_at is not None,
        }
    from jikoflow.notifications.delivery import deliver

    deliver(ctx.settings, subjects=[incident_id])  # what fails now, `sweep` retries
    if json_out:
        emit_json(result)
    else:
        state = "implemented" if result["implemented"] else "added"
        out.print(f"{incident_id}: measure {row.number} {state}")


def parse_lang(text: str) -> Lang:
    """ja or en."""
    try:
        return Lang(text.lower())
    except ValueError:
        raise BadInput("--lang", f"{text!r} is not ja or en") from None


@app.command()
@handled
def record(
    incident_id: IdArg,
    lang: Annotated[str, typer.Option("--lang", help="ja or en.")] = "ja",
    fmt: Annotated[str, typer.Option("--format", help="md, html or pdf.")] = "md",
    out_path: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
    version: Annotated[
        int | None, typer.Option("--version", help="A submitted version, as frozen.")
    ] = None,
) -> None:
    """Render the written record (a draft until submitted)."""
    from jikoflow.records.render import RecordFormat

    try:
        record_format = RecordFormat(fmt.lower())
    except ValueError:
        raise BadInput("--format", f"{fmt!r} is not md, html or pdf") from None
    language = parse_lang(lang)
    if record_format is RecordFormat.PDF and out_path is None:
        raise BadInput("--out", "a PDF needs --out PATH")
    ctx = Context()
    body = render_incident_record(ctx, incident_id, language, record_format, version)
    if out_path is None:
        typer.echo(body.decode(), nl=False)
        return
    tmp = out_path.with_name(out_path.name + ".part")
    try:
        tmp.write_bytes(body)
        tmp.replace(out_path)
    except OSError as exc:
        raise BadInput("--out", f"cannot write {out_path}: {exc.strerror or exc}") from None
    typer.echo(f"wrote {out_path}", err=True)


def render_incident_record(
    ctx: Context, incident_id: str, lang: Lang, fmt: RecordFormat, version: int | None = None
) -> bytes:
    """The record as bytes: a frozen version's Markdown, or rendered from the current data."""
    from jikoflow.models.incidents.service import get_incident
    from jikoflow.models.types import utcnow
    from jikoflow.records.data import record_data
    from jikoflow.records.render import render_record

    with reading(ctx.url) as session:
        get_incident(session, incident_id)
        if version is not None:
            return frozen_version(session, incident_id, version).encode()
        data = record_data(session, incident_id, now=utcnow())
    return render_record(data, lang=lang, fmt=fmt)


def frozen_version(session: Session, incident_id: str, version: int) -> str:
    """The Markdown of a submitted version, exactly as hashed."""
    row = session.exec(
        select(RecordVersion).where(
            RecordVersion.incident_id == incident_id, RecordVersion.version == version
        )
    ).first()
    if row is None:
        raise BadInput("--version", f"{incident_id} has no submitted version {version}")
    return row.content


@app.command()
@handled
def submit(
    incident_id: IdArg,
    lang: Annotated[str, typer.Option("--lang", help="Language of the record: ja or en.")] = "ja",
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Submit the written record to 甲 and 乙 (Art. 24 (4)), frozen with its SHA-256."""
    from jikoflow.models.response.service import check_submittable, submit_record
    from jikoflow.models.types import utcnow
    from jikoflow.records.data import record_data
    from jikoflow.records.render import RecordFormat, render_record

    language = parse_lang(lang)
    ctx = Context()
    now = utcnow()
    with transaction(ctx.url) as session:
        # Refuse before rendering: a record is only rendered for an incident that may be submitted.
        check_submittable(session, incident_id)
        data = record_data(session, incident_id, now=now, submitting=True)
        content = render_record(data, lang=language, fmt=RecordFormat.MD).decode()
        submitted = submit_record(
            session, incident_id, content=content, lang=language.value, by=by, now=now
        )
    from jikoflow.notifications.delivery import deliver

    deliver(ctx.settings, subjects=[incident_id])  # what fails now, `sweep` retries
    result = {
        "id": incident_id,
        "version": submitted.version,
        "sha256": submitted.sha256,
        "submitted_at": submitted.submitted_at.isoformat(),
        "state": "submitted",
    }
    if json_out:
        emit_json(result)
    else:
        out.print(
            f"{incident_id}: version {submitted.version} submitted "
            f"(sha256 {submitted.sha256[:16]}…)"
        )


@app.command()
@handled
def accept(
    incident_id: IdArg,
    by: Annotated[str, typer.Option("--by", help="A person of 甲 accepting the record.")],
    json_out: JsonOpt = False,
) -> None:
    """甲 accepts the submitted record, closing the incident."""
    from jikoflow.models.response.service import accept_record

    ctx = Context()
    with transaction(ctx.url) as session:
        row = accept_record(session, incident_id, by=by)
        result = {"id": incident_id, "version": row.version, "state": "closed", "accepted_by": by}
    from jikoflow.notifications.delivery import deliver

    deliver(ctx.settings, subjects=[incident_id])  # what fails now, `sweep` retries
    if json_out:
        emit_json(result)
    else:
        out.print(f"{incident_id}: version {row.version} accepted by {by}; closed")


@app.command()
@handled
def sweep(now: NowOpt = None, json_out: JsonOpt = False) -> None:
    """One pass of everything due: reminders, escalations and undelivered messages."""
    from jikoflow.models.incidents.sweep import sweep_clocks
    from jikoflow.notifications.delivery import deliver

    moment = now_from(now)
    ctx = Context()
    with transaction(ctx.url) as session:
        clocks = sweep_clocks(session, moment)
    stats = deliver(ctx.settings, now=moment)
    result = {
        "now": moment.isoformat(),
        "reminders": clocks.reminders,
        "escalations": clocks.escalations,
        "incidents": clocks.incidents,
        "sent": stats.sent,
        "retrying": stats.retrying,
        "failed": stats.failed,
        "unreachable": stats.unreachable,
    }
    if json_out:
        emit_json(result)
    else:
        out.print(", ".join(f"{k} {v}" for k, v in result.items() if k != "now"))
