"""`jikoflow drill …`: rehearsals under Art. 24 (3) — run, confirm, advance, close, report.

Only `drill run` starts a Prefect flow; every other drill command works on the database and,
when it queued messages, delivers them directly.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from jikoflow.cli.common import ByOpt, Context, JsonOpt, NowOpt, emit_json, handled, now_from, out
from jikoflow.models.db import reading, transaction
from jikoflow.models.enums import Lang
from jikoflow.models.errors import BadInput

if TYPE_CHECKING:
    from sqlmodel import Session

drill_app = typer.Typer(
    help="Drills (Art. 24 (3)): contact-tree checks and tabletop exercises.",
    no_args_is_help=True,
)

DrillArg = Annotated[str, typer.Argument(metavar="DRILL", help="Drill id.")]
ContractOpt = Annotated[str, typer.Option("--contract", help="Contract id.")]
NoFlowOpt = Annotated[
    bool, typer.Option("--no-flow", help="Only record it; `drill tick` or `sweep` delivers.")
]


@contextmanager
def acting(ctx: Context, now: str | None) -> Iterator[tuple[Session, datetime]]:
    """One transaction on the command's database, and the moment (`--now`) it acts at."""
    moment = now_from(now)
    with transaction(ctx.url) as session:
        yield session, moment


def reply(data: Any, json_out: bool, line: str) -> None:
    """`data` as JSON with `--json`, otherwise one line for people."""
    if json_out:
        emit_json(data)
    else:
        out.print(line)


def parse_lang(text: str | None, default: Lang) -> Lang:
    """`--lang` as a language."""
    if text is None:
        return default
    try:
        return Lang(text.strip().lower())
    except ValueError:
        raise BadInput("--lang", f"{text!r} is not one of ja, en") from None


def _view(ctx: Context, drill_id: str) -> dict[str, Any]:
    from jikoflow.drills.core import get_drill
    from jikoflow.drills.views import drill_view

    with reading(ctx.url) as session:
        return drill_view(session, get_drill(session, drill_id))


@drill_app.command("run")
@handled()
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
    from datetime import timedelta

    from jikoflow.drills.run import parse_type, start_drill

    kind = parse_type(drill_type)
    ctx = Context()
    with acting(ctx, now) as (session, moment):
        drill = start_drill(
            session,
            contract_id=contract,
            drill_type=kind,
            scenario=scenario,
            origin_id=org,
            window=timedelta(minutes=window),
            by=by,
            now=moment,
        )
    completed = True
    if not no_flow:
        from jikoflow.runner import run_flow

        completed = run_flow(ctx.settings, "drill", drill_id=drill.id)
    view = _view(ctx, drill.id)
    if json_out:
        emit_json(view | {"flow_completed": completed})
        return
    typer.echo(drill.id)
    _explain_start(view)
    if not completed:
        typer.echo("some messages are not delivered yet; `jikoflow sweep` retries them", err=True)


def _explain_start(view: dict[str, Any]) -> None:
    reached = len(view["participants"])
    if view["type"] == "contact":
        typer.echo(
            f"contact-tree check: {reached} organisations reached; window ends "
            f"{_tokyo(view['ends_at'])}; confirm with "
            f"`jikoflow drill ack {view['id']} --org ORG`",
            err=True,
        )
    else:
        typer.echo(
            f"tabletop: drill incident {view['incident']} (never in `list`); "
            f"{view['injects_total']} injects — `jikoflow drill next {view['id']}`",
            err=True,
        )
    for key, what in (("no_channel", "no chat channel"), ("no_manager", "no manager")):
        if view[key]:
            typer.echo(f"{what}: {', '.join(view[key])}", err=True)


def _tokyo(iso: str | None) -> str:
    from jikoflow.models.times import tokyo_time

    return tokyo_time(iso, compact=True)


