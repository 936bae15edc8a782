"""`jikoflow demo`: the end-to-end walk-through on the embedded default."""

from __future__ import annotations

import time
from importlib.resources import as_file, files

from rich.rule import Rule

from jikoflow.cli.common import Context, handled, out
from jikoflow.models.enums import IncidentKind
from jikoflow.usecases import act, read

CONTRACT = "C-2026-001"
DEMO_SUMMARY = (
    "第三次再委託先の入力センターで、住民票の写しの入力用紙を含む封筒1通の所在が確認できない。"
    "（デモ用の架空の内容です）"
)


@handled()
def demo() -> None:
    """Load the sample parties, declare a suspected leak at the third tier, and show it."""
    ctx = Context()
    mode = "Slack" if ctx.settings.slack_token else "console (set SLACK_BOT_TOKEN for Slack)"
    out.print(Rule("jikoflow demo — 第24条 事故等発生時の対応"))
    out.print(f"database: {ctx.settings.database_url}\nnotifications: {mode}\n")
    load_sample(ctx)
    out.print("\n[bold]1.[/] 第三次再委託先 delta で漏えいのおそれ（suspected leak）を報告します。")
    started = time.perf_counter()
    incident_id = declare_at_third_tier(ctx)
    out.print("[bold]2.[/] 甲・乙・中間の各階層へ同時に報告します（第一報）…")
    from jikoflow.runner import FlowState, report_and_hand_off

    flow_started = [started]

    def reported(_stats: object) -> None:
        show(ctx, incident_id, time.perf_counter() - started)
        out.print("\n[bold]3.[/] Article 24 flow (Prefect; the first run starts its server) …")
        flow_started[0] = time.perf_counter()

    result = report_and_hand_off(ctx.settings, [incident_id], on_reported=reported)
    if result.flow is FlowState.NOT_STARTED:
        out.print(f"the flow did not start ({result.error}); `jikoflow sweep` keeps the clocks")
    elif result.flow is FlowState.QUEUED:
        out.print("the flow is queued: `jikoflow serve` starts it on the Prefect deployment")
    else:
        out.print(f"flow finished in {time.perf_counter() - flow_started[0]:.1f} s")
    next_steps(incident_id)


def load_sample(ctx: Context) -> None:
    """Load the bundled parties file and draw the sample contract's tree."""
    from jikoflow.models.access import OPERATOR
    from jikoflow.models.parties.file import read_parties
    from jikoflow.models.parties.service import load, trees
    from jikoflow.terminal.incidents import chain_tree

    with as_file(files("jikoflow").joinpath("sample/parties.yaml")) as path:
        parties = read_parties(path)
    act(ctx.url, load, actor=OPERATOR, parties=parties, source="sample/parties.yaml")
    for tree in read(ctx.url, trees, actor=OPERATOR, contract_id=CONTRACT):
        out.print(chain_tree(tree, ctx.settings.lang))


def declare_at_third_tier(ctx: Context) -> str:
    """Declare the demo's suspected leak at delta (the third tier); returns its id."""
    from jikoflow.models.access import person
    from jikoflow.models.incidents.schemas import DeclareInput
    from jikoflow.models.incidents.service import declare

    data = DeclareInput(
        contract=CONTRACT, org="delta", kind=IncidentKind.LEAK, suspected=True, summary=DEMO_SUMMARY
    )
    return act(ctx.url, declare, actor=person("watanabe"), data=data).incident.id


def show(ctx: Context, incident_id: str, elapsed: float) -> None:
    """The incident as a responder sees it, and what to do next."""
    from jikoflow.models.access import OPERATOR
    from jikoflow.models.incidents.service import incident_status
    from jikoflow.terminal.incidents import incident_panel

    view = read(ctx.url, incident_status, actor=OPERATOR, incident_id=incident_id)
    out.print(incident_panel(view, ctx.settings.lang))
    delivered = sum(r.status in ("delivered", "acknowledged") for r in view.reports)
    retry = "" if delivered == len(view.reports) else " — the rest is retried by `jikoflow sweep`"
    out.print(f"reports delivered: {delivered}/{len(view.reports)} in {elapsed:.2f} s{retry}")
    unreachable = ", ".join(view.unreachable_by_chat) or "none — every organisation has one"
    out.print(f"organisations without a chat channel: {unreachable}")


def next_steps(incident_id: str) -> None:
    """What to try next."""
    out.print(
        f"\nnext: `jikoflow ack {incident_id} --org nerima`, `jikoflow status {incident_id}`, "
        f"`jikoflow contain {incident_id} --action … --done`, `jikoflow list --open`"
    )
