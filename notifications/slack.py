"""The Slack notifier: slack-sdk's WebClient with retry handlers; the only slack_sdk import."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.models.blocks import Block

from notifications.base import DeliveryError, Message, Posted

# Errors that no retry can fix: the message is marked failed and shown to an operator.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "invalid_auth",
        "account_inactive",
        "is_archived",
        "token_revoked",
        "missing_scope",
        "invalid_blocks",
        "msg_too_long",
        "no_text",
    }
)


class SlackNotifier:
    """Posts through slack-sdk's WebClient; rate limits and dropped connections retry in place."""

    needs_channel = True

    def __init__(
        self, token: str, base_url: str, *, timeout: int = 10, max_retries: int = 2
    ) -> None:
        self.client = WebClient(
            token=token,
            base_url=base_url if base_url.endswith("/") else base_url + "/",
            timeout=timeout,
            retry_handlers=[
                ConnectionErrorRetryHandler(max_retry_count=max_retries),
                RateLimitErrorRetryHandler(max_retry_count=max_retries),
            ],
        )

    def post(self, channel: str, message: Message, *, thread_ts: str | None = None) -> Posted:
        """chat.postMessage; raises DeliveryError when Slack does not accept it."""
        kwargs: dict[str, Any] = {
            "channel": channel,
            "text": message.text,
            "blocks": validated_blocks(message),
        }
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        response = self._call(self.client.chat_postMessage, **kwargs)
        return Posted(str(response.get("channel") or channel), str(response["ts"]))

    def update(self, channel: str, ts: str, message: Message) -> None:
        """chat.update of an earlier message."""
        self._call(
            self.client.chat_update,
            channel=channel,
            ts=ts,
            text=message.text,
            blocks=validated_blocks(message),
        )

    @staticmethod
    def _call(method: Any, **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except SlackApiError as exc:
            raise _delivery_error(exc) from None
        except (SlackClientError, OSError) as exc:
            raise DeliveryError(f"connection: {type(exc).__name__}") from None


def validated_blocks(message: Message) -> list[dict[str, Any]]:
    """Parse blocks into slack-sdk's typed models, which check Slack's limits."""
    parsed = Block.parse_all(message.blocks)
    for block in parsed:
        block.validate_json()
    return [block.to_dict() for block in parsed]


def _delivery_error(exc: SlackApiError) -> DeliveryError:
    response = exc.response
    error = str(response.get("error") or f"http_{response.status_code}")
    retry_after: float | None = None
    if response.status_code == 429:
        header = (response.headers or {}).get("Retry-After") or (response.headers or {}).get(
            "retry-after"
        )
        retry_after = float(header[0] if isinstance(header, list) else header or 1)
    return DeliveryError(error, permanent=error in PERMANENT_ERRORS, retry_after=retry_after)
