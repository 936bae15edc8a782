"""`jikoflow notifications`: the outbox as an operator sees it — what waits, what failed, retry."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from jikoflow.cli import ByOpt, Context, JsonOpt, NowOpt, app, emit_json, handled, now_from, out
from jikoflow.models.db import reading, transaction
from jikoflow.models.errors import BadInput
from jikoflow.models.outbox.tables import Notification

if TYPE_CHECKING:
    from jikoflow.notifications.delivery import Where

notifications_app = typer.Typer(
    help="Chat notifications: what waits, what failed, and retrying it.",
    invoke_without_command=True,
)
app.add_typer(notifications_app, name="notifications")


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
    from jikoflow.render import tokyo

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
            tokyo(when) if when else "",
            r["last_error"] or "",
        ]
        out.print("  ".join(p for p in parts if p), markup=False, overflow="fold")


@notifications_app.callback()
@handled
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


@notifications_app.command("retry")
@handled
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
    from jikoflow.models.outbox.service import retry_rows
    from jikoflow.notifications.delivery import deliver, destinations

    if bool(ids) == all_failed:
        raise BadInput("ID", "give notification ids or --all (one of them)")
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
