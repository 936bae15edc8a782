"""Pure builders of messages from `NoticeFacts` — the only input they accept (§5).

Two shapes: the summary *card* that opens an incident's thread in a channel (and is updated to
show every step's current state), and the *event* message that goes into that thread. Both link
to the subject's page in the portal (never a command) and carry 「受領確認」 while their
recipient's report awaits it. Names from the parties file are escaped for mrkdwn, so no name
can mention a channel or a user; only well-formed Slack user ids become mentions.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from urllib.parse import quote

from jikoflow.models.enums import Lang, ReportStatus
from jikoflow.models.outbox.facts import NoticeEvent, NoticeFacts, ReportFact, Subject
from jikoflow.models.settings import DEFAULT_BASE_URL
from jikoflow.models.terms import aside, kind_label, label, step_status_label, suspected_label
from jikoflow.models.times import tokyo_time
from jikoflow.notifications.base import (
    Actions,
    Button,
    Context,
    Header,
    Message,
    Part,
    Section,
)
from jikoflow.notifications.wording import DRILL_ORIGIN_LEADS, HEADINGS, LEADS, WORDS

# The action ids of the buttons; Slack reports a click on either (`jikoflow.web` answers it).
ACK_ACTION = "jikoflow_ack"
DRILL_ACK_ACTION = "jikoflow_drill_ack"  # a contact check (Art. 24 (3)) confirmed
OPEN_ACTION = "jikoflow_open"
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


def _mrkdwn_name(text: str | None) -> str:
    return escape_mrkdwn(clip(text or "", NAME_MAX))


_name = _mrkdwn_name


def format_time(value: datetime, lang: Lang = Lang.JA) -> str:
    """A time as users read it: Asia/Tokyo, to the minute, as everywhere (2026年6月1日 10:00)."""
    return tokyo_time(value, lang)


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
    what = kind_label(facts.kind, facts.suspected, lang)
    return clip(f"{marker}{w['incident_title']} {facts.subject_id} {what}", HEADER_MAX)


def plain_name(text: str | None) -> str:
    """A name from the parties file as plain text (e-mail): one line, clipped."""
    return " ".join(clip(text or "", NAME_MAX).split())


def lead(facts: NoticeFacts, lang: Lang = Lang.JA, *, plain: bool = False) -> str:
    """The one sentence saying what happened, with names escaped (as they are with `plain`)."""
    w = WORDS[lang]
    name = plain_name if plain else _mrkdwn_name
    values = {
        "org": name(facts.org_name),
        "to": name(facts.recipient_name) if facts.recipient_name else w["you"],
        "kind": label(facts.kind, lang),
        "suspected": suspected_label(facts.suspected, lang),
        "step": label(facts.step, lang) if facts.step else label(facts.state, lang),
        "status": step_status_label(facts.step, facts.step_status, lang)
        if facts.step_status
        else w["none"],
        "due": format_time(facts.due_at, lang) if facts.due_at else w["none"],
        "version": str(facts.record_version) if facts.record_version else w["none"],
        "inject": str(facts.inject) if facts.inject else w["none"],
        "measure": str(facts.measure) if facts.measure else w["none"],
        "party": name(facts.party_name) if facts.party_name else w["none"],
        "person": name(facts.person_name) if facts.person_name else w["none"],
        "at": format_time(facts.at, lang) if facts.at else w["none"],
    }
    template = LEADS[lang][facts.event]
    if facts.event is NoticeEvent.DRILL_CHECK and facts.recipient_id == facts.org_id:
        template = DRILL_ORIGIN_LEADS[lang]
    return template.format_map(values)


def id_word(facts: NoticeFacts, lang: Lang) -> str:
    """What the subject's id is called: 事故ID, or 訓練ID for a drill's own messages."""
    return WORDS[lang]["drill_id" if facts.subject is Subject.DRILL else "incident"]


def _field(name: str, value: str) -> str:
    return f"*{name}*\n{value}"


def _event_fields(facts: NoticeFacts, lang: Lang) -> list[tuple[str, str]]:
    w = WORDS[lang]
    rows = [
        (id_word(facts, lang), f"`{escape_mrkdwn(facts.subject_id)}`"),
        (w["contract"], f"{escape_mrkdwn(facts.contract_id)} {_name(facts.contract_title)}"),
        (w["org"], _name(facts.org_name)),
        (w["kind"], kind_label(facts.kind, facts.suspected, lang)),
    ]
    if facts.recipient_name and facts.event is NoticeEvent.REPORT:
        # 報告先 is a report's recipient; any other message is only addressed to its channel.
        rows.append((w["to"], _name(facts.recipient_name)))
    if facts.step is not None:
        status = step_status_label(facts.step, facts.step_status, lang) if facts.step_status else ""
        rows.append((w["step"], f"{label(facts.step, lang)} {status}".strip()))
    if facts.due_at is not None:
        rows.append((w["due"], format_time(facts.due_at, lang)))
    if facts.record_version is not None:
        rows.append((w["version"], str(facts.record_version)))
    if facts.inject is not None:
        rows.append((w["inject"], str(facts.inject)))
    if facts.measure is not None:
        rows.append((w["measure"], str(facts.measure)))
    return rows


def page_url(facts: NoticeFacts, portal: str = DEFAULT_BASE_URL) -> str:
    """The subject's page in the portal (it asks for sign-in first)."""
    section = "drills" if _about_drill(facts) else "incidents"
    return f"{portal.rstrip('/')}/{section}/{quote(facts.subject_id, safe='')}"


