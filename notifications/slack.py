"""The Slack channel: slack-sdk's WebClient and typed Block Kit models; the only slack_sdk import.

Retries are mostly the outbox's job: a 429 with a long `Retry-After` comes back as a
`DeliveryError`, so the dispatcher can pause the channel and record when to try again, and no
request that Slack may already have accepted is repeated blindly. The client's own retry handlers
cover only what is safe in place: a short `Retry-After` and a refused connection.
"""

from __future__ import annotations

import logging
import socket
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError, SlackObjectFormationError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from jikoflow.models.outbox.tables import Transport
from jikoflow.notifications.addresses import chat_address
from jikoflow.notifications.base import (
    Actions,
    Addressee,
    Button,
    Context,
    DeliveryError,
    Divider,
    Header,
    Message,
    Part,
    Section,
    Sent,
)
from jikoflow.notifications.slack_ledger import SlackLedger

# Errors that no retry can fix: the message is marked failed and shown to an operator.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "is_archived",
        "token_revoked",
        "missing_scope",
        "invalid_blocks",
        "msg_too_long",
        "no_text",
        "thread_not_found",
    }
)
# Slack: "it's possible some aspect of the operation succeeded before the error was raised".
MAYBE_DONE_ERRORS = frozenset({"internal_error", "fatal_error"})
METADATA_EVENT = "jikoflow_notice"
MAX_BLOCKS = 50
FIELD_MAX = 2000
BUTTON_TEXT_MAX = 75
BUTTON_URL_MAX = 3000
BUTTON_VALUE_MAX = 2000
# How far back `find` looks: our own unsettled post is among the newest messages.
FIND_PAGES = 5
FIND_PAGE_SIZE = 200


# slack-sdk logs every failed request at ERROR. The outbox keeps each attempt's outcome
# (`jikoflow notifications`), and a chat outage must not flood the terminal of whoever is
# declaring an incident: the client's own log says only what would otherwise go unseen.
_client_log = logging.getLogger("jikoflow.notifications.slack.client")
_client_log.setLevel(logging.CRITICAL)

# A 429 asking for at most this long is waited out in place; a longer one goes back to the
# outbox, which pauses the channel and records when to try again.
MAX_INLINE_WAIT = 2.0


class ShortRateLimitRetry(RateLimitErrorRetryHandler):
    """slack-sdk's rate-limit retry, only for a short Retry-After (a 429 was never accepted)."""

    def __init__(self) -> None:
        super().__init__(max_retry_count=1)

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        values = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), ["1"])
        try:
            return float(values[0]) <= MAX_INLINE_WAIT
        except (TypeError, ValueError, IndexError):
            return False


class RefusedConnectionRetry(ConnectionErrorRetryHandler):
    """slack-sdk's connection retry, only when the connection was refused: nothing was sent,
    so trying again cannot post twice (a reset mid-request goes back to the outbox instead).

    Briefly: a service that stays down is an outage, which the outbox waits out as a whole.
    """

    def __init__(self) -> None:
        super().__init__(
            max_retry_count=2, interval_calculator=FixedValueRetryIntervalCalculator(0.2)
        )

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        reason = getattr(error, "reason", error)
        return response is None and isinstance(reason, ConnectionRefusedError)


