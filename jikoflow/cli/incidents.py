"""`declare`, `status`, `list` and `ack`: opening an incident, following it, confirming receipt."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Annotated

import typer

from jikoflow.cli.common import (
    ByOpt,
    Context,
    IdArg,
    JsonOpt,
    NowOpt,
    database_named,
    deliver_now,
    emit_json,
    handled,
    now_from,
    out,
    principal,
    say_delivery_problems,
)
from jikoflow.usecases import act, read

if TYPE_CHECKING:
    from jikoflow.models.incidents.schemas import DeclaredIds
    from jikoflow.notifications.stats import DeliveryStats
    from jikoflow.runner import Reported


@handled()
def declare(
    contract: Annotated[str, typer.Option("--contract", help="Contract id.")],
    org: Annotated[str, typer.Option("--org", help="Organisation where it happened.")],
    kind: Annotated[
        str, typer.Option("--kind", help="leak|destruction|tampering|erasure|violation")
    ],
    summary: Annotated[str, typer.Option("--summary", help="What happened (never sent to chat).")],
    suspected: Annotated[
        bool, typer.Option("--suspected", help="It may have happened (おそれ).")
    ] = False,
    improper_purpose: Annotated[
        bool, typer.Option("--improper-purpose", help="Improper purpose suspected (45-day record).")
    ] = False,
    discovered_at: Annotated[
        str | None, typer.Option("--discovered-at", help="ISO time; Asia/Tokyo without offset.")
    ] = None,
    confirm_discovery: Annotated[
        bool,
        typer.Option(
            "--confirm-discovery",
            help="The discovery time is right although before a tier's approval.",
        ),
    ] = False,
    key: Annotated[
        str | None,
        typer.Option("--key", help="Idempotency key: a retry with it returns the same incident."),
    ] = None,
    by: ByOpt = None,
    no_flow: Annotated[
        bool, typer.Option("--no-flow", help="Only record it; `sweep` delivers the reports.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Open an incident and report it at once to 甲, 乙 and every tier above."""
    from jikoflow.models.choices import parse_choice
    from jikoflow.models.enums import IncidentKind
    from jikoflow.models.incidents.schemas import DeclareInput
    from jikoflow.models.incidents.service import declare_ids
    from jikoflow.models.schemas import parse
    from jikoflow.models.times import parse_when

    data = parse(
        DeclareInput,
        {
            "contract": contract,
            "org": org,
            "kind": parse_choice(IncidentKind, kind, "kind"),
            "suspected": suspected,
            "summary": summary,
            "discovered_at": None
            if discovered_at is None
            else parse_when(discovered_at, "discovered_at"),
            "improper_purpose": improper_purpose,
            "confirm_discovery": confirm_discovery,
        },
    )
    ctx = Context()
    # The ids only: the reports go out before the incident's view is built (for --json).
    declared = act(ctx.url, declare_ids, actor=principal(by), data=data, idempotency_key=key)
    ids = [declared.id, *declared.violations]
    if not json_out:
        # Saved: the id is the user's whatever happens next.
        typer.echo(declared.id)
    reported = None
    if not no_flow:
        from jikoflow.runner import FlowState, report_and_hand_off

        # 「直ちに」: the reports go out now, from this process; the orchestrator comes after.
        say = None if json_out else functools.partial(_say_reported, ctx, ids)
        reported = report_and_hand_off(ctx.settings, ids, on_reported=say)
        if reported.flow is FlowState.NOT_STARTED and not json_out:
            typer.echo(
                f"the Article 24 flow did not start here ({reported.error}); `serve` starts it "
                "later and `sweep` keeps its clocks meanwhile",
                err=True,
            )
    _print_declared(ctx, declared, reported, json_out)


def _say_reported(ctx: Context, ids: list[str], stats: DeliveryStats) -> None:
    """On stderr: why messages failed, if any did (with what to do), then one line at most:
    the reports that wait, and that the flow runs here (embedded)."""
    from jikoflow.models.access import OPERATOR
    from jikoflow.models.incidents.service import incident_status
    from jikoflow.notifications.advice import error_counts
    from jikoflow.runner import service_mode

    if stats.failed:
        say_delivery_problems(error_counts(stats.errors), failed=stats.failed)
    waiting = [
        r.to
        for i in ids
        for r in read(ctx.url, incident_status, actor=OPERATOR, incident_id=i).reports
        if r.status == "pending"
    ]
    parts = []
    if waiting:
        why = " (chat unreachable)" if stats.outage else ""
        parts.append(
            f"reports to {', '.join(dict.fromkeys(waiting))} wait{why}; "
            "`serve` and `sweep` deliver them"
        )
    if not service_mode():
        parts.append("running the Article 24 flow in this process (embedded mode)")
    if parts:
        typer.echo("; ".join(parts), err=True)


