"""The audit trail in words: actions, the keys of their details, and chat events named in them.

The Japanese text of a record carries no code of the program (`leak`, `root_cause`,
`step: …`): every action and detail the domain writes to an incident's trail has words here
(a test reads the sources to keep it so).
"""

from __future__ import annotations

from jikoflow.models.enums import Lang

# Audit actions as the domain records them; an action missing here is shown as recorded.
ACTIONS: dict[Lang, dict[str, str]] = {
    Lang.JA: {
        "declared": "報告（第一報）",
        "violation_opened": "特記事項違反（第15条・未承認の再委託）を検出",
        "acknowledged": "受領確認",
        "report_sent": "報告の配信",
        "report_failed": "報告の送信失敗",
        "report_unreachable": "報告先に連絡手段なし",
        "notification_retry": "通知の再送",
        "containment_recorded": "被害拡大防止措置の記録",
        "contained": "被害拡大防止措置の完了",
        "cause_recorded": "原因分析の記録",
        "measure_added": "再発防止策の追加",
        "measure_implemented": "再発防止策の実施",
        "step_done": "対応項目の完了",
        "reminder": "期限前の催促",
        "escalation": "期限超過の通知",
        "record_submitted": "記録の提出",
        "record_accepted": "記録の受理",
        "record_returned": "記録の差戻し",
        "reopened": "再開",
        "facts_recorded": "事実の記録",
        "reclassified": "種別等の変更",
        "instructed": "甲の指示等",
        "instruction_done": "指示等への対応完了",
        "publication_decided": "公表の判断",
        "drill_ended": "訓練の終了",
    },
    Lang.EN: {
        "declared": "first report",
        "violation_opened": "provisions violation detected (Art. 15, unapproved subcontracting)",
        "acknowledged": "acknowledged",
        "report_sent": "report delivered",
        "report_failed": "report failed",
        "report_unreachable": "recipient unreachable by chat",
        "notification_retry": "notification retried",
        "containment_recorded": "damage-prevention measure recorded",
        "contained": "damage-prevention measures completed",
        "cause_recorded": "cause recorded",
        "measure_added": "prevention measure added",
        "measure_implemented": "prevention measure implemented",
        "step_done": "step done",
        "reminder": "reminder",
        "escalation": "escalation",
        "record_submitted": "record submitted",
        "record_accepted": "record accepted",
        "record_returned": "record returned",
        "reopened": "reopened",
        "facts_recorded": "facts recorded",
        "reclassified": "reclassified",
        "instructed": "client's instruction",
        "instruction_done": "instruction done",
        "publication_decided": "publication decided",
        "drill_ended": "drill ended",
    },
}

# The keys of audit details, as the record names them.
DETAIL_KEYS: dict[Lang, dict[str, str]] = {
    Lang.JA: {
        "contract": "契約",
        "org": "組織",
        "to": "宛先",
        "recipients": "報告先",
        "tier": "再委託",
        "kind": "種別",
        "suspected": "発生・おそれの別",
        "discovered_at": "発見日時",
        "linked": "関連",
        "incident": "事故等",
        "step": "対応項目",
        "contained": "措置完了",
        "revision": "版",
        "number": "番号",
        "owner": "担当者",
        "due": "期限",
        "version": "版",
        "sha256": "SHA-256",
        "error": "送信エラー",
        "reason": "理由",
        "notification": "通知番号",
        "event": "通知",
        "drill": "訓練",
        "fields": "事項",
        "kind_before": "変更前の種別",
        "kind_after": "変更後の種別",
        "suspected_before": "変更前",
        "suspected_after": "変更後",
        "outcome": "結果",
        "decision": "判断",
        "on": "日付",
    },
    Lang.EN: {
        "contract": "contract",
        "org": "organisation",
        "to": "to",
        "recipients": "recipients",
        "tier": "tier",
        "kind": "kind",
        "suspected": "confirmed or suspected",
        "discovered_at": "discovered",
        "linked": "linked",
        "incident": "incident",
        "step": "step",
        "contained": "completed",
        "revision": "revision",
        "number": "no.",
        "owner": "owner",
        "due": "due",
        "version": "version",
        "sha256": "SHA-256",
        "error": "error",
        "reason": "reason",
        "notification": "notification",
        "event": "message",
        "drill": "drill",
        "fields": "facts",
        "kind_before": "kind before",
        "kind_after": "kind after",
        "suspected_before": "before",
        "suspected_after": "after",
        "outcome": "outcome",
        "decision": "decision",
        "on": "date",
    },
}

# Chat events named in details (`notification_retry`).
NOTICE_EVENTS: dict[Lang, dict[str, str]] = {
    Lang.JA: {
        "report": "報告",
        "declared": "報告（第一報）",
        "state": "状態の変化",
        "reminder": "催促",
        "escalation": "期限超過",
        "submitted": "記録の提出",
        "closed": "受理",
    },
    Lang.EN: {},
}


def action_label(action: str, lang: Lang = Lang.JA) -> str:
    """The human label of an audit action; unknown actions as recorded."""
    return ACTIONS[lang].get(action, action)
