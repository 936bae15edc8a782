"""What an operator can do about a delivery error: one line per error, for the terminal.

The outbox keeps each transport's own error code (Slack's `invalid_auth`, an SMTP reply code);
an operator who reads only `failed 5` cannot tell a wrong token from a missing channel.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

_SLACK_TOKEN = "Slack refused the bot token: check SLACK_BOT_TOKEN"
_SLACK_CHANNEL = (
    "Slack has no such channel for the bot, or the bot is not in it: check the slack_channel"
    " of the parties file and invite the bot"
)
_BY_CODE = {
    "invalid_auth": _SLACK_TOKEN,
    "not_authed": _SLACK_TOKEN,
    "token_revoked": _SLACK_TOKEN,
    "account_inactive": _SLACK_TOKEN,
    "missing_scope": "the Slack app lacks a permission (scope) it needs: add it and reinstall",
    "channel_not_found": _SLACK_CHANNEL,
    "not_in_channel": _SLACK_CHANNEL,
    "is_archived": "the Slack channel is archived: name another in the parties file",
}
_BY_PREFIX = (
    ("smtp 530", "the mail server wants a sign-in: set user and password in JIKOFLOW_SMTP_URL"),
    ("smtp 535", "the mail server refused the sign-in: check JIKOFLOW_SMTP_URL's user/password"),
    ("recipients refused", "the mail server refused the addresses: check the parties file"),
    ("tls:", "the mail server's certificate is not trusted here"),
    ("connection:", "the service did not answer: the messages wait and are tried again"),
    ("http_5", "the service failed: the messages wait and are tried again"),
    ("ratelimited", "the service asked us to slow down: the messages wait their turn"),
)
RETRY_FAILED = (
    "failed messages are not tried again on their own: once the cause is fixed, run"
    " `jikoflow notifications retry --all`"
)


def advice(error: str) -> str | None:
    """What to do about `error`, when we know."""
    if error in _BY_CODE:
        return _BY_CODE[error]
    return next((text for prefix, text in _BY_PREFIX if error.startswith(prefix)), None)


def error_counts(errors: Iterable[str]) -> dict[str, int]:
    """How often each error occurred, most frequent first."""
    return dict(Counter(errors).most_common())


def problem_lines(counts: Mapping[str, int]) -> list[str]:
    """One line per error: how often, the error, what to do."""
    lines = []
    for error, times in counts.items():
        hint = advice(error)
        lines.append(f"{times} × {error}" + (f": {hint}" if hint else ""))
    return lines