def ack_value(incident_id: str, org_id: str) -> str:
    """What the acknowledge button carries: the incident and the recipient — ids only."""
    return json.dumps({"incident": incident_id, "org": org_id}, separators=(",", ":"))


def parse_ack_value(value: str) -> tuple[str, str] | None:
    """The (incident, recipient) an acknowledge button carries; None when it is not one."""
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    incident, org = data.get("incident"), data.get("org")
    if not isinstance(incident, str) or not isinstance(org, str) or not incident or not org:
        return None
    return incident, org


def awaits_ack(facts: NoticeFacts) -> bool:
    """Whether the message's recipient still has to confirm receipt (of a report or a check)."""
    return bool(facts.recipient_id) and _awaits_ack(facts)


def commands(
    facts: NoticeFacts, lang: Lang = Lang.JA, *, portal: str = DEFAULT_BASE_URL
) -> tuple[str, ...]:
    """How to see more (the portal's page), and how the recipient confirms receipt while open."""
    w = WORDS[lang]
    url = escape_mrkdwn(page_url(facts, portal))
    lines = [f"{w['see']}: <{url}|{escape_mrkdwn(facts.subject_id)}>"]
    if awaits_ack(facts):
        lines.append(_ack_hint(facts, lang))
    return tuple(lines)


def _ack_hint(facts: NoticeFacts, lang: Lang) -> str:
    return WORDS[lang]["drill_ack_hint" if _about_drill(facts) else "ack_hint"]


def _plain_commands(facts: NoticeFacts, lang: Lang, portal: str) -> list[str]:
    w = WORDS[lang]
    lines = [f"{w['see']}: {page_url(facts, portal)}"]
    if awaits_ack(facts):
        lines.append(_ack_hint(facts, lang))
    return lines


def buttons(facts: NoticeFacts, lang: Lang = Lang.JA, *, portal: str = DEFAULT_BASE_URL) -> Actions:
    """「受領確認」 while the recipient's report awaits it, and 「開く」 (the portal's page)."""
    w = WORDS[lang]
    row: list[Button] = []
    if awaits_ack(facts) and facts.recipient_id:
        value = ack_value(facts.subject_id, facts.recipient_id)
        action = DRILL_ACK_ACTION if _about_drill(facts) else ACK_ACTION
        row.append(Button(w["ack"], action=action, value=value, primary=True))
    row.append(Button(w["open"], url=page_url(facts, portal), action=OPEN_ACTION))
    return Actions(tuple(row))


_DRILL_EVENTS = frozenset({NoticeEvent.DRILL_CHECK, NoticeEvent.DRILL_INJECT})
# A contact check's reminder goes, as a real report's does, only to those not confirmed yet.
_DRILL_ACKS = frozenset({NoticeEvent.DRILL_CHECK, NoticeEvent.REMINDER})


