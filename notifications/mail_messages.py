"""Pure builders of e-mails from `NoticeFacts` — the only input they accept (DESIGN.md §5).

An e-mail says what a chat message says, as plain text: the event and its one sentence, the
facts (names, kind, states, times), and the link to the subject's page in the portal, which
asks for sign-in first. The first e-mail of a conversation also lists every step and report,
as the chat card does. Every e-mail of one incident carries the same subject line, so mail
programs that thread by subject agree with those that thread by `References`.
"""

from __future__ import annotations

from dataclasses import dataclass

from jikoflow.models.enums import Lang, ReportStatus
from jikoflow.models.outbox.facts import NoticeEvent, NoticeFacts, Subject
from jikoflow.models.settings import DEFAULT_BASE_URL
from jikoflow.models.terms import aside, kind_label, label, step_status_label
from jikoflow.notifications.messages import (
    awaits_ack,
    clip,
    format_time,
    heading,
    id_word,
    lead,
    page_url,
    plain_name,
)
from jikoflow.notifications.wording import MAIL_WORDS, WORDS

SUBJECT_MAX = 200
MAX_REPORT_LINES = 50


@dataclass(frozen=True)
class MailText:
    """An e-mail's subject line and plain-text body."""

    subject: str
    body: str


def subject_line(facts: NoticeFacts, lang: Lang = Lang.JA) -> str:
    """The subject of every e-mail about one incident or drill: marker, id, contract title."""
    w = WORDS[lang]
    marker = w["drill"] if facts.drill else ""
    title = plain_name(facts.contract_title)
    return clip(
        f"{marker}{w['incident_title']} {facts.subject_id}{aside(title, lang=lang)}", SUBJECT_MAX
    )


def _fields(facts: NoticeFacts, lang: Lang) -> list[tuple[str, str]]:
    w = WORDS[lang]
    rows = [
        (id_word(facts, lang), facts.subject_id),
        (w["contract"], f"{facts.contract_id} {plain_name(facts.contract_title)}"),
        (w["org"], plain_name(facts.org_name)),
        (w["kind"], kind_label(facts.kind, facts.suspected, lang)),
        (w["state"], label(facts.state, lang)),
    ]
    if facts.recipient_name and facts.event is NoticeEvent.REPORT:
        rows.append((w["to"], plain_name(facts.recipient_name)))
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


def _steps(facts: NoticeFacts, lang: Lang) -> list[str]:
    w = WORDS[lang]
    if not facts.steps:
        return []
    lines = [f"■ {w['steps']}"]
    for step in facts.steps:
        due = format_time(step.due_at, lang)
        status = step_status_label(step.name, step.status, lang)
        when = aside(f"{w['due']} {due}", lang=lang)
        lines.append(f"・{label(step.name, lang)}: {status}{when}")
    return ["", *lines]


def _reports(facts: NoticeFacts, lang: Lang) -> list[str]:
    w = WORDS[lang]
    if not facts.reports:
        return []
    lines = [f"■ {w['reports']}"]
    for report in facts.reports[:MAX_REPORT_LINES]:
        line = f"・{plain_name(report.org_name)}: {label(report.status, lang)}"
        acknowledged = report.status is ReportStatus.ACKNOWLEDGED and report.acknowledged_at
        if acknowledged and report.acknowledged_at is not None:
            who = plain_name(report.acknowledged_by) if report.acknowledged_by else ""
            when = format_time(report.acknowledged_at, lang)
            line += aside(who, when, lang=lang)
        lines.append(line)
    listed = min(len(facts.reports), MAX_REPORT_LINES)
    if facts.report_count > listed:
        lines.append(w["more"].format(n=facts.report_count - listed))
    return ["", *lines]


def build_mail(
    facts: NoticeFacts,
    lang: Lang = Lang.JA,
    *,
    portal: str = DEFAULT_BASE_URL,
    opening: bool = False,
) -> MailText:
    """One e-mail: the event, the facts, the portal's link; the first of a thread also shows
    every step and report."""
    m = MAIL_WORDS[lang]
    lines = [heading(facts, lang), "", lead(facts, lang, plain=True), ""]
    lines += [f"{name}: {value}" for name, value in _fields(facts, lang)]
    if opening:
        lines += _steps(facts, lang) + _reports(facts, lang)
    lines += ["", m["see"], page_url(facts, portal)]
    if awaits_ack(facts):
        lines.append(m["ack_drill"] if facts.subject is Subject.DRILL else m["ack"])
    lines += ["", m["no_content"], "-- ", "jikoflow"]
    return MailText(subject=subject_line(facts, lang), body="\n".join(lines) + "\n")
