"""`jikoflow demo`: the end-to-end walk-through on the embedded default."""

from __future__ import annotations

import time
from importlib.resources import as_file, files

from rich.rule import Rule

from jikoflow.cli import Context, app, handled, out
from jikoflow.models.db import reading, transaction
from jikoflow.models.enums import IncidentKind

CONTRACT = "C-2026-001"
DEMO_SUMMARY = (
    "第三次再委託先の入力センターで、住民票の写しの入力用紙を含む封筒1通の所在が確認できない。"
    "（デモ用の架空の内容です）"
)


@app.command()
@handled
def demo() -> None:
    """Load the sample parties, declare a suspected leak at the third tier, and show it."""
    ctx = Context()
    mode = "Slack" if ctx.settings.slack_token else "console (set SLACK_BOT_TOKEN for Slack)"
    out.print(Rule("jikoflow demo — 第24条 事故等発生時の対応"))
    out.print(f"database: {ctx.settings.database_url}\nnotifications: {mode}\n")
    load_sample(ctx)
    out.print("\n[bold]1.[/] 第三次再委託先 delta で漏えいのおそれ（suspected leak）を申告します。")
    started = time.perf_counter()
    incident_id = declare_at_third_tier(ctx)
    out.print(
        "[bold]2.[/] Article 24 flow: 甲・乙・中間の各階層へ同時に報告します … "
        "(the first run starts the embedded Prefect)"
    )
    from jikoflow.runner import run_flow

    completed = run_flow(ctx.settings, "incident", incident_id=incident_id)
    show(ctx, incident_id, time.perf_counter() - started, completed)


def load_sample(ctx: Context) -> None:
    """Load the bundled parties file and draw the sample contract's tree."""
    from jikoflow.models.parties.file import read_parties
    from jikoflow.models.parties.service import load_parties
    from jikoflow.models.parties.views import contracts_view
    from jikoflow.render import chain_tree

    with as_file(files("jikoflow").joinpath("sample/parties.yaml")) as path:
        parties = read_parties(path)
    with transaction(ctx.url) as session:
        load_parties(session, parties)
    with reading(ctx.url) as session:
        for view in contracts_view(session, CONTRACT):
            out.print(chain_tree(view, ctx.settings.lang))


def declare_at_third_tier(ctx: Context) -> str:
    """Declare the demo's suspected leak at delta (the third tier); returns its id."""
    from jikoflow.models.incidents.service import declare_incident
    from jikoflow.models.types import utcnow

    with transaction(ctx.url) as session:
        declared = declare_incident(
            session,
            contract_id=CONTRACT,
            org_id="delta",
            kind=IncidentKind.LEAK,
            suspected=True,
            summary=DEMO_SUMMARY,
            by="watanabe",
            now=utcnow(),
        )
    return declared.incident.id


def show(ctx: Context, incident_id: str, elapsed: float, completed: bool) -> None:
    """The incident as a responder sees it, and what to do next."""
    from jikoflow.models.incidents.service import get_incident
    from jikoflow.models.incidents.views import incident_view
    from jikoflow.models.types import utcnow
    from jikoflow.render import incident_panel

    with reading(ctx.url) as session:
        view = incident_view(session, get_incident(session, incident_id), utcnow())
    out.print(incident_panel(view, ctx.settings.lang))
    delivered = sum(r["status"] in ("delivered", "acknowledged") for r in view["reports"])
    retry = "" if completed else " — the rest is retried by `jikoflow sweep`"
    out.print(f"reports delivered: {delivered}/{len(view['reports'])} in {elapsed:.1f} s{retry}")
    unreachable = ", ".join(view["unreachable_by_chat"]) or "none — every organisation has one"
    out.print(f"organisations without a chat channel: {unreachable}")
    out.print(
        f"\nnext: `jikoflow ack {incident_id} --org nerima`, `jikoflow status {incident_id}`, "
        f"`jikoflow contain {incident_id} --action … --done`, `jikoflow list --open`"
    )