class SlackChannel:
    """Posts through slack-sdk's WebClient; in place it retries only what cannot double-post.

    The address is the organisation's channel (or a person's user id), read from the parties
    when the message is sent; where each message landed is kept in the Slack tables.
    """

    transport = Transport.CHAT
    interval = 1.0

    def __init__(self, token: str, base_url: str, *, timeout: int = 10) -> None:
        self.ledger = SlackLedger()
        self.client = WebClient(
            token=token,
            base_url=base_url if base_url.endswith("/") else base_url + "/",
            timeout=timeout,
            retry_handlers=[ShortRateLimitRetry(), RefusedConnectionRetry()],
            logger=_client_log,
        )

    def resolve(self, to: Addressee) -> str | None:
        """The person's own Slack id, else the organisation's channel; None without either."""
        return chat_address(to)

    def send(self, address: str, message: Message, *, thread: str | None = None) -> Sent:
        """chat.postMessage with the outbox key as metadata; DeliveryError when not accepted."""
        kwargs: dict[str, Any] = {
            "channel": address,
            "text": message.text,
            "blocks": slack_blocks(message),
        }
        if thread:
            kwargs["thread_ts"] = thread
        if message.key:
            kwargs["metadata"] = {
                "event_type": METADATA_EVENT,
                "event_payload": {"key": message.key},
            }
        response = self._call(self.client.chat_postMessage, posting=True, **kwargs)
        return Sent(str(response.get("channel") or address), str(response["ts"]))

    def update(self, address: str, ref: str, message: Message) -> None:
        """chat.update of an earlier message (repeating it changes nothing)."""
        self._call(
            self.client.chat_update,
            channel=address,
            ts=ref,
            text=message.text,
            blocks=slack_blocks(message),
        )

    def whisper(self, address: str, user: str, text: str) -> None:
        """chat.postEphemeral: a line only `user` sees in `address` (a refused button)."""
        self._call(self.client.chat_postEphemeral, channel=address, user=user, text=text)

    def find(self, address: str, key: str, *, thread: str | None = None) -> Sent | None:
        """Look through the channel (or the thread) for a message carrying outbox key `key`."""
        if thread:
            pages = self._call(
                self.client.conversations_replies,
                channel=address,
                ts=thread,
                include_all_metadata=True,
                limit=FIND_PAGE_SIZE,
            )
        else:
            pages = self._call(
                self.client.conversations_history,
                channel=address,
                include_all_metadata=True,
                limit=FIND_PAGE_SIZE,
            )
        try:
            for number, page in enumerate(pages, start=1):
                for item in page.get("messages") or []:
                    if _key_of(item) == key:
                        return Sent(address, str(item["ts"]))
                if number >= FIND_PAGES:
                    break
        except (SlackApiError, SlackClientError, OSError) as exc:
            raise _as_delivery_error(exc, posting=False) from None
        return None

    @staticmethod
    def _call(method: Any, *, posting: bool = False, **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except (SlackApiError, SlackClientError, OSError) as exc:
            raise _as_delivery_error(exc, posting=posting) from None


def slack_blocks(message: Message) -> list[dict[str, Any]]:
    """The message's parts as Block Kit dicts, checked by slack-sdk's typed blocks."""
    if len(message.blocks) > MAX_BLOCKS:
        raise DeliveryError("invalid_blocks: more than 50 blocks", permanent=True)
    return [_block(part) for part in message.blocks]


# The typed blocks' checks look only at what `_shape` keeps (which parts are there, how many,
# which texts exceed their limit); validating one part of a shape answers for all of them, and
# the dicts are built directly, as the typed blocks would write them.
_valid_shapes: set[tuple[object, ...]] = set()


def _block(part: Part) -> dict[str, Any]:
    shape = _shape(part)
    if shape not in _valid_shapes:
        try:
            _typed(part).validate_json()
        except SlackObjectFormationError as exc:
            raise DeliveryError(f"invalid_blocks: {exc}", permanent=True) from None
        _valid_shapes.add(shape)
    return _as_dict(part)


def _shape(part: Part) -> tuple[object, ...]:
    if isinstance(part, Header):
        return (Header, len(part.text) > HeaderBlock.text_max_length)
    if isinstance(part, Section):
        if any(len(f) > FIELD_MAX for f in part.fields):
            raise DeliveryError("invalid_blocks: a field exceeds 2000 characters", permanent=True)
        return (
            Section,
            bool(part.text),
            len(part.text) > SectionBlock.text_max_length,
            len(part.fields),
        )
    if isinstance(part, Context):
        return (Context, len(part.items))
    if isinstance(part, Actions):
        return (Actions, tuple(_button_shape(b) for b in part.buttons))
    return (type(part),)


def _button_shape(button: Button) -> tuple[object, ...]:
    return (
        len(button.label) > BUTTON_TEXT_MAX,
        button.url is not None and len(button.url) > BUTTON_URL_MAX,
        button.value is not None and len(button.value) > BUTTON_VALUE_MAX,
        button.action is not None,
        button.primary,
    )


def _as_dict(part: Part) -> dict[str, Any]:
    if isinstance(part, Header):
        text = _without_empty({"type": "plain_text", "text": part.text, "emoji": False})
        return {"type": "header", "text": text}
    if isinstance(part, Section):
        return _without_empty(
            {
                "type": "section",
                "text": _mrkdwn(part.text) if part.text else None,
                "fields": [_mrkdwn(f) for f in part.fields],
            }
        )
    if isinstance(part, Context):
        return _without_empty({"type": "context", "elements": [_mrkdwn(t) for t in part.items]})
    if isinstance(part, Actions):
        return {"type": "actions", "elements": [_button(b) for b in part.buttons]}
    assert isinstance(part, Divider)
    return {"type": "divider"}


def _button(button: Button) -> dict[str, Any]:
    return _without_empty(
        {
            "type": "button",
            "text": {"type": "plain_text", "text": button.label, "emoji": False},
            "action_id": button.action,
            "url": button.url,
            "value": button.value,
            "style": "primary" if button.primary else None,
        }
    )


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text} if text else {"type": "mrkdwn"}


