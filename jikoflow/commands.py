"""The commands of DESIGN.md §7 for declaring, following and acknowledging incidents."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jikoflow.cli import (
    ByOpt,
    Context,
    JsonOpt,
    NowOpt,
    app,
    emit_json,
    handled,
    now_from,
    out,
    parties_app,
)
from jikoflow.models.db import reading, transaction
from jikoflow.models.enums import IncidentKind
from jikoflow.models.errors import BadInput


@app.command()
@handled
def init(json_out: JsonOpt = False) -> None:
    """Create or upgrade the database."""
    from jikoflow.database import upgrade

    ctx = Context()
    before, after = upgrade(ctx.settings.database_url)
    if json_out:
        emit_json({"database": _safe_url(ctx.settings.database_url), "from": before, "to": after})
    else:
        out.print(f"database ready at revision {after} ({_safe_url(ctx.settings.database_url)})")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@parties_app.command("load")
@handled
def parties_load(
    file: Annotated[Path, typer.Argument(help="The parties YAML file.")],
    json_out: JsonOpt = False,
) -> None:
    """Load the parties file: all or nothing, and loading it twice changes nothing."""
    from jikoflow.models.audit.service import PARTIES_CHAIN, record_event
    from jikoflow.models.parties.file import read_parties
    from jikoflow.models.parties.service import load_parties

    parties = read_parties(file)
    ctx = Context()
    with transaction(ctx.url) as session:
        counts = load_parties(session, parties)
        if any(counts.values()):
            record_event(
                session, PARTIES_CHAIN, "parties_loaded", detail={"file": file.name, **counts}
            )
    if json_out:
        emit_json({"changed": counts})
    else:
        summary = ", ".join(f"{v} {k}" for k, v in counts.items())
        out.print(
            f"loaded {file}: {summary} changed"
            if any(counts.values())
            else f"loaded {file}: already up to date"
        )


@parties_app.command("show")
@handled
def parties_show(
    contract: Annotated[str | None, typer.Option("--contract", help="One contract.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Draw each contract's delegation tree, marking tiers without 甲's approval."""
    from jikoflow.models.parties.service import get_contract
    from jikoflow.models.parties.views import contracts_view

    ctx = Context()
    with reading(ctx.url) as session:
        if contract is not None:
            get_contract(session, contract)
        views = contracts_view(session, contract)
    if json_out:
        emit_json(views)
        return
    from jikoflow.render import chain_tree

    if not views:
        out.print("no contracts yet: load a parties file with `jikoflow parties load FILE`")
    for view in views:
        out.print(chain_tree(view, ctx.settings.lang))


def parse_kind(text: str) -> IncidentKind:
    """An incident kind from the command line."""
    try:
        return IncidentKind(text.strip().lower())
    except ValueError:
        allowed = ", ".join(k.value for k in IncidentKind)
        raise BadInput("--kind", f"{text!r} is not one of {allowed}") from None


@app.command()
@handled
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
    by: ByOpt = None,
    no_flow: Annotated[
        bool, typer.Option("--no-flow", help="Only record it; `sweep` delivers the reports.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Open an incident and report it at once to 甲, 乙 and every tier above."""
    from jikoflow.models.incidents.service import declare_incident, parse_when
    from jikoflow.models.types import utcnow

    incident_kind = parse_kind(kind)
    discovered = parse_when(discovered_at, "--discovered-at") if discovered_at else None
    ctx = Context()
    with transaction(ctx.url) as session:
        declared = declare_incident(
            session,
            contract_id=contract,
            org_id=org,
            kind=incident_kind,
            summary=summary,
            suspected=suspected,
            improper_purpose=improper_purpose,
            discovered_at=discovered,
            by=by,
            now=utcnow(),
        )
    ids = [declared.incident.id, *(v.id for v in declared.violations)]
    completed = True
    if not no_flow:
        from jikoflow.runner import run_flow

        for incident_id in ids:
            completed = run_flow(ctx.settings, "incident", incident_id=incident_id) and completed
    _print_declared(ctx, ids, completed, json_out)


def _print_declared(ctx: Context, ids: list[str], completed: bool, json_out: bool) -> None:
    from jikoflow.models.incidents.service import get_incident
    from jikoflow.models.incidents.views import incident_view
    from jikoflow.models.types import utcnow

    with reading(ctx.url) as session:
        views = [incident_view(session, get_incident(session, i), utcnow()) for i in ids]
    main, violations = views[0], views[1:]
    if json_out:
        emit_json(main | {"violations": [v["id"] for v in violations], "flow_completed": completed})
        return
    typer.echo(main["id"])
    for v in violations:
        typer.echo(
            f"{v['id']}  (第15条違反: 承認のない再委託 / unapproved subcontracting)", err=True
        )
    if not completed:
        typer.echo("some reports are not delivered yet; `jikoflow sweep` retries them", err=True)


@app.command()
@handled
def status(
    incident_id: Annotated[str, typer.Argument(metavar="ID", help="Incident id.")],
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Show one incident: steps with their clocks and every report."""
    from jikoflow.models.incidents.service import get_incident
    from jikoflow.models.incidents.views import incident_view

    moment = now_from(now)
    ctx = Context()
    with reading(ctx.url) as session:
        view = incident_view(session, get_incident(session, incident_id), moment)
    if json_out:
        emit_json(view)
        return
    from jikoflow.render import incident_panel

    out.print(incident_panel(view, ctx.settings.lang))


@app.command("list")
@handled
def list_(
    contract: Annotated[str | None, typer.Option("--contract", help="One contract.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Not closed.")] = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="With a late step.")] = False,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """List incidents, newest first (drills are never listed here)."""
    from jikoflow.models.incidents.service import list_incidents
    from jikoflow.models.incidents.views import incident_rows

    moment = now_from(now)
    ctx = Context()
    with reading(ctx.url) as session:
        incidents = list_incidents(
            session,
            contract_id=contract,
            open_only=open_only,
            overdue_at=moment if overdue else None,
        )
        rows = incident_rows(session, incidents, moment)
    if json_out:
        emit_json(rows)
        return
    from jikoflow.render import incidents_table

    out.print(incidents_table(rows, ctx.settings.lang) if rows else "no incidents")


@app.command()
@handled
def ack(
    incident_id: Annotated[str, typer.Argument(metavar="ID", help="Incident id.")],
    org: Annotated[str, typer.Option("--org", help="The recipient confirming receipt.")],
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Recipient ORG confirms it received the report."""
    from jikoflow.models.incidents.service import acknowledge_report

    ctx = Context()
    with transaction(ctx.url) as session:
        report = acknowledge_report(session, incident_id=incident_id, org_id=org, by=by)
        result = {
            "id": incident_id,
            "to": org,
            "status": str(report.status),
            "acknowledged_at": report.acknowledged_at.isoformat()
            if report.acknowledged_at
            else None,
        }
    if json_out:
        emit_json(result)
    else:
        out.print(f"{incident_id}: {org} acknowledged the report")


# The other command groups register themselves on import.
from jikoflow import demo as _demo  # noqa: E402,F401
from jikoflow import drill_commands as _drill  # noqa: E402,F401
from jikoflow import notify_commands as _notify  # noqa: E402,F401
from jikoflow import policy_commands as _policy  # noqa: E402,F401
from jikoflow import response_commands as _response  # noqa: E402,F401
from jikoflow import users_commands as _users  # noqa: E402,F401
from jikoflow import web_commands as _web  # noqa: E402,F401