@drill_app.command("ack")
@handled()
def ack_drill(
    drill_id: DrillArg,
    org: Annotated[str, typer.Option("--org", help="The organisation confirming receipt.")],
    by: ByOpt = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Organisation ORG confirms it received the contact check."""
    from jikoflow.drills.contact import acknowledge
    from jikoflow.drills.core import get_drill
    from jikoflow.drills.rules import minutes_between

    with acting(Context(), now) as (session, moment):
        row = acknowledge(session, drill_id=drill_id, org_id=org, by=by, now=moment)
        started = get_drill(session, drill_id).started_at
        result = {
            "id": drill_id,
            "org": org,
            "acknowledged_at": row.acknowledged_at.isoformat() if row.acknowledged_at else None,
            "acknowledged_by": row.acknowledged_by,
            "minutes": minutes_between(started, row.acknowledged_at),
        }
    reply(result, json_out, f"{drill_id}: {org} confirmed after {result['minutes']} min")


@drill_app.command("show")
@handled()
def show(drill_id: DrillArg, json_out: JsonOpt = False) -> None:
    """One drill: who was reached, who confirmed, the injects released so far."""
    ctx = Context()
    view = _view(ctx, drill_id)
    if json_out:
        emit_json(view)
        return
    from jikoflow.terminal.drills import drill_panel

    out.print(drill_panel(view))


# Chat messages point at `drill status`, like `status ID` for incidents.
drill_app.command("status", help="One drill (same as `drill show`).")(show)


@drill_app.command("list")
@handled()
def list_drills_(
    contract: Annotated[str | None, typer.Option("--contract", help="One contract.")] = None,
    running: Annotated[bool, typer.Option("--running", help="Only running drills.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """List drills, newest first."""
    from jikoflow.drills.core import list_drills
    from jikoflow.drills.views import drill_row

    ctx = Context()
    with reading(ctx.url) as session:
        rows = [
            drill_row(d) for d in list_drills(session, contract_id=contract, running_only=running)
        ]
    if json_out:
        emit_json(rows)
        return
    if not rows:
        out.print("no drills")
    for r in rows:
        started = _tokyo(r["started_at"])
        out.print(f"{r['id']}  {r['type']:<8}  {r['state']:<7}  {r['contract']}  {started}")


@drill_app.command("next")
@handled()
def next_inject(
    drill_id: DrillArg,
    by: ByOpt = None,
    no_flow: NoFlowOpt = False,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Release the next inject of a tabletop now (chat only learns its number)."""
    from jikoflow.drills.tabletop import release_next

    ctx = Context()
    with acting(ctx, now) as (session, moment):
        number = release_next(session, drill_id, by=by, now=moment)
    if not no_flow:
        from jikoflow.notifications.delivery import deliver

        deliver(ctx.settings, subjects=[drill_id])  # what fails now, `sweep` retries
    view = _view(ctx, drill_id)
    inject = view["injects"][number - 1]
    if json_out:
        emit_json(inject | {"id": drill_id, "released": number, "total": view["injects_total"]})
        return
    from jikoflow.terminal.drills import inject_text

    out.print(inject_text(inject, view["injects_total"]))


@drill_app.command("respond")
@handled()
def respond_(
    drill_id: DrillArg,
    inject: Annotated[int, typer.Option("--inject", help="The inject's number.")],
    role: Annotated[str, typer.Option("--role", help="The scenario role answering.")],
    text: Annotated[str, typer.Option("--text", help="The answer (never sent to chat).")],
    by: ByOpt = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Answer an inject's question for ROLE (recorded in the drill's audit trail)."""
    from jikoflow.drills.tabletop import respond

    with acting(Context(), now) as (session, moment):
        respond(session, drill_id=drill_id, inject=inject, role=role, text=text, by=by, now=moment)
    reply(
        {"id": drill_id, "inject": inject, "role": role, "at": moment.isoformat()},
        json_out,
        f"{drill_id}: response to inject {inject} recorded for {role}",
    )


@drill_app.command("join")
@handled()
def join_(
    drill_id: DrillArg,
    by: Annotated[str, typer.Option("--by", help="The person attending.")],
    now: NowOpt = None,
) -> None:
    """Record that a person attends the exercise."""
    from jikoflow.drills.tabletop import join

    with acting(Context(), now) as (session, moment):
        join(session, drill_id=drill_id, by=by, now=moment)
    out.print(f"{drill_id}: {by} attends")


@drill_app.command("close")
@handled()
def close_(
    drill_id: DrillArg, by: ByOpt = None, now: NowOpt = None, json_out: JsonOpt = False
) -> None:
    """Close a drill before its window ends (the tick closes it at the end otherwise)."""
    from jikoflow.drills.core import close_drill, get_drill

    ctx = Context()
    with acting(ctx, now) as (session, moment):
        close_drill(session, get_drill(session, drill_id), moment, by)
    view = _view(ctx, drill_id)
    silent = ", ".join(view["never_answered"]) or "—"
    reply(view, json_out, f"{drill_id}: closed; never answered: {silent}")


@drill_app.command("tick")
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


@drill_app.command("report")
@handled()
def report(
    drill_id: DrillArg,
    lang: Annotated[str | None, typer.Option("--lang", help="ja | en")] = None,
    fmt: Annotated[str, typer.Option("--format", help="md | html | pdf")] = "md",
    out_path: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
    now: NowOpt = None,
) -> None:
    """The after-action report: objectives, attendance, timeline, clocks, findings, items."""
    from jikoflow.drills.evidence import report_data
    from jikoflow.drills.report import ReportFormat, parse_format, render_report

    chosen = parse_format(fmt)
    if chosen is ReportFormat.PDF and out_path is None:
        raise BadInput("--out", "a PDF report needs --out PATH")
    ctx = Context()
    language = parse_lang(lang, ctx.settings.lang)
    with reading(ctx.url) as session:
        data = report_data(session, drill_id, language, now_from(now))
    body = render_report(data, chosen)
    if out_path is None:
        sys.stdout.write(body.decode())
        return
    try:
        out_path.write_bytes(body)
    except OSError as exc:
        raise BadInput("--out", f"cannot write {out_path}: {exc.strerror or exc}") from None
    out.print(f"{drill_id}: report written to {out_path}")


@drill_app.command("scenarios")
@handled()
def scenarios(json_out: JsonOpt = False) -> None:
    """The shipped tabletop scenarios."""
    from jikoflow.drills.scenario import read_scenario, shipped_scenarios

    rows = []
    for path in shipped_scenarios():
        s = read_scenario(path)
        rows.append(
            {"id": s.id, "title": s.title, "tier": s.situation.tier, "injects": len(s.injects)}
        )
    if json_out:
        emit_json(rows)
        return
    for r in rows:
        out.print(f"{r['id']:<28} tier {r['tier']}  {r['injects']} injects  {r['title']}")


@drill_app.command("validate")
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
