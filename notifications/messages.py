"""Pure builders of chat messages from `NoticeFacts` — the only input they accept (§5).

Names from the parties file are escaped for mrkdwn, so no name can mention a channel or user.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from models.enums import Lang, label, suspected_label
from models.notices import NoticeEvent, NoticeFacts
from notifications.base import Message

TOKYO = ZoneInfo("Asia/Tokyo")

_HEADINGS: dict[Lang, dict[NoticeEvent, str]] = {
    Lang.JA: {
        NoticeEvent.REPORT: "事故等報告",
        NoticeEvent.DECLARED: "事故等の申告",
        NoticeEvent.STATE: "対応状況の更新",
        NoticeEvent.REMINDER: "期限が近づいています",
        NoticeEvent.ESCALATION: "期限超過",
        NoticeEvent.SUBMITTED: "事故等報告書の提出",
        NoticeEvent.CLOSED: "事故等報告書の受理（完了）",
    },
    Lang.EN: {
        NoticeEvent.REPORT: "Incident report",
        NoticeEvent.DECLARED: "Incident declared",
        NoticeEvent.STATE: "Status update",
        NoticeEvent.REMINDER: "Deadline approaching",
        NoticeEvent.ESCALATION: "Overdue",
        NoticeEvent.SUBMITTED: "Written record submitted",
        NoticeEvent.CLOSED: "Written record accepted (closed)",
    },
}

_WORDS: dict[Lang, dict[str, str]] = {
    Lang.JA: {
        "drill": "【訓練】",
        "contract": "契約",
        "org": "発生組織",
        "kind": "種別",
        "incident": "事故ID",
        "to": "宛先",
        "due": "期限",
        "step": "対応項目",
        "version": "版",
        "steps": "対応状況",
        "reports": "報告の状況",
        "see": "詳細（チャットには内容を記載しません）",
        "ack": "受領確認",
        "reported": "{org} から {kind}（{suspected}）の報告があります。",
    },
    Lang.EN: {
        "drill": "[DRILL] ",
        "contract": "Contract",
        "org": "Organisation",
        "kind": "Kind",
        "incident": "Incident",
        "to": "To",
        "due": "Due",
        "step": "Step",
        "version": "Version",
        "steps": "Steps",
        "reports": "Reports",
        "see": "Details (never posted in chat)",
        "ack": "Acknowledge",
        "reported": "{org} reports a {kind} ({suspected}).",
    },
}


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack treats as control characters in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def format_time(value: datetime, lang: Lang = Lang.JA) -> str:
    """A time as users read it: Asia/Tokyo, to the minute."""
    local = value.astimezone(TOKYO)
    return f"{local:%Y-%m-%d %H:%M} JST" if lang is Lang.EN else f"{local:%Y年%m月%d日 %H:%M}"


def _mentions(facts: NoticeFacts) -> str:
    return " ".join(f"<@{user}>" for user in facts.mentions)


def _fields(facts: NoticeFacts, lang: Lang) -> list[tuple[str, str]]:
    w = _WORDS[lang]
    rows = [
        (w["incident"], f"`{facts.incident_id}`"),
        (w["contract"], f"{facts.contract_id} {escape_mrkdwn(facts.contract_title)}"),
        (w["org"], escape_mrkdwn(facts.org_name)),
        (w["kind"], f"{label(facts.kind, lang)}（{suspected_label(facts.suspected, lang)}）"),
    ]
    if facts.recipient_name:
        rows.append((w["to"], escape_mrkdwn(facts.recipient_name)))
    if facts.step is not None:
        status = label(facts.step_status, lang) if facts.step_status else ""
        rows.append((w["step"], f"{label(facts.step, lang)} {status}".strip()))
    if facts.due_at is not None:
        rows.append((w["due"], format_time(facts.due_at, lang)))
    if facts.record_version is not None:
        rows.append((w["version"], str(facts.record_version)))
    return rows


def _commands(facts: NoticeFacts, lang: Lang) -> str:
    w = _WORDS[lang]
    lines = [f"{w['see']}: `jikoflow status {facts.incident_id}`"]
    if facts.event is NoticeEvent.REPORT and facts.recipient_id:
        lines.append(f"{w['ack']}: `jikoflow ack {facts.incident_id} --org {facts.recipient_id}`")
    return "\n".join(lines)


def heading(facts: NoticeFacts, lang: Lang = Lang.JA) -> str:
    """The first line of a message: drill marker, event and incident id."""
    marker = _WORDS[lang]["drill"] if facts.drill else ""
    return f"{marker}{_HEADINGS[lang][facts.event]} {facts.incident_id}"


def build_message(facts: NoticeFacts, lang: Lang = Lang.JA) -> Message:
    """Text fallback and Block Kit blocks for one event."""
    w = _WORDS[lang]
    title = heading(facts, lang)
    fields = _fields(facts, lang)
    lead = w["reported"].format(
        org=escape_mrkdwn(facts.org_name),
        kind=label(facts.kind, lang),
        suspected=suspected_label(facts.suspected, lang),
    )
    mentions = _mentions(facts)
    body = f"{mentions} {lead}".strip()
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": body[:3000]}},
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"[:2000]} for k, v in fields[:10]],
        },
    ]
    if facts.steps and facts.event is not NoticeEvent.REPORT:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": step_lines(facts, lang)[:3000]}}
        )
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _commands(facts, lang)}]}
    )
    text = "\n".join([title, body, *(f"{k}: {v}" for k, v in fields), _commands(facts, lang)])
    return Message(text=text, blocks=blocks)


def step_lines(facts: NoticeFacts, lang: Lang = Lang.JA) -> str:
    """One line per step: name, state and due time."""
    w = _WORDS[lang]
    lines = [f"*{w['steps']}*"]
    for step in facts.steps:
        lines.append(
            f"• {label(step.name, lang)}: {label(step.status, lang)}"
            f"（{w['due']} {format_time(step.due_at, lang)}）"
        )
    return "\n".join(lines)