def _print_declared(
    ctx: Context, declared: DeclaredIds, reported: Reported | None, json_out: bool
) -> None:
    from jikoflow.models.access import OPERATOR
    from jikoflow.models.incidents.service import incident_status

    if json_out:
        view = read(ctx.url, incident_status, actor=OPERATOR, incident_id=declared.id)
        flow = None if reported is None else str(reported.flow)
        extra = {
            "violations": declared.violations,
            "flow": flow,
            "flow_completed": flow == "completed",
            "flow_error": reported.error if reported else None,
        }
        emit_json(view.model_dump(mode="json") | extra)
        return
    for violation in declared.violations:
        typer.echo(
            f"{violation}  (特記事項違反（第15条・未承認の再委託） / unapproved subcontracting)",
            err=True,
        )


@handled()
def status(
    incident_id: IdArg,
    by: ByOpt = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Show one incident: steps with their clocks and every report."""
    from jikoflow.models.incidents.service import incident_status

    moment = now_from(now)
    ctx = Context()
    view = read(ctx.url, incident_status, actor=principal(by), incident_id=incident_id, now=moment)
    if json_out:
        emit_json(view)
        return
    from jikoflow.terminal.incidents import incident_panel

    out.print(incident_panel(view, ctx.settings.lang))


@handled()
def list_(
    contract: Annotated[str | None, typer.Option("--contract", help="One contract.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Not closed.")] = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="With a late step.")] = False,
    by: ByOpt = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """List incidents, newest first (drills are never listed here)."""
    from jikoflow.models.incidents.service import list_incidents

    moment = now_from(now)
    ctx = Context()
    rows = read(
        ctx.url,
        list_incidents,
        actor=principal(by),
        contract_id=contract,
        open_only=open_only,
        overdue=overdue,
        now=moment,
    )
    if json_out:
        emit_json(rows)
        return
    from jikoflow.terminal.incidents import incidents_table

    if not rows:
        typer.echo(f"no incidents in {database_named(ctx)}")
        return
    out.print(incidents_table(rows, ctx.settings.lang))


@handled()
def ack(
    incident_id: IdArg,
    org: Annotated[
        str | None, typer.Option("--org", help="The recipient confirming receipt.")
    ] = None,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Recipient ORG confirms it received the report (a manager of ORG, with --by)."""
    from jikoflow.models.incidents.service import acknowledge

    ctx = Context()
    result = act(ctx.url, acknowledge, actor=principal(by), incident_id=incident_id, org_id=org)
    deliver_now(ctx, incident_id)
    if json_out:
        emit_json(result)
    else:
        out.print(f"{incident_id}: {result.to} acknowledged the report")


@handled()
def correct_discovery(
    incident_id: IdArg,
    discovered_at: Annotated[
        str, typer.Option("--discovered-at", help="ISO time; Asia/Tokyo without offset.")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why it is corrected (audited).")],
    confirm_discovery: Annotated[
        bool,
        typer.Option("--confirm-discovery", help="Right although before a tier's approval."),
    ] = False,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Correct a wrong discovery time until the record is submitted; the clocks follow."""
    from jikoflow.models.incidents.discovery import CorrectDiscoveryInput
    from jikoflow.models.incidents.discovery import correct_discovery as correct
    from jikoflow.models.schemas import parse
    from jikoflow.models.times import parse_when
    from jikoflow.models.types import utcnow

    data = parse(
        CorrectDiscoveryInput,
        {
            "discovered_at": parse_when(discovered_at, "discovered_at"),
            "reason": reason,
            "confirm_discovery": confirm_discovery,
        },
    )
    ctx = Context()
    done = act(
        ctx.url, correct, actor=principal(by), incident_id=incident_id, data=data, now=utcnow()
    )
    if json_out:
        emit_json(done)
    else:
        from jikoflow.models.times import tokyo_time

        now_, was = tokyo_time(done.discovered_at, compact=True), tokyo_time(done.was, compact=True)
        out.print(f"{done.id}: discovered at {now_} (was {was})")


def register(app: typer.Typer) -> None:
    """Add these commands to the CLI."""
    app.command()(declare)
    app.command()(status)
    app.command("list")(list_)
    app.command()(ack)
    app.command("correct-discovery")(correct_discovery)