def _about_drill(facts: NoticeFacts) -> bool:
    """A drill's own message (not one of a tabletop's incident) points at the drill commands."""
    return facts.event in _DRILL_EVENTS or facts.subject is Subject.DRILL


def _awaits_ack(facts: NoticeFacts) -> bool:
    if _about_drill(facts):
        return facts.event in _DRILL_ACKS
    own = [r for r in facts.reports if r.org_id == facts.recipient_id]
    if own:
        return own[0].status is not ReportStatus.ACKNOWLEDGED
    return facts.event in (NoticeEvent.REPORT, NoticeEvent.ACK_REMINDER)


def _opening(facts: NoticeFacts, lang: Lang, *, mention: bool) -> str:
    who = mentions(facts) if mention else ""
    return clip(f"{who} {lead(facts, lang)}".strip(), TEXT_MAX)


def build_message(
    facts: NoticeFacts,
    lang: Lang = Lang.JA,
    *,
    key: str | None = None,
    portal: str = DEFAULT_BASE_URL,
) -> Message:
    """The event message (a thread reply): what happened, the facts, how to see more."""
    title = heading(facts, lang)
    opening = _opening(facts, lang, mention=True)
    fields = _event_fields(facts, lang)
    blocks: list[Part] = [
        Header(title),
        Section(text=opening, fields=tuple(_field(k, v) for k, v in fields[:10])),
        Context(commands(facts, lang, portal=portal)),
        buttons(facts, lang, portal=portal),
    ]
    lines = [title, opening, *(f"{k}: {v}" for k, v in fields)]
    text = "\n".join([*lines, *_plain_commands(facts, lang, portal)])
    return Message(text=text, blocks=tuple(blocks), key=key, facts=facts)


def build_card(
    facts: NoticeFacts,
    lang: Lang = Lang.JA,
    *,
    key: str | None = None,
    mention: bool = True,
    portal: str = DEFAULT_BASE_URL,
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
    blocks.append(Context(commands(facts, lang, portal=portal)))
    blocks.append(buttons(facts, lang, portal=portal))
    lines = [title, opening, *(f"{k}: {v}" for k, v in fields)]
    text = "\n".join([*lines, *_plain_commands(facts, lang, portal)])
    return Message(text=text, blocks=tuple(blocks), key=key, facts=facts)


def step_lines(facts: NoticeFacts, lang: Lang = Lang.JA) -> str:
    """One line per step: name, state and due time."""
    w = WORDS[lang]
    lines = [f"*{w['steps']}*"]
    for step in facts.steps:
        lines.append(
            f"• {label(step.name, lang)}: {step_status_label(step.name, step.status, lang)}"
            + aside(f"{w['due']} {format_time(step.due_at, lang)}", lang=lang)
        )
    return clip("\n".join(lines), TEXT_MAX)


def _acked(report: ReportFact, lang: Lang) -> str:
    """Who of the recipient acknowledged the report, and when: （田中 一郎、12月1日 10:05）."""
    if report.status is not ReportStatus.ACKNOWLEDGED or report.acknowledged_at is None:
        return ""
    when = format_time(report.acknowledged_at, lang)
    who = _name(report.acknowledged_by) if report.acknowledged_by else ""
    return aside(who, when, lang=lang)


def report_lines(facts: NoticeFacts, lang: Lang = Lang.JA) -> str:
    """One line per report recipient (as many as fit): its name and the report's state."""
    w = WORDS[lang]
    lines = [f"*{w['reports']}*"]
    room = TEXT_MAX - len(lines[0]) - 40  # kept for the "and N more" line
    for report in facts.reports[:MAX_REPORT_LINES]:
        line = f"• {_name(report.org_name)}: {label(report.status, lang)}{_acked(report, lang)}"
        if len(line) + 1 > room:
            break
        lines.append(line)
        room -= len(line) + 1
    if facts.report_count > len(lines) - 1:
        lines.append(w["more"].format(n=facts.report_count - (len(lines) - 1)))
    return "\n".join(lines)
