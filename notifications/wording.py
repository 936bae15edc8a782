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
        NoticeEvent.ACK_REMINDER: "受領確認のお願い",
        NoticeEvent.ACK_OVERDUE: "受領確認の遅れ",
        NoticeEvent.ACKNOWLEDGED: "報告の受領確認",
        NoticeEvent.FACTS: "事実関係の更新",
        NoticeEvent.RECLASSIFIED: "種別等の変更",
        NoticeEvent.RETURNED: "事故等の記録の差戻し",
        NoticeEvent.INSTRUCTED: "甲からの指示等（第22条）",
        NoticeEvent.INSTRUCTION_DONE: "指示等への対応完了",
        NoticeEvent.INSTRUCTION_DUE: "指示等の期限が近づいています",
        NoticeEvent.INSTRUCTION_OVERDUE: "指示等の期限超過",
        NoticeEvent.PUBLICATION: "公表についての決定（第25条）",
        NoticeEvent.APPI_PRELIMINARY: "個人情報保護委員会への速報の期限",
        NoticeEvent.APPI_FINAL: "個人情報保護委員会への確報の期限",
        NoticeEvent.UPSTREAM_UNNOTIFIED: "再々委託の通知の記録なし（第15条第3項）",
        NoticeEvent.MEASURE_DUE: "再発防止策の実施期限が近づいています",
        NoticeEvent.MEASURE_OVERDUE: "再発防止策の実施期限超過",
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
        NoticeEvent.ACK_REMINDER: "Please acknowledge",
        NoticeEvent.ACK_OVERDUE: "Acknowledgement overdue",
        NoticeEvent.ACKNOWLEDGED: "Report acknowledged",
        NoticeEvent.FACTS: "Facts updated",
        NoticeEvent.RECLASSIFIED: "Reclassified",
        NoticeEvent.RETURNED: "Written record returned",
        NoticeEvent.INSTRUCTED: "Instruction from the client (Art. 22)",
        NoticeEvent.INSTRUCTION_DONE: "Instruction done",
        NoticeEvent.INSTRUCTION_DUE: "Instruction due soon",
        NoticeEvent.INSTRUCTION_OVERDUE: "Instruction overdue",
        NoticeEvent.PUBLICATION: "Publication decided (Art. 25)",
        NoticeEvent.APPI_PRELIMINARY: "Preliminary report to the PPC due",
        NoticeEvent.APPI_FINAL: "Final report to the PPC due",
        NoticeEvent.UPSTREAM_UNNOTIFIED: "Deeper subcontracting not notified (Art. 15 (3))",
        NoticeEvent.MEASURE_DUE: "Prevention measure due soon",
        NoticeEvent.MEASURE_OVERDUE: "Prevention measure overdue",
    },
}

