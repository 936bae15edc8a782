"""Pure builders of messages from `NoticeFacts` — the only input they accept (§5).

Two shapes: the summary *card* that opens an incident's thread in a channel (and is updated to
show every step's current state), and the *event* message that goes into that thread. Names
from the parties file are escaped for mrkdwn, so no name can mention a channel or a user; only
well-formed Slack user ids become mentions.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from jikoflow.models.enums import Lang, ReportStatus
from jikoflow.models.outbox.facts import NoticeEvent, NoticeFacts, Subject
from jikoflow.models.terms import label, suspected_label
from jikoflow.notifications.base import Context, Header, Message, Part, Section
from jikoflow.notifications.wording import DRILL_ORIGIN_LEADS, HEADINGS, LEADS, WORDS

TOKYO = ZoneInfo("Asia/Tokyo")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")
# Slack's limits (Block Kit): header 150, section text 3000, field 2000, 10 fields.
HEADER_MAX = 150
TEXT_MAX = 3000
NAME_MAX = 200
MAX_REPORT_LINES = 20


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack treats as control characters in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _name(text: str | None) -> str:
    return escape_mrkdwn(clip(text or "", NAME_MAX))


def format_time(value: datetime, lang: Lang = Lang.JA) -> str:
    """A time as users read it: Asia/Tokyo, to the minute."""
    local = value.astimezone(TOKYO)
    return f"{local:%Y-%m-%d %H:%M} JST" if lang is Lang.EN else f"{local:%Y年%m月%d日 %H:%M}"


def mentions(facts: NoticeFacts) -> str:
    """`<@U…>` for each well-formed Slack user id in the facts; anything else is dropped."""
    return " ".join(f"<@{user}>" for user in dict.fromkeys(facts.mentions) if _USER_ID.match(user))


def heading(facts: NoticeFacts, lang: Lang = Lang.JA) -> str:
    """The first line of an event message: drill marker, event and incident id."""
    marker = WORDS[lang]["drill"] if facts.drill else ""
    return clip(f"{marker}{HEADINGS[lang][facts.event]} {facts.subject_id}", HEADER_MAX)


def card_title(facts: NoticeFacts, lang: Lang = Lang.JA) -> str:
    """The card's title: drill marker, incident id, kind and suspected/confirmed."""
    w = WORDS[lang]
    marker = w["drill"] if facts.drill else ""
    what = f"{label(facts.kind, lang)}（{suspected_label(facts.suspected, lang)}）"
    return clip(f"{marker}{w['incident_title']} {facts.subject_id} {what}", HEADER_MAX)


def lead(facts: NoticeFacts, lang: Lang = Lang.JA) -> str:
    """The one sentence saying what happened, with names escaped."""
    w = WORDS[lang]
    values = {
        "org": _name(facts.org_name),
        "to": _name(facts.recipient_name) if facts.recipient_name else w["you"],
        "kind": label(facts.kind, lang),
        "suspected": suspected_label(facts.suspected, lang),
        "step": label(facts.step, lang) if facts.step else label(facts.state, lang),
        "status": label(facts.step_status, lang) if facts.step_status else w["none"],
        "due": format_time(facts.due_at, lang) if facts.due_at else w["none"],
        "version": str(facts.record_version) if facts.record_version else w["none"],
        "inject": str(facts.inject) if facts.inject else w["none"],
    }
    template = LEADS[lang][facts.event]
    if facts.event is NoticeEvent.DRILL_CHECK and facts.recipient_id == facts.org_id:
        template = DRILL_ORIGIN_LEADS[lang]
    return template.format_map(values)


def _field(name: str, value: str) -> str:
    return f"*{name}*\n{value}"


def _event_fields(facts: NoticeFacts, lang: Lang) -> list[tuple[str, str]]:
    w = WORDS[lang]
    rows = [
        (w["incident"], f"`{escape_mrkdwn(facts.subject_id)}`"),
        (w["contract"], f"{escape_mrkdwn(facts.contract_id)} {_name(facts.contract_title)}"),
        (w["org"], _name(facts.org_name)),
        (w["kind"], f"{label(facts.kind, lang)}（{suspected_label(facts.suspected, lang)}）"),
    ]
    if facts.recipient_name:
        rows.append((w["to"], _name(facts.recipient_name)))
    if facts.step is not None:
        status = label(facts.step_status, lang) if facts.step_status else ""
        rows.append((w["step"], f"{label(facts.step, lang)} {status}".strip()))
    if facts.due_at is not None:
        rows.append((w["due"], format_time(facts.due_at, lang)))
    if facts.record_version is not None:
        rows.append((w["version"], str(facts.record_version)))
    if facts.inject is not None:
        rows.append((w["inject"], str(facts.inject)))
    return rows