def _without_empty(block: dict[str, Any]) -> dict[str, Any]:
    """As slack-sdk writes a block: no None and no empty values."""
    return {k: v for k, v in block.items() if v is not None and v != [] and v != ""}


def _typed(part: Part) -> Block:
    if isinstance(part, Header):
        return HeaderBlock(text=PlainTextObject(text=part.text, emoji=False))
    if isinstance(part, Section):
        return SectionBlock(
            text=MarkdownTextObject(text=part.text) if part.text else None,
            fields=[MarkdownTextObject(text=f) for f in part.fields] or None,
        )
    if isinstance(part, Context):
        return ContextBlock(elements=[MarkdownTextObject(text=t) for t in part.items])
    if isinstance(part, Actions):
        return ActionsBlock(
            elements=[
                ButtonElement(
                    text=PlainTextObject(text=b.label, emoji=False),
                    action_id=b.action,
                    url=b.url,
                    value=b.value,
                    style="primary" if b.primary else None,
                )
                for b in part.buttons
            ]
        )
    assert isinstance(part, Divider)
    return DividerBlock()


def _key_of(item: dict[str, Any]) -> str | None:
    metadata = item.get("metadata") or {}
    if metadata.get("event_type") != METADATA_EVENT:
        return None
    key = (metadata.get("event_payload") or {}).get("key")
    return str(key) if key is not None else None


def _as_delivery_error(exc: Exception, *, posting: bool) -> DeliveryError:
    if isinstance(exc, SlackApiError):
        return _api_error(exc, posting=posting)
    reason = getattr(exc, "reason", None)
    never_sent = isinstance(exc, ConnectionRefusedError | socket.gaierror) or (
        isinstance(exc, URLError) and isinstance(reason, ConnectionRefusedError | socket.gaierror)
    )
    what = type(reason).__name__ if isinstance(reason, BaseException) else type(exc).__name__
    return DeliveryError(
        f"connection: {what}", maybe_delivered=posting and not never_sent, outage=True
    )


def _api_error(exc: SlackApiError, *, posting: bool) -> DeliveryError:
    response = exc.response
    status = int(response.status_code)
    data = response.data if isinstance(response.data, dict) else {}
    if status == 429:
        headers = {k.lower(): v for k, v in (response.headers or {}).items()}
        header = headers.get("retry-after")
        value = header[0] if isinstance(header, list) else header
        return DeliveryError("ratelimited", retry_after=float(value or 1))
    if status >= 500:
        return DeliveryError(f"http_{status}", maybe_delivered=posting, outage=True)
    error = str(data.get("error") or f"http_{status}")
    return DeliveryError(
        error,
        permanent=error in PERMANENT_ERRORS,
        maybe_delivered=posting and error in MAYBE_DONE_ERRORS,
    )