LEADS: dict[Lang, dict[NoticeEvent, str]] = {
    Lang.JA: {
        NoticeEvent.REPORT: "{org} から{to}へ、{kind}（{suspected}）の事故等の報告があります。",
        NoticeEvent.DECLARED: "{org} から{kind}（{suspected}）の事故等が報告されました。",
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
        NoticeEvent.ACK_REMINDER: (
            "{org} からの{kind}（{suspected}）の事故等の報告について、{to}の受領確認が"
            "済んでいません（期限 {due}）。"
        ),
        NoticeEvent.ACK_OVERDUE: (
            "{party}が {org} からの報告の受領を期限（{due}）までに確認していません。"
        ),
        NoticeEvent.ACKNOWLEDGED: "{party}が {org} からの報告を受領しました（{person}、{at}）。",
        NoticeEvent.FACTS: "事故等の事実関係が更新されました。",
        NoticeEvent.RECLASSIFIED: "種別等が{kind}（{suspected}）に変更されました。",
        NoticeEvent.RETURNED: (
            "甲が事故等の記録（第{version}版）を差し戻しました。再提出の期限は {due} です。"
        ),
        NoticeEvent.INSTRUCTED: "甲から指示等がありました（期限 {due}）。",
        NoticeEvent.INSTRUCTION_DONE: "甲からの指示等への対応が完了しました。",
        NoticeEvent.INSTRUCTION_DUE: "甲からの指示等の期限（{due}）が近づいています。",
        NoticeEvent.INSTRUCTION_OVERDUE: "甲からの指示等が期限（{due}）を過ぎています。",
        NoticeEvent.PUBLICATION: "甲が公表について決定しました。",
        NoticeEvent.APPI_PRELIMINARY: (
            "個人情報保護委員会への速報の期限（{due}）が近づいています（甲の報告義務）。"
        ),
        NoticeEvent.APPI_FINAL: (
            "個人情報保護委員会への確報の期限（{due}）が近づいています（甲の報告義務）。"
        ),
        NoticeEvent.UPSTREAM_UNNOTIFIED: (
            "事故等の報告があった {org} の経路上で、{party}への再々委託について元の委託者への"
            "通知の記録がありません（特記事項第15条第3項）。"
        ),
        NoticeEvent.MEASURE_DUE: "再発防止策 {measure} の実施期限（{due}）が近づいています。",
        NoticeEvent.MEASURE_OVERDUE: "再発防止策 {measure} が実施期限（{due}）を過ぎています。",
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
        NoticeEvent.ACK_REMINDER: (
            "{to} has not acknowledged the report of a {kind} ({suspected}) from {org} (due {due})."
        ),
        NoticeEvent.ACK_OVERDUE: "{party} has not acknowledged the report from {org} (due {due}).",
        NoticeEvent.ACKNOWLEDGED: "{party} acknowledged the report from {org} ({person}, {at}).",
        NoticeEvent.FACTS: "The facts of the incident were updated.",
        NoticeEvent.RECLASSIFIED: "Reclassified as a {kind} ({suspected}).",
        NoticeEvent.RETURNED: (
            "The client returned written record version {version}; resubmit by {due}."
        ),
        NoticeEvent.INSTRUCTED: "The client gave an instruction (due {due}).",
        NoticeEvent.INSTRUCTION_DONE: "An instruction of the client was done.",
        NoticeEvent.INSTRUCTION_DUE: "An instruction of the client is due {due}.",
        NoticeEvent.INSTRUCTION_OVERDUE: "An instruction of the client is overdue (due {due}).",
        NoticeEvent.PUBLICATION: "The client decided on publication.",
        NoticeEvent.APPI_PRELIMINARY: ("The client's preliminary report to the PPC is due {due}."),
        NoticeEvent.APPI_FINAL: "The client's final report to the PPC is due {due}.",
        NoticeEvent.UPSTREAM_UNNOTIFIED: (
            "{org} reported an incident; on its path, no notice to the delegator is recorded "
            "for the subcontracting to {party} (Art. 15 (3))."
        ),
        NoticeEvent.MEASURE_DUE: "Prevention measure {measure} is due {due}.",
        NoticeEvent.MEASURE_OVERDUE: "Prevention measure {measure} is overdue (due {due}).",
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
        "drill_id": "訓練ID",
        "state": "状況",
        "declared": "報告",
        "to": "報告先",
        "you": "貴組織",
        "due": "期限",
        "step": "対応項目",
        "version": "版",
        "inject": "状況付与",
        "measure": "再発防止策",
        "steps": "対応状況",
        "reports": "報告の状況",
        "latest": "最新",
        "more": "ほか {n} 件",
        "none": "—",
        "see": "詳細（チャットには内容を記載しません）",
        "ack": "受領確認",
        "open": "開く",
        "ack_hint": "受領確認は「受領確認」ボタン、またはポータルの事故等のページで行えます。",
        "drill_ack_hint": "受領確認は「受領確認」ボタン、またはポータルの訓練のページで行えます。",
    },
    Lang.EN: {
        "drill": "[DRILL] ",
        "incident_title": "Incident",
        "contract": "Contract",
        "org": "Organisation",
        "kind": "Kind",
        "incident": "Incident",
        "drill_id": "Drill",
        "state": "State",
        "declared": "Declared",
        "to": "To",
        "you": "you",
        "due": "Due",
        "step": "Step",
        "version": "Version",
        "inject": "Inject",
        "measure": "Prevention measure",
        "steps": "Steps",
        "reports": "Reports",
        "latest": "Latest",
        "more": "and {n} more",
        "none": "—",
        "see": "Details (never posted in chat)",
        "ack": "Acknowledge",
        "open": "Open",
        "ack_hint": "Acknowledge with the button, or on the incident's page in the portal.",
        "drill_ack_hint": "Confirm receipt with the button, or on the drill's page in the portal.",
    },
}

# E-mail's own sentences: where to read more, how to acknowledge, and why nothing is in it.
MAIL_WORDS: dict[Lang, dict[str, str]] = {
    Lang.JA: {
        "see": "詳細は次のページでご確認ください（サインインが必要です）。",
        "ack": "受領確認は、上記ページの「受領確認」から行ってください。",
        "ack_drill": "受領確認は、上記の訓練のページから行ってください。",
        "no_content": (
            "このメールには事故等の内容を記載していません（受託情報の保護および管理に関する"
            "特記事項第17条・第18条）。"
        ),
    },
    Lang.EN: {
        "see": "See the details on this page (sign-in required):",
        "ack": "Acknowledge on that page.",
        "ack_drill": "Confirm receipt on the drill's page.",
        "no_content": "This e-mail never carries what happened; the portal holds it.",
    },
}
