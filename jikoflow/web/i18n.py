"""The portal's own words, Japanese first with English available (domain labels come from
`jikoflow.models.enums`)."""

from __future__ import annotations

from collections.abc import Callable

from jikoflow.models.enums import Lang

LANG_COOKIE = "jikoflow_lang"

_WORDS: dict[str, tuple[str, str]] = {
    # key: (日本語, English)
    "app": ("事故等対応", "Incident response"),
    "nav_declare": ("事故等の報告", "Report an incident"),
    "nav_incidents": ("事故等一覧", "Incidents"),
    "nav_drills": ("訓練", "Drills"),
    "nav_account": ("アカウント", "Account"),
    "sign_out": ("サインアウト", "Sign out"),
    "sign_in": ("サインイン", "Sign in"),
    "cancel_sign_in": ("サインインをやめる", "Cancel sign-in"),
    "username": ("ユーザーID", "User ID"),
    "password": ("パスワード", "Password"),
    "sign_in_refused": (
        "ユーザーIDまたはパスワードが正しくないか、一時的にサインインできません。",
        "The user ID or password is wrong, or sign-in is blocked for a while.",
    ),
    "sign_in_again": (
        "もう一度サインインしてください。",
        "Please sign in again.",
    ),
    "too_many": (
        "試行回数が多すぎます。しばらく待ってからお試しください。",
        "Too many attempts. Please wait a moment and try again.",
    ),
    "totp_title": ("確認コード", "Verification code"),
    "totp_prompt": (
        "認証アプリに表示されている6桁のコードを入力してください。",
        "Enter the 6-digit code shown in your authenticator app.",
    ),
    "totp_code": ("確認コード", "Code"),
    "totp_refused": ("コードが正しくありません。", "The code is not correct."),
    "verify": ("確認", "Verify"),
    "enrol_title": ("二要素認証の設定", "Set up two-factor sign-in"),
    "enrol_required": (
        "所属組織の方針により、二要素認証（TOTP）の設定が必要です。",
        "Your organisation requires two-factor sign-in (TOTP).",
    ),
    "enrol_scan": (
        "認証アプリでQRコードを読み取り、表示された6桁のコードを入力してください。",
        "Scan the QR code with an authenticator app and enter the 6-digit code it shows.",
    ),
    "enrol_manual": ("手入力用のキー", "Key for manual entry"),
    "enrol_done": ("二要素認証は設定済みです。", "Two-factor sign-in is set up."),
    "enrol_start": ("二要素認証を設定する", "Set up two-factor sign-in"),
    "enrol_refused": (
        "コードが一致しません。端末の時刻を確認してもう一度入力してください。",
        "The code does not match. Check the phone's clock and try again.",
    ),
    "account_title": ("アカウント", "Account"),
    "organisation": ("所属", "Organisation"),
    "role": ("役割", "Role"),
    "totp_state": ("二要素認証", "Two-factor sign-in"),
    "on": ("有効", "on"),
    "off": ("未設定", "off"),
    "home_title": ("ホーム", "Home"),
    "home_welcome": ("ようこそ、{name} さん", "Welcome, {name}"),
    "home_lead": (
        "特記事項第24条に基づく事故等の報告と対応状況を確認できます。",
        "Report incidents under Article 24 and follow their response.",
    ),
    "signed_in_as": ("サインイン中", "Signed in as"),
    "error_404_title": ("ページが見つかりません", "Page not found"),
    "error_404": (
        "お探しのページは見つかりませんでした。",
        "The page you asked for was not found.",
    ),
    "error_403_title": ("許可されていません", "Not allowed"),
    "error_403": (
        "この操作を行う権限がありません。",
        "You are not allowed to do this.",
    ),
    "error_csrf_title": ("フォームを受け付けられません", "Form refused"),
    "error_csrf": (
        "フォームの有効期限が切れたか、正しくない送信です。ページを開き直してください。",
        "The form expired or was not sent from this site. Please reload the page.",
    ),
    "error_409_title": ("現在の状態ではできません", "Not possible now"),
    "error_422_title": ("入力を確認してください", "Please check the input"),
    "error_429_title": ("しばらくお待ちください", "Please wait"),
    "error_500_title": ("エラーが発生しました", "Something went wrong"),
    "error_500": (
        "処理できませんでした。時間をおいてもう一度お試しください。",
        "The request could not be handled. Please try again later.",
    ),
    # 事故等一覧
    "incidents_title": ("事故等一覧", "Incidents"),
    "filter_open": ("対応中のみ", "Not closed"),
    "filter_overdue": ("期限超過のみ", "Overdue only"),
    "filter_apply": ("絞り込む", "Filter"),
    "overdue_steps": ("期限超過", "Overdue"),
    "no_incidents": ("表示できる事故等はありません。", "No incidents to show."),
    "pages": ("ページ", "Pages"),
    "page_first": ("最新へ戻る", "Back to the newest"),
    "page_next": ("次の50件", "Next 50"),
    # 事故等の報告
    "declare_title": ("事故等の報告", "Report an incident"),
    "declare_lead": (
        "報告すると、甲・乙および経路上のすべての委託元へ直ちに通知されます。"
        "チャットやメールには内容は送られません。",
        "Reporting notifies the client, the contractor and every tier above at once. "
        "Chat and e-mail never carry what happened.",
    ),
    "declare_nowhere": (
        "あなたが事故等を報告できる組織はありません。",
        "There is no organisation where you may report an incident.",
    ),
    "suspected_or_confirmed": ("発生・おそれの別", "Confirmed or suspected"),
    "suspected_hint": ("その可能性がある場合", "it may have happened"),
    "tokyo_time": ("日本時間", "Tokyo time"),
    "summary": ("概要", "Summary"),
    "summary_note": (
        "内容はこのポータルと書面の記録にのみ残り、チャットやメールには送られません。",
        "What you write stays in the portal and the written record; it is never sent to chat "
        "or e-mail.",
    ),
    "improper_purpose": ("不正の目的によるおそれ", "Improper purpose suspected"),
    "declare_submit": ("報告する", "Report"),
    "refused_field": ("{field}を確認してください:", "Please check {field}:"),
    # 事故等のページ
    "facts": ("基本情報", "Facts"),
    "contained_at": ("封じ込め完了日時", "Contained"),
    "closed_at": ("完了日時", "Closed"),
    "yes": ("あり", "yes"),
    "steps": ("対応の流れと期限", "Steps and their clocks"),
    "reports": ("報告先への報告", "Reports to each recipient"),
    "upstream_missing": (
        "元の委託者への通知の記録なし（第15条第3項）",
        "no record of notice to the delegator (Art. 15 (3))",
    ),
    "acknowledge": ("受領確認", "Acknowledge receipt"),
    "acknowledge_note": (
        "所属組織あての報告を受け取ったことを確認します。",
        "Confirms that your organisation received this report.",
    ),
    "contained": ("封じ込め完了", "contained"),
    "nothing_yet": ("まだ記録はありません。", "Nothing recorded yet."),
    "containment_action": ("講じた措置", "Measure taken"),
    "containment_done": ("被害の拡大は止まった（封じ込め完了）", "The damage is contained"),
    "record_it": ("記録する", "Record"),
    "revision": ("第{n}版", "version {n}"),
    "cause_text": ("原因の分析", "Root-cause analysis"),
    "cause_revise": ("原因の分析を改訂する", "Revise the root-cause analysis"),
    "measure": ("再発防止策", "Prevention measure"),
    "owner": ("担当者", "Owner"),
    "owner_hint": ("ユーザーID", "user ID"),
    "measure_planned": ("未実施", "planned"),
    "measure_implemented": ("実施済", "implemented"),
    "measure_overdue": ("期限超過", "overdue"),
    "mark_implemented": ("実施済にする", "Mark implemented"),
    "evidence": ("実施の確認方法", "How it is shown"),
    "measure_after_cause": (
        "原因の分析を記録すると、再発防止策を追加できます。",
        "Record the root cause first; then prevention measures can be added.",
    ),
    "written_record": ("記録（書面）", "Written record"),
    "record_draft": ("下書き", "Draft"),
    "version": ("版", "Version"),
    "submitted": ("提出", "Submitted"),
    "accepted": ("受理", "Accepted"),
    "files": ("ファイル", "Files"),
    "submit": ("提出", "Submit"),
    "submit_note": (
        "記録を確定し、甲・乙および経路上の組織に提出します。",
        "Freezes the record and submits it to the client, the contractor and the chain.",
    ),
    "accept": ("受理", "Accept"),
    "accept_note": (
        "提出された記録を受理し、この事故等の対応を完了します。",
        "Accepts the submitted record and closes the incident.",
    ),
    "return_record": ("差戻し", "Return"),
    "return_reason": ("差戻しの理由", "Why the record is returned"),
    "return_note": (
        "提出された記録を理由を付けて差し戻します。事故等は対応中に戻り、"
        "記録の提出期限が改めて設定されます。",
        "Returns the submitted record with the reason; the incident is open again "
        "and the record is due again.",
    ),
    "trail_broken": (
        "監査証跡の検証に失敗しました（{entry}）。記録が改ざんされたおそれがあります。"
        "運用担当者に連絡してください。",
        "The audit trail fails verification ({entry}): the record may have been tampered "
        "with. Tell the operator.",
    ),
    "outcome": ("結果", "Outcome"),
    "appi": ("個人情報保護委員会への報告（甲）", "Report to the PPC (client)"),
    "appi_reportable": ("報告義務", "Must be reported"),
    "appi_yes": ("報告対象", "reportable"),
    "appi_no": ("現時点で報告対象外", "not reportable as known"),
    "appi_reasons": ("該当する事由", "Because"),
    "appi_preliminary_due": ("速報の期限", "Preliminary report due"),
    "appi_final_due": ("確報の期限", "Final report due"),
    "appi_unknown": ("未確認の事項", "Still unknown"),
    "ppc_draft": ("漏えい等報告書（案）", "Draft report to the PPC (in Japanese)"),
    "ppc_preliminary": ("速報", "preliminary"),
    "ppc_final": ("確報", "final"),
    "client_decisions": ("甲の指示・判断", "The client's instructions and decisions"),
    "instructions": ("指示・報告の求め", "Instructions and requests for reports"),
    "instruction": ("指示の内容", "Instruction"),
    "given": ("指示日時", "Given"),
    "no_instructions": ("指示はありません。", "No instructions."),
    "publication": ("公表の判断", "Publication"),
    "no_publication": ("公表の判断はまだありません。", "No decision on publication yet."),
    "known_facts": ("事実関係", "What is known"),
    "facts_note": (
        "分かっている事項だけを記入し、分からない事項は空欄（不明）のままにしてください。",
        "Fill in only what is known; leave the rest blank (unknown).",
    ),
    "unknown": ("不明", "unknown"),
    "fact_yes": ("あり", "yes"),
    "fact_no": ("なし", "no"),
    "items_hint": ("読点またはカンマで区切る", "separated by commas"),
    "instruct": ("指示する", "Instruct"),
    "instruction_done": ("完了", "Done"),
    "done_note": ("対応内容", "How it was done"),
    "publication_on": (
        "公表日（公表しない場合は判断した日。空欄なら今日）",
        "Day of publication (or of the decision to withhold; today if left blank)",
    ),
    "publication_reason": (
        "理由（公表しない場合は必須）",
        "Reason (required to withhold)",
    ),
    "decide": ("判断を記録する", "Record the decision"),
    # 訓練
    "drills_title": ("訓練", "Drills"),
    "drills_lead": (
        "特記事項第24条第3項に基づく連絡確認訓練・机上訓練の実施状況です。",
        "Contact-tree checks and tabletop exercises under Article 24 (3).",
    ),
    "drill_runs": ("実施した訓練", "Drills run"),
    "drill_plans": ("訓練の予定と実施状況", "When each organisation rehearses"),
    "drill_id": ("訓練番号", "Drill"),
    "drill_type": ("訓練の種類", "Type"),
    "drill_started": ("開始日時", "Started"),
    "drill_ends": ("応答期限", "Answers due by"),
    "drill_report": ("実施報告書", "After-action report"),
    "drill_incident": ("訓練用の事故等", "Drill incident"),
    "drill_org": ("組織", "Organisation"),
    "drill_last": ("前回", "last"),
    "drill_next_planned": ("次回予定", "Next planned"),
    "drill_overdue": ("実施期限超過", "overdue"),
    "drill_answers": ("組織ごとの応答時間", "Each organisation's answer time"),
    "drill_relation": ("立場", "Relation"),
    "drill_delivery": ("通知", "Message"),
    "drill_minutes": ("応答までの時間", "Time to answer"),
    "drill_outcome": ("評価", "Outcome"),
    "drill_injects": (
        "付与された状況（{released}/{total}）",
        "Injects released ({released}/{total})",
    ),
    "minutes": ("{n}分", "{n} min"),
    "no_drills": ("表示できる訓練はありません。", "No drills to show."),
    "no_drill_plans": ("表示できる予定はありません。", "No plans to show."),
    "delivery_pending": ("未送信", "pending"),
    "delivery_sending": ("送信中", "sending"),
    "delivery_sent": ("送信済", "sent"),
    "delivery_delivered": ("送信済", "delivered"),
    "delivery_failed": ("送信失敗", "failed"),
    "delivery_unreachable": ("連絡先なし", "no channel"),
    "delivery_acknowledged": ("受領確認済", "acknowledged"),
    # the fields a refusal names
    "field_contract": ("契約", "the contract"),
    "field_org": ("発生組織", "the organisation"),
    "field_kind": ("種別", "the kind"),
    "field_suspected": ("発生・おそれの別", "confirmed or suspected"),
    "field_discovered_at": ("発見日時", "the discovery time"),
    "field_summary": ("概要", "the summary"),
    "field_action": ("講じた措置", "the measure taken"),
    "field_text": ("原因の分析", "the analysis"),
    "field_measure": ("再発防止策", "the measure"),
    "field_owner": ("担当者", "the owner"),
    "field_due": ("期限", "the due date"),
    "field_lang": ("言語", "the language"),
    "field_id": ("この事故等", "this incident"),
    "field_by": ("権限", "who may do this"),
    "field_number": ("番号", "the number"),
    "field_reason": ("理由", "the reason"),
    "field_instruction": ("指示の内容", "the instruction"),
    "field_done_note": ("対応内容", "how it was done"),
    "field_evidence": ("実施の確認方法", "how it is shown"),
    "field_decision": ("公表の判断", "the decision"),
    "field_on": ("日付", "the day"),
    "field_known_facts": ("事実関係", "the facts"),
    "field_occurred_at": ("発生日時", "when it happened"),
    "field_discovered_by": ("発見者", "who discovered it"),
    "field_how": ("発見の経緯", "how it was discovered"),
    "field_items": ("情報の項目", "the items of information"),
    "field_records": ("件数", "the number of records"),
    "field_people": ("本人の数", "the number of people"),
    "field_sensitive": ("要配慮個人情報", "sensitive personal information"),
    "field_my_number": ("特定個人情報", "My Number data"),
    "field_financial": ("財産的被害のおそれ", "possible financial damage"),
    "field_improper_purpose": ("不正の目的のおそれ", "a possible improper purpose"),
    "field_secondary_damage": ("二次被害", "secondary damage"),
    "field_subject_notice": ("本人への対応", "notice to the people concerned"),
    "back_home": ("ホームへ戻る", "Back to the home page"),
    "language_other": ("English", "日本語"),
    "skip": ("本文へ移動", "Skip to content"),
}


def translator(lang: Lang) -> Callable[..., str]:
    """`t(key, **values)`: the portal's word for `key` in `lang`."""
    index = 0 if lang is Lang.JA else 1

    def t(key: str, **values: object) -> str:
        text = _WORDS[key][index]
        return text.format(**values) if values else text

    return t


def word(key: str, lang: Lang, default: str) -> str:
    """The portal's word for `key` in `lang`, or `default` when it has none."""
    words = _WORDS.get(key)
    return words[0 if lang is Lang.JA else 1] if words else default


def field_name(field: str, lang: Lang) -> str:
    """The words for a field a refusal names (the field itself when it has none)."""
    words = _WORDS.get(f"field_{field}")
    return words[0 if lang is Lang.JA else 1] if words else field


def lang_of(cookie: str | None) -> Lang:
    """The language a browser chose (Japanese unless it chose English)."""
    return Lang.EN if cookie == Lang.EN.value else Lang.JA
