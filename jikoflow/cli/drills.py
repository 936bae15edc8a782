"""`jikoflow drill …`: rehearsals under Art. 24 (3) — run, confirm, advance, close, report.

Thin commands over `jikoflow.drills.service`. Only `drill run` starts a Prefect flow; every
other drill command works on the database and delivers what it queued directly.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from jikoflow.cli.common import (
    ByOpt,
    Context,
    JsonOpt,
    NowOpt,
    deliver_now,
    emit_json,
    handled,
    now_from,
    out,
    principal,
)
from jikoflow.models.errors import BadInput
from jikoflow.usecases import act, read

if TYPE_CHECKING:
    from jikoflow.drills.schemas import DrillView

DrillArg = Annotated[str, typer.Argument(metavar="DRILL", help="Drill id.")]
ContractOpt = Annotated[str, typer.Option("--contract", help="Contract id.")]
NoFlowOpt = Annotated[
    bool, typer.Option("--no-flow", help="Only record it; `drill tick` or `sweep` delivers.")
]
# The drill commands' own arguments: a refused `id` is the DRILL argument.
ON_DRILL = {"id": "DRILL"}


def reply(data: Any, json_out: bool, line: str) -> None:
    """`data` as JSON with `--json`, otherwise one line for people."""
    if json_out:
        emit_json(data)
    else:
        out.print(line)


def tokyo(value: Any) -> str:
    """A time as the drill commands print it: Asia/Tokyo, to the minute."""
    from jikoflow.models.times import tokyo_time

    return tokyo_time(value, compact=True)


@handled(ON_DRILL)
def run_drill(
    contract: ContractOpt,
    drill_type: Annotated[str, typer.Option("--type", help="contact | tabletop")],
    scenario: Annotated[
        str | None, typer.Option("--scenario", help="Tabletop scenario: shipped id or file.")
    ] = None,
    org: Annotated[
        str | None, typer.Option("--org", help="Where the simulated incident happens.")
    ] = None,
    window: Annotated[int, typer.Option("--window", help="Contact check window, minutes.")] = 60,
    by: ByOpt = None,
    no_flow: NoFlowOpt = False,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Run a drill now, without the scheduler; a tabletop drives the real Article 24 flow."""
    from jikoflow.drills.rules import DrillType
    from jikoflow.drills.schemas import RunInput
    from jikoflow.drills.service import run_drill as start
    from jikoflow.drills.service import show_drill
    from jikoflow.models.choices import parse_choice
    from jikoflow.models.schemas import parse

    fields = {"contract": contract, "scenario": scenario, "org": org, "window": window}
    data = parse(RunInput, fields | {"type": parse_choice(DrillType, drill_type, "type")})
    ctx = Context()
    actor = principal(by)
    drill_id = act(ctx.url, start, actor=actor, data=data, now=now_from(now)).id
    completed = True
    if not no_flow:
        from jikoflow.runner import run_flow

        completed = run_flow(ctx.settings, "drill", drill_id=drill_id)
    view = read(ctx.url, show_drill, actor=actor, drill_id=drill_id)
    if json_out:
        emit_json(view.model_dump(mode="json") | {"flow_completed": completed})
        return
    typer.echo(view.id)
    _explain_start(view)
    if not completed:
        typer.echo("some messages are not delivered yet; `jikoflow sweep` retries them", err=True)


def _explain_start(view: DrillView) -> None:
    if view.type == "contact":
        typer.echo(
            f"contact-tree check: {len(view.participants)} organisations reached; window ends "
            f"{tokyo(view.ends_at)}; confirm with `jikoflow drill ack {view.id} --org ORG`",
            err=True,
        )
    else:
        typer.echo(
            f"tabletop: drill incident {view.incident} (never in `list`); "
            f"{view.injects_total} injects — `jikoflow drill next {view.id}`",
            err=True,
        )
    for orgs, what in ((view.no_channel, "no chat channel"), (view.no_manager, "no manager")):
        if orgs:
            typer.echo(f"{what}: {', '.join(orgs)}", err=True)


