"""`jikoflow drill plan|plans|unplan|due|policy|finding …`: schedules, cadence, improvements."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from jikoflow.cli.common import ByOpt, Context, JsonOpt, NowOpt, emit_json, handled, now_from, out
from jikoflow.cli.drills import ContractOpt, reply
from jikoflow.models.db import reading, transaction
from jikoflow.models.errors import BadInput

if TYPE_CHECKING:
    from sqlmodel import Session

    from jikoflow.drills.tables import DrillFinding

finding_app = typer.Typer(help="Improvement items found by drills.", no_args_is_help=True)

OwnerOpt = Annotated[str | None, typer.Option("--owner", help="Person responsible.")]
DueOpt = Annotated[str | None, typer.Option("--due", help="Due date (YYYY-MM-DD).")]
NoteOpt = Annotated[str | None, typer.Option("--note", help="What was done.")]


def parse_day(text: str | None, field: str = "--due") -> date | None:
    """A calendar date from the command line."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(field, f"not a date (YYYY-MM-DD): {text!r}") from None


@handled()
def plan(
    contract: ContractOpt,
    drill_type: Annotated[str, typer.Option("--type", help="contact | tabletop")],
    cron: Annotated[str, typer.Option("--cron", help='Crontab, e.g. "0 10 1 */6 *".')],
    tz: Annotated[str, typer.Option("--tz", help="Time zone of the cron.")] = "Asia/Tokyo",
    scenario: Annotated[str | None, typer.Option("--scenario", help="Tabletop scenario.")] = None,
    org: Annotated[str | None, typer.Option("--org", help="Simulated origin.")] = None,
    window: Annotated[int, typer.Option("--window", help="Contact window, minutes.")] = 60,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Run a drill on a schedule (kept in the database; `serve` runs it)."""
    from jikoflow.drills.plans import create_plan, job_store, plan_row, schedule_plan
    from jikoflow.drills.run import parse_type
    from jikoflow.drills.tables import DrillPlan

    kind = parse_type(drill_type)
    ctx = Context()
    with transaction(ctx.url) as session:
        row = create_plan(
            session,
            contract_id=contract,
            drill_type=kind,
            cron=cron,
            tz=tz,
            scenario=scenario,
            origin_id=org,
            window_minutes=window,
            by=by,
            now=now_from(None),
        )
    # The job is written after the row is committed: SQLite allows one writer at a time.
    try:
        with job_store(ctx.url) as store:
            schedule_plan(store, row)
            job = store.get_job(f"drill-plan-{row.id}")
    except Exception:
        with transaction(ctx.url) as session:
            session.delete(session.get_one(DrillPlan, row.id))
        raise
    result = plan_row(row, job.next_run_time if job else None)
    reply(
        result,
        json_out,
        f"plan {row.id}: {kind} drill for {contract}, next run {result['next_run']}",
    )


@handled()
def plans(json_out: JsonOpt = False) -> None:
    """Every drill plan with its next run time."""
    from jikoflow.drills.plans import job_store, plan_rows

    ctx = Context()
    with job_store(ctx.url) as store, reading(ctx.url) as session:
        rows = plan_rows(session, store)
    if json_out:
        emit_json(rows)
        return
    from jikoflow.terminal.drills import plans_table

    out.print(plans_table(rows) if rows else "no drill plans")


@handled()
def unplan(
    plan_id: Annotated[int, typer.Argument(metavar="ID", help="Plan id.")],
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Stop a plan; drills it already ran keep their evidence."""
    from jikoflow.drills.plans import job_id, job_store, remove_plan

    ctx = Context()
    with transaction(ctx.url) as session:
        remove_plan(session, plan_id, by=by, now=now_from(None))
    with job_store(ctx.url) as store:
        if store.get_job(job_id(plan_id)) is not None:
            store.remove_job(job_id(plan_id))
    reply({"id": plan_id, "removed": True}, json_out, f"plan {plan_id} removed")


@handled()
def due(
    contract: Annotated[str | None, typer.Option("--contract", help="One contract.")] = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Per organisation and contract: last drills, next planned run, overdue."""
    from jikoflow.drills.due import due_rows

    ctx = Context()
    with reading(ctx.url) as session:
        rows = due_rows(session, now_from(now), contract)
    if json_out:
        emit_json(rows)
        return
    from jikoflow.terminal.drills import due_table

    out.print(due_table(rows) if rows else "no contracts")


@handled()
def policy(
    contract: ContractOpt,
    contact_months: Annotated[
        int | None, typer.Option("--contact-months", help="Months between contact checks.")
    ] = None,
    tabletop_months: Annotated[
        int | None, typer.Option("--tabletop-months", help="Months between tabletops.")
    ] = None,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Override how often a contract rehearses (defaults: contact 6, tabletop 12 months)."""
    from jikoflow.drills.due import set_policy

    ctx = Context()
    with transaction(ctx.url) as session:
        row = set_policy(
            session,
            contract_id=contract,
            contact_months=contact_months,
            tabletop_months=tabletop_months,
            by=by,
            now=now_from(None),
        )
        result = {
            "contract": contract,
            "contact_months": row.contact_months,
            "tabletop_months": row.tabletop_months,
        }
    reply(
        result,
        json_out,
        f"{contract}: contact every {result['contact_months']} months, "
        f"tabletop every {result['tabletop_months']} months",
    )


@finding_app.command("add")
@handled()
def finding_add(
    drill_id: Annotated[str, typer.Argument(metavar="DRILL", help="Drill id.")],
    text: Annotated[str, typer.Option("--text", help="The improvement item.")],
    owner: OwnerOpt = None,
    due_date: DueOpt = None,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Record an improvement item found by a drill."""
    from jikoflow.drills.findings import add_finding

    due = parse_day(due_date)
    _save_finding(
        lambda session, now: add_finding(
            session, drill_id=drill_id, text=text, owner=owner, due=due, by=by, now=now
        ),
        "finding {id} ({drill} #{number}) recorded",
        json_out,
    )


@finding_app.command("list")
@handled()
def finding_list(
    drill_id: Annotated[str | None, typer.Option("--drill", help="One drill.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Not done yet.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Improvement items, with owner, due date and state."""
    from jikoflow.drills.findings import finding_row, list_findings

    today = now_from(None).date()
    ctx = Context()
    with reading(ctx.url) as session:
        rows = [
            finding_row(f, today)
            for f in list_findings(session, drill_id=drill_id, open_only=open_only)
        ]
    if json_out:
        emit_json(rows)
        return
    if not rows:
        out.print("no findings")
    for r in rows:
        late = " [bold red]overdue[/]" if r["overdue"] else ""
        out.print(
            f"{r['id']:>4}  {r['drill']} #{r['number']}  {r['state']:<11} "
            f"{r['owner'] or '—'}  {r['due'] or '—'}{late}"
        )


@finding_app.command("update")
@handled()
def finding_update(
    finding_id: Annotated[int, typer.Argument(metavar="ID", help="Finding id.")],
    state: Annotated[str | None, typer.Option("--state", help="open | in_progress | done")] = None,
    owner: OwnerOpt = None,
    due_date: DueOpt = None,
    note: NoteOpt = None,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Change an improvement item's state, owner, due date or note."""
    from jikoflow.drills.findings import parse_state, update_finding

    chosen = parse_state(state) if state else None
    due = parse_day(due_date)
    _save_finding(
        lambda session, now: update_finding(
            session, finding_id, state=chosen, owner=owner, due=due, note=note, by=by, now=now
        ),
        "finding {id}: {state}",
        json_out,
    )


@finding_app.command("close")
@handled()
def finding_close(
    finding_id: Annotated[int, typer.Argument(metavar="ID", help="Finding id.")],
    note: NoteOpt = None,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Mark an improvement item done."""
    from jikoflow.drills.findings import update_finding
    from jikoflow.drills.rules import FindingState

    _save_finding(
        lambda session, now: update_finding(
            session, finding_id, state=FindingState.DONE, note=note, by=by, now=now
        ),
        "finding {id}: {state}",
        json_out,
    )


def _save_finding(
    change: Callable[[Session, datetime], DrillFinding], line: str, json_out: bool
) -> None:
    """Make `change` now in one transaction; show the finding as it then is."""
    from jikoflow.drills.findings import finding_row

    moment = now_from(None)
    with transaction(Context().url) as session:
        result = finding_row(change(session, moment), moment.date())
    reply(result, json_out, line.format_map(result))


def register(drill_app: typer.Typer) -> None:
    """Add the plan, cadence and finding commands to the drill group."""
    drill_app.command("plan")(plan)
    drill_app.command("plans")(plans)
    drill_app.command("unplan")(unplan)
    drill_app.command("due")(due)
    drill_app.command("policy")(policy)
    drill_app.add_typer(finding_app, name="finding")
