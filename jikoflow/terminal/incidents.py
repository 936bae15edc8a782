"""Terminal views (rich) of incidents and chains; times in Asia/Tokyo, words from the term table."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from jikoflow.models.enums import Lang, StepName
from jikoflow.models.incidents.schemas import IncidentStatus, IncidentSummary
from jikoflow.models.parties.schemas import ContractTree
from jikoflow.models.terms import kind_label, label, noun, step_status_label, tier_label
from jikoflow.models.times import tokyo_time

STATUS_STYLE = {
    "pending": "yellow",
    "in_progress": "cyan",
    "done": "green",
    "overdue": "bold red",
    "delivered": "cyan",
    "acknowledged": "green",
    "failed": "bold red",
}


def _styled(text: str, status: str) -> Text:
    return Text(text, style=STATUS_STYLE.get(status, ""))


def _when(value: Any) -> str:
    return tokyo_time(value, compact=True)


def incident_panel(view: IncidentStatus, lang: Lang = Lang.JA) -> Panel:
    """One incident: header facts, the five steps and every report."""
    head = Table.grid(padding=(0, 2))
    head.add_row(noun("contract", lang), Text(f"{view.contract} {view.contract_title}"))
    head.add_row(noun("org", lang), Text(f"{view.org_name} ({view.org})"))
    head.add_row(noun("kind", lang), kind_label(view.kind, view.suspected, lang))
    head.add_row(noun("state", lang), label(view.state, lang))
    head.add_row(noun("discovered", lang), _when(view.discovered_at))
    head.add_row(noun("declared", lang), _when(view.declared_at))
    if view.linked_incidents:
        head.add_row(noun("linked", lang), ", ".join(view.linked_incidents))
    for name, value in _decision_rows(view, lang):
        head.add_row(name, Text(value))
    steps = Table(title="第24条の対応 (Asia/Tokyo)", title_justify="left", expand=True)
    for column in ("step", "status", "due", "done"):
        steps.add_column(noun(column, lang))
    for s in view.steps:
        steps.add_row(
            label(s.name, lang),
            _styled(step_status_label(s.name, s.status, lang), s.status),
            _styled(_when(s.due_at), s.status if s.status == "overdue" else ""),
            _when(s.done_at),
        )
    reports = Table(title=label_of_reports(lang), title_justify="left", expand=True)
    for column in ("recipient", "status", "channels", "sent", "acknowledged", "acknowledged_by"):
        reports.add_column(noun(column, lang))
    for r in view.reports:
        reports.add_row(
            Text(f"{r.to_name} ({r.to})"),
            _styled(label(r.status, lang), r.status),
            "・".join(label(c, lang) for c in r.channels) or "—",
            _when(r.sent_at),
            _when(r.acknowledged_at),
            Text(r.acknowledged_by_name or r.acknowledged_by or "—"),
        )
    parts: list[Any] = [head, steps, reports]
    if view.trail_broken:
        parts.insert(
            0,
            Text(
                "改ざんの疑い: 監査証跡の検証に失敗 / tampering suspected: the audit trail fails "
                f"verification at {view.trail_broken} (`jikoflow audit verify {view.id}`)",
                style="bold red",
            ),
        )
    if view.unreachable_by_chat:
        parts.append(
            Text(
                "チャットで連絡できない組織 / unreachable by chat: "
                + ", ".join(view.unreachable_by_chat),
                style="yellow",
            )
        )
    if view.notifications.failed:
        failed = len(view.notifications.failed)
        parts.append(Text(f"送信失敗の通知 / failed notifications: {failed}", style="red"))
    return Panel(Group(*parts), title=Text(view.id, style="bold"), title_align="left")


def _decision_rows(view: IncidentStatus, lang: Lang) -> list[tuple[str, str]]:
    """The outcome, 甲's APPI clocks, instructions and publication, when there is any."""
    ja = lang is Lang.JA
    rows: list[tuple[str, str]] = []
    if view.outcome == "not_an_incident":
        rows.append(("結果" if ja else "Outcome", "該当なし" if ja else "not an incident"))
    if view.facts_revision:
        rows.append(
            (
                "事実関係" if ja else "Facts",
                f"第{view.facts_revision}版" if ja else f"revision {view.facts_revision}",
            )
        )
    appi = view.appi
    if appi is not None and appi.reportable:
        due = [
            f"{'速報' if ja else 'preliminary'} {_when(appi.preliminary_due_at)}",
            f"{'確報' if ja else 'final'} {_when(appi.final_due_at)}",
        ]
        reasons = ", ".join(str(r) for r in appi.reasons)
        rows.append(
            (
                "個人情報保護委員会への報告" if ja else "Report to the PPC",
                f"{' / '.join(due)} ({reasons})",
            )
        )
    if view.instructions:
        open_ = sum(i.status != "done" for i in view.instructions)
        text = (
            f"{len(view.instructions)}件（未了 {open_}件）"
            if ja
            else (f"{len(view.instructions)} ({open_} open)")
        )
        rows.append(("甲の指示等" if ja else "Instructions", text))
    if view.publication is not None:
        on = view.publication.on.isoformat() if view.publication.on else "—"
        publish = view.publication.decision == "publish"
        decision = (
            ("公表する" if publish else "公表しない") if ja else str(view.publication.decision)
        )
        rows.append(("公表" if ja else "Publication", f"{decision} {on}"))
    return rows


