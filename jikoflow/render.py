"""Terminal views (rich) of incidents and chains; times shown in Asia/Tokyo."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.tree import Tree

from jikoflow.models.enums import (
    IncidentKind,
    IncidentState,
    Lang,
    OrgKind,
    ReportStatus,
    StepName,
    StepStatus,
    label,
    suspected_label,
)

TOKYO = ZoneInfo("Asia/Tokyo")
STATUS_STYLE = {
    "pending": "yellow",
    "in_progress": "cyan",
    "done": "green",
    "overdue": "bold red",
    "delivered": "cyan",
    "acknowledged": "green",
    "failed": "bold red",
}


def tokyo(value: str | None) -> str:
    """An ISO time as Asia/Tokyo, to the minute; '—' for none."""
    if not value:
        return "—"
    return f"{datetime.fromisoformat(value).astimezone(TOKYO):%Y-%m-%d %H:%M}"


def _styled(text: str, status: str) -> str:
    style = STATUS_STYLE.get(status, "")
    return f"[{style}]{text}[/]" if style else text


def incident_panel(view: dict[str, Any], lang: Lang = Lang.JA) -> Panel:
    """One incident: header facts, the five steps and every report."""
    kind = label(IncidentKind(view["kind"]), lang)
    head = Table.grid(padding=(0, 2))
    head.add_row("契約 / contract", f"{view['contract']} {view['contract_title']}")
    head.add_row("組織 / org", f"{view['org_name']} ({view['org']})")
    head.add_row("種別 / kind", f"{kind}（{suspected_label(view['suspected'], lang)}）")
    head.add_row("状態 / state", label(IncidentState(view["state"]), lang))
    head.add_row("発見 / discovered", tokyo(view["discovered_at"]))
    head.add_row("申告 / declared", tokyo(view["declared_at"]))
    if view.get("linked_incident"):
        head.add_row("関連 / linked", view["linked_incident"])
    steps = Table(title="第24条の対応 (Asia/Tokyo)", title_justify="left", expand=True)
    for column in ("step", "status", "due", "done"):
        steps.add_column(column)
    for s in view["steps"]:
        steps.add_row(
            label(StepName(s["name"]), lang),
            _styled(label(StepStatus(s["status"]), lang), s["status"]),
            _styled(tokyo(s["due_at"]), s["status"] if s["status"] == "overdue" else ""),
            tokyo(s["done_at"]),
        )
    reports = Table(title="報告 / reports", title_justify="left", expand=True)
    for column in ("to", "status", "sent", "acknowledged"):
        reports.add_column(column)
    for r in view["reports"]:
        reports.add_row(
            f"{r['to_name']} ({r['to']})",
            _styled(label(ReportStatus(r["status"]), lang), r["status"]),
            tokyo(r["sent_at"]),
            tokyo(r["acknowledged_at"]),
        )
    parts: list[Any] = [head, steps, reports]
    if view["unreachable_by_chat"]:
        parts.append(
            f"[yellow]チャットで連絡できない組織 / unreachable by chat: "
            f"{', '.join(view['unreachable_by_chat'])}[/]"
        )
    failed = view["notifications"]["failed"]
    if failed:
        parts.append(f"[red]送信失敗の通知 / failed notifications: {len(failed)}[/]")
    return Panel(Group(*parts), title=f"[bold]{view['id']}[/]", title_align="left")


def incidents_table(rows: list[dict[str, Any]], lang: Lang = Lang.JA) -> Table:
    """Many incidents, one line each."""
    table = Table(expand=True)
    for column in ("id", "contract", "org", "kind", "state", "declared", "late"):
        table.add_column(column)
    for row in rows:
        late = row.get("overdue_steps") or []
        table.add_row(
            row["id"],
            row["contract"],
            row["org"],
            f"{label(IncidentKind(row['kind']), lang)}"
            f"（{suspected_label(row['suspected'], lang)}）",
            label(IncidentState(row["state"]), lang),
            tokyo(row["declared_at"]),
            _styled(", ".join(label(StepName(s), lang) for s in late), "overdue") if late else "",
        )
    return table


def chain_tree(contract: dict[str, Any], lang: Lang = Lang.JA) -> Tree:
    """A contract's delegation tree, unapproved tiers marked."""
    tree = Tree(f"[bold]{contract['id']}[/] {contract['title']}")

    def add(parent: Tree, node: dict[str, Any]) -> None:
        text = f"{node['name']} ({node['id']}) — {label(OrgKind(node['kind']), lang)}"
        if node["unapproved"]:
            text += " [bold red]⚠ 甲の承認なし / not approved (Art. 15)[/]"
        elif node["approved_at"]:
            text += f" [dim]承認 {node['approved_at']}[/]"
        if not node["slack_channel"]:
            text += " [yellow](チャットなし / no channel)[/]"
        branch = parent.add(text)
        for child in node["children"]:
            add(branch, child)

    add(tree, contract["tree"])
    return tree
