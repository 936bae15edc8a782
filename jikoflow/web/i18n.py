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


def lang_of(cookie: str | None) -> Lang:
    """The language a browser chose (Japanese unless it chose English)."""
    return Lang.EN if cookie == Lang.EN.value else Lang.JA
