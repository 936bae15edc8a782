"""`jikoflow notifications` and `sweep`: the outbox as an operator sees it, and one pass of
everything due (reminders, escalations, undelivered messages)."""

from __future__ import annotations

from datetime import datetime
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
from jikoflow.models.db import reading, transaction
from jikoflow.models.errors import BadInput
from jikoflow.models.outbox.tables import Notification

if TYPE_CHECKING:
    from jikoflow.notifications.delivery import Where

app = typer.Typer(
    help="Chat notifications: what waits, what failed, and retrying it.",
    invoke_without_command=True,
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def row_view(row: Notification, where: Where) -> dict[str, Any]:
    """One outbox row as `notifications --json` prints it, with where it went (or goes)."""
    channel, ts, thread_ts = where
    return {
        "id": row.id,
        "key": row.key,
        "transport": str(row.transport),
        "incident": row.subject_id,
        "org": row.org_id,
        "channel": channel,
        "event": row.event,
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt_at": _iso(row.next_attempt_at) if row.status == "pending" else None,
        "last_error": row.last_error,
        "ts": ts,
        "thread_ts": thread_ts,
        "created_at": _iso(row.created_at),
        "sent_at": _iso(row.sent_at),
    }


def _print_rows(rows: list[dict[str, Any]]) -> None:
    from jikoflow.models.times import tokyo_time

    if not rows:
        out.print("no notifications")
        return
    for r in rows:
        when = r["sent_at"] or r["next_attempt_at"]
        parts = [
            f"#{r['id']}",
            r["incident"] or "—",
            f"→ {r['org']} ({r['channel'] or 'no channel'})",
            r["event"],
            f"{r['status']} ×{r['attempts']}",
            tokyo_time(when, compact=True) if when else "",
            r["last_error"] or "",
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
    json_out: JsonOpt = False,
) -> None:
    """List the outbox, newest first; `retry` queues failed messages again."""
    if ctx.invoked_subcommand is not None:
        return
    from jikoflow.models.outbox.service import outbox_rows
    from jikoflow.notifications.delivery import destinations

    with reading(Context().url) as session:
        found = outbox_rows(session, failed_only=failed, subject_id=incident)
        where = destinations(session, found)
        rows = [row_view(r, where.get(r.id or 0, (None, None, None))) for r in found]
    if json_out:
        emit_json(rows)
    else:
        _print_rows(rows)


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
    from jikoflow.models.guard import operator_only
    from jikoflow.models.outbox.service import retry_rows
    from jikoflow.notifications.delivery import deliver, destinations

    operator_only(principal(by))
    if bool(ids) == all_failed:
        raise BadInput("id", "give notification ids or --all (one of them)")
    moment = now_from(now)
    ctx = Context()
    with transaction(ctx.url) as session:
        queued = retry_rows(session, ids=None if all_failed else ids, now=moment, by=by)
    stats = deliver(ctx.settings, now=moment)
    with reading(ctx.url) as session:
        found = [r for i in queued if (r := session.get(Notification, i)) is not None]
        where = destinations(session, found)
        rows = [row_view(r, where.get(r.id or 0, (None, None, None))) for r in found]
    if json_out:
        emit_json({"retried": queued, "sent": stats.sent, "notifications": rows})
        return
    out.print(f"retried {len(queued)}, sent {stats.sent}")
    _print_rows(rows)


@handled()
def sweep(now: NowOpt = None, json_out: JsonOpt = False) -> None:
    """One pass of everything due: reminders, escalations and undelivered messages."""
    from jikoflow.sweep import sweep as sweep_once

    moment = now_from(now)
    ctx = Context()
    ctx.url  # noqa: B018  (creates or upgrades the database first)
    result = sweep_once(ctx.settings, now=moment)
    if json_out:
        emit_json(result)
    else:
        out.print(", ".join(f"{k} {v}" for k, v in result.items() if k != "now"))


def register(app_: typer.Typer) -> None:
    """Add these commands to the CLI."""
    app_.add_typer(app, name="notifications")
    app_.command()(sweep)
