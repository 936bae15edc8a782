"""The words of chat messages, Japanese first and English by setting (`JIKOFLOW_LANG`).

Each event has a heading and one lead sentence; placeholders are filled only from
`NoticeFacts` (names escaped for mrkdwn, labels, times, numbers).
"""

from __future__ import annotations

from jikoflow.models.enums import Lang
from jikoflow.models.outbox.facts import NoticeEvent

HEADINGS: dict[Lang, dict[NoticeEvent, str]] = {
    Lang.JA: {
        NoticeEvent.REPORT: "事故等報告",
        NoticeEvent.DECLARED: "事故等の報告（第一報）",
        NoticeEvent.STATE: "対応状況の更新",
        NoticeEvent.REMINDER: "期限が近づいています",
        NoticeEvent.ESCALATION: "期限超過",
        NoticeEvent.SUBMITTED: "事故等の記録の提出",
        NoticeEvent.CLOSED: "事故等の記録の受理（完了）",
        NoticeEvent.DRILL_CHECK: "連絡確認",
        NoticeEvent.DRILL_INJECT: "状況付与",
    },
    Lang.EN: {
        NoticeEvent.REPORT: "Incident report",
        NoticeEvent.DECLARED: "Incident declared",
        NoticeEvent.STATE: "Status update",
        NoticeEvent.REMINDER: "Deadline approaching",
        NoticeEvent.ESCALATION: "Overdue",
        NoticeEvent.SUBMITTED: "Written record submitted",
        NoticeEvent.CLOSED: "Written record accepted (closed)",
        NoticeEvent.DRILL_CHECK: "Contact check",
        NoticeEvent.DRILL_INJECT: "Exercise inject",
    },
}

LEADS: dict[Lang, dict[NoticeEvent, str]] = {
    Lang.JA: {
        NoticeEvent.REPORT: "{org} から{to}へ、{kind}（{suspected}）の事故等の報告があります。",
        NoticeEvent.DECLARED: "{org} から{kind}（{suspected}）の事故等が報告されました（第一報）。",
        NoticeEvent.STATE: "{step}: {status}",
        NoticeEvent.REMINDER: "{step}の期限（{due}）が近づいています。",
        NoticeEvent.ESCALATION: "{step}が期限（{due}）を過ぎています。",
        NoticeEvent.SUBMITTED: "事故等の記録（第{version}版）が提出されました。",
        NoticeEvent.CLOSED: "甲が事故等の記録（第{version}版）を受理し、対応を完了しました。",
        NoticeEvent.DRILL_CHECK: (
            "{org} から{to}へ、{kind}（{suspected}）の事故等の報告です。"
            "{due}までに受領を確認してください。"
        ),
        NoticeEvent.DRILL_INJECT: "状況付与 {inject} が公開されました。",
    },
    Lang.EN: {
        NoticeEvent.REPORT: "{org} reports a {kind} ({suspected}) to {to}.",
        NoticeEvent.DECLARED: "{org} declared a {kind} ({suspected}).",
        NoticeEvent.STATE: "{step}: {status}",
        NoticeEvent.REMINDER: "{step} is due {due}.",
        NoticeEvent.ESCALATION: "{step} is overdue (due {due}).",
        NoticeEvent.SUBMITTED: "Written record version {version} was submitted.",
        NoticeEvent.CLOSED: "The client accepted written record version {version}; closed.",
        NoticeEvent.DRILL_CHECK: (
            "{org} reports a {kind} ({suspected}) to {to}. Confirm receipt by {due}."
        ),
        NoticeEvent.DRILL_INJECT: "Inject {inject} is available.",
    },
}

# A contact check reaches the simulated origin too: it is told it plays the incident's
# organisation, not that it reports to itself.
DRILL_ORIGIN_LEADS: dict[Lang, str] = {
    Lang.JA: (
        "貴組織（{org}）で{kind}（{suspected}）の事故等が発生したと想定した連絡確認です。"
        "{due}までに受領を確認してください。"
    ),
    Lang.EN: (
        "This contact check simulates a {kind} ({suspected}) at your organisation, {org}. "
        "Confirm receipt by {due}."
    ),
}

WORDS: dict[Lang, dict[str, str]] = {
    Lang.JA: {
        "drill": "【訓練】",
        "incident_title": "事故等",
        "contract": "契約",
        "org": "発生組織",
        "kind": "種別",
        "incident": "事故ID",
        "state": "状況",
        "declared": "報告",
        "to": "報告先",
        "you": "貴組織",
        "due": "期限",
        "step": "対応項目",
        "version": "版",
        "inject": "状況付与",
        "steps": "対応状況",
        "reports": "報告の状況",
        "latest": "最新",
        "more": "ほか {n} 件",
        "none": "—",
        "see": "詳細（チャットには内容を記載しません）",
        "ack": "受領確認",
    },
    Lang.EN: {
        "drill": "[DRILL] ",
        "incident_title": "Incident",
        "contract": "Contract",
        "org": "Organisation",
        "kind": "Kind",
        "incident": "Incident",
        "state": "State",
        "declared": "Declared",
        "to": "To",
        "you": "you",
        "due": "Due",
        "step": "Step",
        "version": "Version",
        "inject": "Inject",
        "steps": "Steps",
        "reports": "Reports",
        "latest": "Latest",
        "more": "and {n} more",
        "none": "—",
        "see": "Details (never posted in chat)",
        "ack": "Acknowledge",
    },
}