def commands(facts: NoticeFacts, lang: Lang = Lang.JA) -> tuple[str, ...]:
    """How to see more, and how the recipient confirms receipt while that is still open."""
    w = WORDS[lang]
    incident = escape_mrkdwn(facts.subject_id)
    drill = _about_drill(facts)
    lines = [f"{w['see']}: `jikoflow {'drill status' if drill else 'status'} {incident}`"]
    if facts.recipient_id and _awaits_ack(facts):
        recipient = escape_mrkdwn(facts.recipient_id)
        ack = "drill ack" if drill else "ack"
        lines.append(f"{w['ack']}: `jikoflow {ack} {incident} --org {recipient}`")
    return tuple(lines)


_DRILL_EVENTS = frozenset({NoticeEvent.DRILL_CHECK, NoticeEvent.DRILL_INJECT})
# A contact check's reminder goes, as a real report's does, only to those not confirmed yet.
_DRILL_ACKS = frozenset({NoticeEvent.DRILL_CHECK, NoticeEvent.REMINDER})


def _about_drill(facts: NoticeFacts) -> bool:
    """A drill's own message (not one of a tabletop's incident) points at the drill commands."""
    return facts.event in _DRILL_EVENTS or facts.subject is Subject.DRILL


def _awaits_ack(facts: NoticeFacts) -> bool:
    if _about_drill(facts):
        return facts.event in _DRILL_ACKS
    if facts.event is NoticeEvent.REPORT:
        return True
    return any(
        r.org_id == facts.recipient_id and r.status is not ReportStatus.ACKNOWLEDGED
        for r in facts.reports
    )


def _opening(facts: NoticeFacts, lang: Lang, *, mention: bool) -> str:
    who = mentions(facts) if mention else ""
    return clip(f"{who} {lead(facts, lang)}".strip(), TEXT_MAX)


def build_message(facts: NoticeFacts, lang: Lang = Lang.JA, *, key: str | None = None) -> Message:
    """The event message (a thread reply): what happened, the facts, how to see more."""
    title = heading(facts, lang)
    opening = _opening(facts, lang, mention=True)
    fields = _event_fields(facts, lang)
    blocks: list[Part] = [
        Header(title),
        Section(text=opening, fields=tuple(_field(k, v) for k, v in fields[:10])),
        Context(commands(facts, lang)),
    ]
    text = "\n".join([title, opening, *(f"{k}: {v}" for k, v in fields), *commands(facts, lang)])
    return Message(text=text, blocks=tuple(blocks), key=key)


def build_card(
    facts: NoticeFacts, lang: Lang = Lang.JA, *, key: str | None = None, mention: bool = True
) -> Message:
    """The summary card: the incident, the latest event, every step and every report's state."""
    w = WORDS[lang]
    title = card_title(facts, lang)
    latest = f"*{w['latest']}*: {HEADINGS[lang][facts.event]} — {lead(facts, lang)}"
    opening = clip(f"{mentions(facts) if mention else ''} {latest}".strip(), TEXT_MAX)
    fields = (
        (w["contract"], f"{escape_mrkdwn(facts.contract_id)} {_name(facts.contract_title)}"),
        (w["org"], _name(facts.org_name)),
        (w["state"], label(facts.state, lang)),
        (w["declared"], format_time(facts.declared_at, lang)),
    )
    blocks: list[Part] = [
        Header(title),
        Section(text=opening, fields=tuple(_field(k, v) for k, v in fields)),
    ]
    if facts.steps:
        blocks.append(Section(text=step_lines(facts, lang)))
    if facts.reports:
        blocks.append(Section(text=report_lines(facts, lang)))
    blocks.append(Context(commands(facts, lang)))
    text = "\n".join([title, opening, *(f"{k}: {v}" for k, v in fields), *commands(facts, lang)])
    return Message(text=text, blocks=tuple(blocks), key=key)


def step_lines(facts: NoticeFacts, lang: Lang = Lang.JA) -> str:
    """One line per step: name, state and due time."""
    w = WORDS[lang]
    lines = [f"*{w['steps']}*"]
    for step in facts.steps:
        lines.append(
            f"• {label(step.name, lang)}: {label(step.status, lang)}"
            f"（{w['due']} {format_time(step.due_at, lang)}）"
        )
    return clip("\n".join(lines), TEXT_MAX)


def report_lines(facts: NoticeFacts, lang: Lang = Lang.JA) -> str:
    """One line per report recipient (as many as fit): its name and the report's state."""
    w = WORDS[lang]
    lines = [f"*{w['reports']}*"]
    room = TEXT_MAX - len(lines[0]) - 40  # kept for the "and N more" line
    for report in facts.reports[:MAX_REPORT_LINES]:
        line = f"• {_name(report.org_name)}: {label(report.status, lang)}"
        if len(line) + 1 > room:
            break
        lines.append(line)
        room -= len(line) + 1
    if len(facts.reports) > len(lines) - 1:
        lines.append(w["more"].format(n=len(facts.reports) - (len(lines) - 1)))
    return "\n".join(lines)