def label_of_reports(lang: Lang) -> str:
    """The heading of the reports table."""
    return "報告（第一報）" if lang is Lang.JA else "Reports"


def incidents_table(rows: list[IncidentSummary], lang: Lang = Lang.JA) -> Table:
    """Many incidents, a row each. Whatever the terminal's width, the incident's id and time are
    shown whole, on one line; the other columns wrap (never cut). When every row is of one contract
    (a list of one contract, or a single contractor's), the contract is said once, above; the
    late steps have a column when a step is late."""
    contracts = {row.contract for row in rows}
    one = contracts.pop() if len(contracts) == 1 else None
    # No lines between the columns: at 80 columns the values have the room, not the borders.
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    if one is not None:
        table.title = Text(f"{noun('contract', lang)}: {one}")
        table.title_justify = "left"
    table.add_column(noun("incident_id", lang), no_wrap=True, min_width=len("INC-20261127-XXXXXX"))
    columns = ("org", "kind", "state") if one is not None else ("contract", "org", "kind", "state")
    for column in columns:
        table.add_column(noun(column, lang), overflow="fold")  # wraps, never cut
    table.add_column(noun("declared", lang), no_wrap=True, min_width=len("2026-11-27 09:00"))
    late_column = any(row.overdue_steps for row in rows)
    if late_column:
        table.add_column(noun("late", lang), overflow="fold")
    for row in rows:
        late = _late(row.overdue_steps, lang)
        cells: list[RenderableType] = [
            row.id,
            Text(row.contract),
            Text(row.org),
            kind_label(row.kind, row.suspected, lang, brief=True),
            label(row.state, lang),
            _when(row.declared_at),
            _styled(late, "overdue") if late else "",
        ]
        if not late_column:
            del cells[-1]
        if one is not None:
            del cells[1]
        table.add_row(*cells)
    return table


def _late(steps: list[StepName], lang: Lang) -> str:
    """A row's late steps in a few words: the first, and how many more (`status` tells all)."""
    if not steps:
        return ""
    first = label(steps[0], lang)
    if len(steps) == 1:
        return first
    return f"{first} 他{len(steps) - 1}" if lang is Lang.JA else f"{first} +{len(steps) - 1}"


def chain_tree(contract: ContractTree, lang: Lang = Lang.JA) -> Tree:
    """A contract's delegation tree, unapproved tiers marked."""
    tree = Tree(Text.assemble((contract.id, "bold"), f" {contract.title}"))
    branches: dict[str | None, Tree] = {None: tree}
    for node in contract.organizations:
        text = Text(f"{node.name} ({node.id}) — {tier_label(node.depth, lang)}")
        if node.unapproved:
            text.append(" ⚠ 甲の承認なし / not approved (Art. 15)", style="bold red")
        elif node.approved_at:
            approved = "承認" if lang is Lang.JA else "approved"
            text.append(f" {approved} {node.approved_at.isoformat()}", style="dim")
        if node.upstream_notice_missing:
            text.append(
                " ⚠ 元の委託者への通知の記録なし / delegator not notified (Art. 15 (3))",
                style="bold yellow",
            )
        if not node.slack_channel:
            text.append(" (チャットなし / no channel)", style="yellow")
        branches[node.id] = branches[node.parent].add(text)
    return tree
