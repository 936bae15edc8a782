"""`jikoflow drill plan|plans|unplan|due|policy|finding …`: schedules, cadence, improvements.

Thin commands over `jikoflow.drills.plan_service` and the findings of `jikoflow.drills.service`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from jikoflow.cli.common import (
    ByOpt,
    Context,
    JsonOpt,
    NowOpt,
    emit_json,
    handled,
    now_from,
    out,
    principal,
)
from jikoflow.cli.drills import ContractOpt, reply, tokyo
from jikoflow.usecases import act, read

if TYPE_CHECKING:
    from datetime import date

OwnerOpt = Annotated[str | None, typer.Option("--owner", help="Person responsible.")]
DueOpt = Annotated[str | None, typer.Option("--due", help="Due date (YYYY-MM-DD).")]
NoteOpt = Annotated[str | None, typer.Option("--note", help="What was done.")]
FindingArg = Annotated[int, typer.Argument(metavar="ID", help="Finding id.")]


def day(text: str | None, field: str = "due") -> date | None:
    """A calendar date from the command line, if given."""
    from jikoflow.models.times import parse_day

    return None if text is None else parse_day(text, field)


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
    from jikoflow.drills.plan_service import plan_drill
    from jikoflow.drills.rules import DrillType
    from jikoflow.drills.schemas import PlanInput
    from jikoflow.models.choices import parse_choice
    from jikoflow.models.schemas import parse

    fields = {"contract": contract, "cron": cron, "tz": tz, "scenario": scenario, "org": org}
    kind = parse_choice(DrillType, drill_type, "type")
    data = parse(PlanInput, fields | {"type": kind, "window": window})
    result = act(Context().url, plan_drill, actor=principal(by), data=data)
    line = f"plan {result.id}: {kind} drill for {contract}, next run {tokyo(result.next_run)}"
    reply(result, json_out, line)


@handled()
def plans(by: ByOpt = None, json_out: JsonOpt = False) -> None:
    """Every drill plan with its next run time."""
    from jikoflow.drills.plan_service import list_plans

    rows = read(Context().url, list_plans, actor=principal(by))
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
    from jikoflow.drills.plan_service import unplan_drill

    result = act(Context().url, unplan_drill, actor=principal(by), plan_id=plan_id)
    reply(result, json_out, f"plan {plan_id} removed")


@handled()
def due(
    contract: Annotated[str | None, typer.Option("--contract", help="One contract.")] = None,
    by: ByOpt = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Per organisation and contract: last drills, next planned run, overdue."""
    from jikoflow.drills.plan_service import drills_due

    rows = read(
        Context().url, drills_due, actor=principal(by), contract_id=contract, now=now_from(now)
    )
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
    from jikoflow.drills.plan_service import set_policy
    from jikoflow.drills.schemas import PolicyInput
    from jikoflow.models.schemas import parse

    data = parse(
        PolicyInput,
        {
            "contract": contract,
            "contact_months": contact_months,
            "tabletop_months": tabletop_months,
        },
    )
    result = act(Context().url, set_policy, actor=principal(by), data=data)
    reply(
        result,
        json_out,
        f"{contract}: contact every {result.contact_months} months, "
        f"tabletop every {result.tabletop_months} months",
    )


@handled({"id": "DRILL"})
def finding_add(
    drill_id: Annotated[str, typer.Argument(metavar="DRILL", help="Drill id.")],
    text: Annotated[str, typer.Option("--text", help="The improvement item.")],
    owner: OwnerOpt = None,
    due_date: DueOpt = None,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Record an improvement item found by a drill."""
    from jikoflow.drills.schemas import FindingInput
    from jikoflow.drills.service import add_finding
    from jikoflow.models.schemas import parse

    data = parse(FindingInput, {"text": text, "owner": owner, "due": day(due_date)})
    result = act(Context().url, add_finding, actor=principal(by), drill_id=drill_id, data=data)
    reply(result, json_out, f"finding {result.id} ({result.drill} #{result.number}) recorded")


@handled({"drill": "--drill"})
def finding_list(
    drill_id: Annotated[str | None, typer.Option("--drill", help="One drill.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Not done yet.")] = False,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Improvement items, with owner, due date and state."""
    from jikoflow.drills.service import list_findings

    rows = read(
        Context().url, list_findings, actor=principal(by), drill_id=drill_id, open_only=open_only
    )
    if json_out:
        emit_json(rows)
        return
    if not rows:
        out.print("no findings")
    for r in rows:
        late = " [bold red]overdue[/]" if r.overdue else ""
        out.print(
            f"{r.id:>4}  {r.drill} #{r.number}  {r.state:<11} "
            f"{r.owner or '—'}  {r.due or '—'}{late}"
        )


@handled()
def finding_update(
    finding_id: FindingArg,
    state: Annotated[str | None, typer.Option("--state", help="open | in_progress | done")] = None,
    owner: OwnerOpt = None,
    due_date: DueOpt = None,
    note: NoteOpt = None,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Change an improvement item's state, owner, due date or note."""
    from jikoflow.drills.rules import FindingState
    from jikoflow.models.choices import parse_choice

    chosen = None if state is None else parse_choice(FindingState, state, "state")
    fields = {"state": chosen, "owner": owner, "due": day(due_date), "note": note}
    _change_finding(finding_id, fields, by, json_out)


@handled()
def finding_close(
    finding_id: FindingArg, note: NoteOpt = None, by: ByOpt = None, json_out: JsonOpt = False
) -> None:
    """Mark an improvement item done."""
    from jikoflow.drills.rules import FindingState

    _change_finding(finding_id, {"state": FindingState.DONE, "note": note}, by, json_out)


def _change_finding(
    finding_id: int, fields: dict[str, Any], by: str | None, json_out: bool
) -> None:
    from jikoflow.drills.schemas import FindingChange
    from jikoflow.drills.service import update_finding
    from jikoflow.models.schemas import parse

    data = parse(FindingChange, fields)
    result = act(
        Context().url, update_finding, actor=principal(by), finding_id=finding_id, data=data
    )
    reply(result, json_out, f"finding {result.id}: {result.state}")


def register(drill_app: typer.Typer) -> None:
    """Add the plan, cadence and finding commands to the `drill` group."""
    drill_app.command("plan")(plan)
    drill_app.command("plans")(plans)
    drill_app.command("unplan")(unplan)
    drill_app.command("due")(due)
    drill_app.command("policy")(policy)
    finding_app = typer.Typer(help="Improvement items found by drills.", no_args_is_help=True)
    finding_app.command("add")(finding_add)
    finding_app.command("list")(finding_list)
    finding_app.command("update")(finding_update)
    finding_app.command("close")(finding_close)
    drill_app.add_typer(finding_app, name="finding")