@handled(ON_DRILL)
def ack_drill(
    drill_id: DrillArg,
    org: Annotated[
        str | None, typer.Option("--org", help="The organisation confirming receipt.")
    ] = None,
    by: ByOpt = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Organisation ORG confirms it received the contact check (a manager of ORG, with --by)."""
    from jikoflow.drills.schemas import AckInput
    from jikoflow.drills.service import acknowledge
    from jikoflow.models.schemas import parse

    data = parse(AckInput, {"org": org})
    result = act(
        Context().url,
        acknowledge,
        actor=principal(by),
        drill_id=drill_id,
        data=data,
        now=now_from(now),
    )
    reply(result, json_out, f"{drill_id}: {result.org} confirmed after {result.minutes} min")


@handled(ON_DRILL)
def show(drill_id: DrillArg, by: ByOpt = None, json_out: JsonOpt = False) -> None:
    """One drill: who was reached, who confirmed, the injects released so far."""
    from jikoflow.drills.service import show_drill

    view = read(Context().url, show_drill, actor=principal(by), drill_id=drill_id)
    if json_out:
        emit_json(view)
        return
    from jikoflow.terminal.drills import drill_panel

    out.print(drill_panel(view))


@handled()
def list_(
    contract: Annotated[str | None, typer.Option("--contract", help="One contract.")] = None,
    running: Annotated[bool, typer.Option("--running", help="Only running drills.")] = False,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """List drills, newest first."""
    from jikoflow.drills.service import list_drills

    rows = read(
        Context().url, list_drills, actor=principal(by), contract_id=contract, running_only=running
    )
    if json_out:
        emit_json(rows)
        return
    if not rows:
        out.print("no drills")
    for r in rows:
        out.print(f"{r.id}  {r.type:<8}  {r.state:<7}  {r.contract}  {tokyo(r.started_at)}")


@handled(ON_DRILL)
def next_inject(
    drill_id: DrillArg,
    by: ByOpt = None,
    no_flow: NoFlowOpt = False,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Release the next inject of a tabletop now (chat only learns its number)."""
    from jikoflow.drills.service import next_inject as release

    ctx = Context()
    inject = act(ctx.url, release, actor=principal(by), drill_id=drill_id, now=now_from(now))
    if not no_flow:
        deliver_now(ctx, drill_id)
    if json_out:
        emit_json(inject)
        return
    from jikoflow.terminal.drills import inject_text

    out.print(inject_text(inject, inject.total))


@handled(ON_DRILL)
def respond(
    drill_id: DrillArg,
    inject: Annotated[int, typer.Option("--inject", help="The inject's number.")],
    role: Annotated[str, typer.Option("--role", help="The scenario role answering.")],
    text: Annotated[str, typer.Option("--text", help="The answer (never sent to chat).")],
    by: ByOpt = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Answer an inject's question for ROLE (recorded in the drill's audit trail)."""
    from jikoflow.drills.schemas import RespondInput
    from jikoflow.drills.service import respond as record
    from jikoflow.models.schemas import parse

    data = parse(RespondInput, {"inject": inject, "role": role, "text": text})
    result = act(
        Context().url, record, actor=principal(by), drill_id=drill_id, data=data, now=now_from(now)
    )
    reply(result, json_out, f"{drill_id}: response to inject {inject} recorded for {role}")


@handled(ON_DRILL)
def join(
    drill_id: DrillArg,
    by: Annotated[str, typer.Option("--by", help="The person attending.")],
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Record that a person attends the exercise."""
    from jikoflow.drills.service import join as attend

    result = act(Context().url, attend, actor=principal(by), drill_id=drill_id, now=now_from(now))
    reply(result, json_out, f"{drill_id}: {by} attends")


@handled(ON_DRILL)
def close(
    drill_id: DrillArg, by: ByOpt = None, now: NowOpt = None, json_out: JsonOpt = False
) -> None:
    """Close a drill before its window ends (the tick closes it at the end otherwise)."""
    from jikoflow.drills.service import end_drill

    view = act(Context().url, end_drill, actor=principal(by), drill_id=drill_id, now=now_from(now))
    silent = ", ".join(view.never_answered) or "—"
    reply(view, json_out, f"{drill_id}: closed; never answered: {silent}")


@handled()
def tick(now: NowOpt = None, json_out: JsonOpt = False) -> None:
    """One pass of what drills need now: due injects, reminders, ended windows (`serve` runs it)."""
    from jikoflow.drills.jobs import drill_tick

    Context().url  # noqa: B018  (creates or upgrades the database first)
    result = drill_tick(now_from(now))
    data = {
        "released": [{"drill": d, "inject": n} for d, n in result.released],
        "reminded": result.reminded,
        "closed": result.closed,
        "sent": result.sent,
    }
    reply(
        data,
        json_out,
        f"released {len(result.released)} inject(s), reminded {len(result.reminded)} "
        f"check(s), closed {len(result.closed)} drill(s)",
    )


@handled({**ON_DRILL, "fmt": "--format"})
def report(
    drill_id: DrillArg,
    lang: Annotated[str | None, typer.Option("--lang", help="ja | en")] = None,
    fmt: Annotated[str, typer.Option("--format", help="md | html | pdf")] = "md",
    out_path: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the --out file if it exists.")
    ] = False,
    by: ByOpt = None,
    now: NowOpt = None,
) -> None:
    """The after-action report: objectives, attendance, timeline, clocks, findings, items."""
    from jikoflow.cli.files import checked_out_path, write_out
    from jikoflow.drills.report import ReportFormat
    from jikoflow.drills.service import drill_report
    from jikoflow.models.choices import parse_choice
    from jikoflow.models.enums import Lang

    chosen = parse_choice(ReportFormat, fmt, "fmt")
    if chosen is ReportFormat.PDF and out_path is None:
        raise BadInput("out", "a PDF report needs --out PATH")
    ctx = Context()
    if out_path is not None:
        checked_out_path(out_path, ctx.settings, force=force)  # before any work
    language = ctx.settings.lang if lang is None else parse_choice(Lang, lang, "lang")
    body = read(
        ctx.url,
        drill_report,
        actor=principal(by),
        drill_id=drill_id,
        lang=language,
        fmt=chosen.value,
        now=now_from(now),
    )
    if out_path is None:
        sys.stdout.write(body.decode())
        return
    write_out(out_path, body, ctx.settings, force=force)
    out.print(f"{drill_id}: report written to {out_path}")


