"""`jikoflow audit verify [ID]`: check that the audit trail and the sealed rows are unchanged."""

from __future__ import annotations

from typing import Annotated

import typer

from jikoflow.cli.common import ByOpt, Context, JsonOpt, emit_json, handled, principal
from jikoflow.usecases import read

audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)


@audit_app.command("verify")
@handled()
def audit_verify(
    incident_id: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="One incident; every chain without it.")
    ] = None,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Verify hashes and seals; name the first broken entry of each chain (exit 1 if any)."""
    from jikoflow.models.audit.verify import verify_trail

    ctx = Context()
    checks = read(ctx.url, verify_trail, actor=principal(by), incident_id=incident_id)
    broken = [c for c in checks if c.broken is not None]
    if json_out:
        emit_json(checks)
    else:
        for check in broken:
            typer.echo(f"{check.chain}: BROKEN at {check.broken}")
        from jikoflow.database import safe_url

        where = safe_url(ctx.settings.database_url)
        if broken:
            typer.echo(f"{len(broken)} of {len(checks)} chain(s) fail verification in {where}")
        else:
            events = sum(c.events for c in checks)
            typer.echo(f"{len(checks)} chain(s), {events} events verified in {where}")
    if broken:
        raise typer.Exit(1)
