"""Terminal views (rich) of drills, plans and the drill cadence; times shown in Asia/Tokyo."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from jikoflow.models.times import tokyo_time

if TYPE_CHECKING:
    from jikoflow.drills.schemas import DrillView, DueRow, InjectView, PlanView

OUTCOME_STYLE = {"in_time": "green", "before_due": "yellow", "late": "red", "none": "bold red"}


def drill_panel(view: DrillView) -> RenderableType:
    """One drill: its clock, every organisation reached and, for a tabletop, the injects."""
    head = (
        f"[bold]{view.id}[/] 【訓練】 {view.type} — {view.state}\n"
        f"contract {escape(view.contract)}, origin {escape(view.origin)}; "
        f"{_tokyo(view.started_at)} → {_tokyo(view.ends_at)}"
    )
    if view.incident:
        head += f"\ndrill incident {view.incident}; injects {view.released}/{view.injects_total}"
    table = Table(box=None, pad_edge=False)
    for column in ("org", "relation", "channel", "mgr", "delivery", "confirmed", "min", "outcome"):
        table.add_column(column)
    for p in view.participants:
        outcome = p.outcome or "—"
        table.add_row(
            escape(p.org),
            p.relation,
            escape(p.channel or "—"),
            str(p.managers),
            p.delivery,
            _tokyo(p.acknowledged_at),
            "—" if p.minutes is None else str(p.minutes),
            f"[{OUTCOME_STYLE.get(outcome, 'white')}]{outcome}[/]",
        )
    parts: list[RenderableType] = [head, table]
    parts += [inject_text(i, view.injects_total) for i in view.injects]
    return Panel(Group(*parts), title="drill", expand=False)


def inject_text(inject: InjectView, total: int) -> str:
    """An inject with its questions, as the facilitator reads it out."""
    lines = [f"[bold]inject {inject.number}/{total}[/] (+{inject.at})", escape(inject.text)]
    for q in inject.questions:
        lines.append(f"  ? [cyan]{escape(q.role_name)}[/] ({q.role}): {escape(q.ask)}")
    return "\n".join(lines)


def plans_table(rows: list[PlanView]) -> Table:
    """Every plan with its cron, zone and next run (in Asia/Tokyo)."""
    table = Table(box=None, pad_edge=False)
    for column in ("id", "contract", "type", "scenario", "cron", "tz", "next run"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            str(r.id),
            escape(r.contract),
            r.type,
            escape(r.scenario or "—"),
            escape(r.cron),
            r.tz,
            _tokyo(r.next_run) if r.next_run else "[red]not scheduled[/]",
        )
    return table


def due_table(rows: list[DueRow]) -> Table:
    """Per contract and organisation: last drills, next plans, overdue."""
    table = Table(box=None, pad_edge=False)
    for column in ("contract", "org", "last contact", "last tabletop", "next planned", "overdue"):
        table.add_column(column)
    for r in rows:
        planned = [c.next_planned for c in (r.contact, r.tabletop) if c.next_planned]
        late = [kind for kind, c in (("contact", r.contact), ("tabletop", r.tabletop)) if c.overdue]
        table.add_row(
            escape(r.contract),
            escape(r.org),
            _tokyo(r.contact.last),
            _tokyo(r.tabletop.last),
            _tokyo(min(planned)) if planned else "—",
            f"[bold red]{', '.join(late)}[/]" if late else "[green]no[/]",
        )
    return table


def _tokyo(value: datetime | None) -> str:
    return tokyo_time(value, compact=True)