@handled()
def scenarios(json_out: JsonOpt = False) -> None:
    """The shipped tabletop scenarios."""
    from jikoflow.drills.scenario import shipped_summaries

    rows = shipped_summaries()
    if json_out:
        emit_json(rows)
        return
    for r in rows:
        out.print(f"{r.id:<28} tier {r.tier}  {r.injects} injects  {r.title}")


@handled()
def validate(
    file: Annotated[Path, typer.Argument(help="A scenario YAML file.")], json_out: JsonOpt = False
) -> None:
    """Check a scenario file; the first problem is named by its place in the file."""
    from jikoflow.drills.scenario import read_scenario

    scenario = read_scenario(file)
    reply(
        {"id": scenario.id, "valid": True, "injects": len(scenario.injects)},
        json_out,
        f"{file}: valid scenario {scenario.id} ({len(scenario.injects)} injects)",
    )


def register(drill_app: typer.Typer) -> None:
    """Add the drill commands to the `drill` group."""
    drill_app.command("run")(run_drill)
    drill_app.command("ack")(ack_drill)
    drill_app.command("show")(show)
    # Chat messages point at `drill status`, like `status ID` for incidents.
    drill_app.command("status", help="One drill (same as `drill show`).")(show)
    drill_app.command("list")(list_)
    drill_app.command("next")(next_inject)
    drill_app.command("respond")(respond)
    drill_app.command("join")(join)
    drill_app.command("close")(close)
    drill_app.command("tick")(tick)
    drill_app.command("report")(report)
    drill_app.command("scenarios")(scenarios)
    drill_app.command("validate")(validate)
