"""`jikoflow notifications` and `sweep`: the outbox as an operator sees it, and one pass of
everything due (reminders, escalations, undelivered messages)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from jikoflow.cli.common import (
    ByOpt,
    Context,
    JsonOpt,
    NowOpt,
    database_named,
    emit_json,
    handled,
    now_from,
    out,
    principal,
    say_delivery_problems,
)
from jikoflow.models.errors import BadInput
from jikoflow.usecases import act, read

if TYPE_CHECKING:
    from jikoflow.notifications.service import MessageView

app = typer.Typer(
    help="Chat notifications: what waits, what failed, and retrying it.",
    invoke_without_command=True,
)


def _print_rows(rows: list[MessageView], where: str) -> None:
    from jikoflow.models.times import tokyo_time

    if not rows:
        typer.echo(f"no notifications in {where}")
        return
    for r in rows:
        when = r.sent_at or r.next_attempt_at
        parts = [
            f"#{r.id}",
            r.incident,
            f"→ {r.org} ({r.channel or 'no channel'})",
            r.event,
            f"{r.status} ×{r.attempts}",
            tokyo_time(when, compact=True) if when else "",
            r.last_error or "",
        ]
        out.print("  ".join(p for p in parts if p), markup=False, overflow="fold")


@app.callback()
@handled()
def notifications(
    ctx: typer.Context,
    failed: Annotated[
        bool, typer.Option("--failed", help="Only failed and unreachable messages.")
    ] = False,
    incident: Annotated[str | None, typer.Option("--incident", help="One incident.")] = None,
    by: ByOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """List the outbox, newest first; `retry` queues failed messages again."""
    if ctx.invoked_subcommand is not None:
        return
    from jikoflow.notifications.service import list_messages

    context = Context()
    rows = read(
        context.url,
        list_messages,
        actor=principal(by),
        failed_only=failed,
        subject_id=incident,
    )
    if json_out:
        emit_json(rows)
    else:
        _print_rows(rows, database_named(context))


@app.command("retry")
@handled()
def retry(
    ids: Annotated[
        list[int] | None, typer.Argument(metavar="ID", help="Notification ids to retry.")
    ] = None,
    all_failed: Annotated[
        bool, typer.Option("--all", help="Every failed and unreachable message.")
    ] = False,
    by: ByOpt = None,
    now: NowOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Queue failed or unreachable messages again and try to deliver them now."""
    from jikoflow.notifications.delivery import deliver
    from jikoflow.notifications.service import messages_by_id, retry_messages

    if bool(ids) == all_failed:
        raise BadInput("id", "give notification ids or --all (one of them)")
    moment = now_from(now)
    ctx = Context()
    actor = principal(by)
    queued = act(ctx.url, retry_messages, actor=actor, ids=None if all_failed else ids, now=moment)
    stats = deliver(ctx.settings, now=moment)
    rows = read(ctx.url, messages_by_id, actor=actor, ids=queued)
    if json_out:
        emit_json({"retried": queued, "sent": stats.sent, "notifications": rows})
        return
    out.print(f"retried {len(queued)}, sent {stats.sent}")
    _print_rows(rows, database_named(ctx))


@handled()
def sweep(now: NowOpt = None, json_out: JsonOpt = False) -> None:
    """One pass of everything due: reminders, escalations and undelivered messages; a --now
    ahead of the clock only shows what that time would send."""
    from jikoflow.sweep import sweep as sweep_once

    moment = now_from(now)
    ctx = Context()
    ctx.url  # noqa: B018  (creates or upgrades the database first)
    result = sweep_once(ctx.settings, now=moment)
    if json_out:
        emit_json(result)
        return
    if not result["preview"]:
        failed = result.pop("failed_incidents", {})
        errors = result.pop("errors", {})
        shown = (f"{k} {v}" for k, v in result.items() if k not in ("now", "preview"))
        typer.echo(", ".join(shown))
        for incident_id, error in failed.items():
            typer.echo(f"skipped {incident_id}: {error}", err=True)
        say_delivery_problems(errors, failed=int(result["failed"]))
        return
    _print_preview(result)


def _print_preview(result: dict[str, object]) -> None:
    from jikoflow.models.times import tokyo_time

    would = result["would_send"]
    assert isinstance(would, list)
    when = tokyo_time(str(result["now"]), compact=True)
    out.print(f"preview (nothing sent or written): at {when} a sweep would send {len(would)}")
    for m in would:
        parts = [m["incident"], m["event"], m["step"] or "", f"→ {m['to']}", m["transport"]]
        parts.append("waiting" if m["queued"] else "new")
        out.print("  ".join(p for p in parts if p), markup=False, overflow="fold")


def register(app_: typer.Typer) -> None:
    """Add these commands to the CLI."""
    app_.add_typer(app, name="notifications")
    app_.command()(sweep)
