"""`jikoflow demo`: the end-to-end walk-through on the embedded default."""

from __future__ import annotations

import time
from importlib.resources import as_file, files

from rich.rule import Rule

from jikoflow.cli import Context, app, handled, out
from models.db import reading, transaction
from models.enums import IncidentKind

DEMO_SUMMARY = (
    "第三次再委託先の入力センターで、住民票の写しの入力用紙を含む封筒1通の所在が確認できない。"
    "（デモ用の架空の内容です）"
)


@app.command()
@handled
def demo() -> None:
    """Load the sample parties, declare a suspected leak at the third tier, and show it."""
    from jikoflow.render import chain_tree, incident_panel
    from jikoflow.runner import run_flow
    from models.incidents import declare_incident, get_incident
    from models.parties import load_parties, read_parties
    from models.types import utcnow
    from models.views import contracts_view, incident_view

    ctx = Context()
    lang = ctx.settings.lang
    mode = "Slack" if ctx.settings.slack_token else "console (set SLACK_BOT_TOKEN for Slack)"
    out.print(Rule("jikoflow demo — 第24条 事故等発生時の対応"))
    out.print(f"database: {ctx.settings.database_url}\nnotifications: {mode}\n")
    with as_file(files("jikoflow").joinpath("sample/parties.yaml")) as path:
        parties = read_parties(path)
    with transaction(ctx.url) as session:
        load_parties(session, parties)
    with reading(ctx.url) as session:
        for view in contracts_view(session, "C-2026-001"):
            out.print(chain_tree(view, lang))
    out.print("\n[bold]1.[/] 第三次再委託先 delta で漏えいのおそれ（suspected leak）を申告します。")
    started = time.perf_counter()
    with transaction(ctx.url) as session:
        declared = declare_incident(
            session,
            contract_id="C-2026-001",
            org_id="delta",
            kind=IncidentKind.LEAK,
            suspected=True,
            summary=DEMO_SUMMARY,
            by="watanabe",
            now=utcnow(),
        )
    incident_id = declared.incident.id
    out.print(
        "[bold]2.[/] Article 24 flow: 甲・乙・中間の各階層へ同時に報告します … "
        "(first run starts the embedded Prefect)"
    )
    completed = run_flow(ctx.settings, "incident", incident_id=incident_id)
    elapsed = time.perf_counter() - started
    with reading(ctx.url) as session:
        view = incident_view(session, get_incident(session, incident_id), utcnow())
    out.print(incident_panel(view, lang))
    delivered = sum(r["status"] in ("delivered", "acknowledged") for r in view["reports"])
    out.print(
        f"reports delivered: {delivered}/{len(view['reports'])} in {elapsed:.1f} s"
        + ("" if completed else " — some will be retried by `jikoflow sweep`")
    )
    if view["unreachable_by_chat"]:
        out.print(f"unreachable by chat: {', '.join(view['unreachable_by_chat'])}")
    out.print(
        "\nnext: "
        f"`jikoflow ack {incident_id} --org nerima`, `jikoflow status {incident_id}`, "
        "`jikoflow list --open`"
    )
