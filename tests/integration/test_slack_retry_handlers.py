"""The WebClient's own retries: only what cannot post twice is retried in place."""

from __future__ import annotations

import pytest

from jikoflow.notifications.base import DeliveryError, Message
from jikoflow.notifications.slack import SlackChannel
from tests.slack_fixtures import SLACK_TOKEN
from tests.slack_server import SlackServer

MESSAGE = Message(text="事故等報告 INC-TEST")


def channel(slack: SlackServer) -> SlackChannel:
    return SlackChannel(SLACK_TOKEN, slack.url, timeout=5)


def test_a_short_retry_after_is_waited_out_in_place(slack_server: SlackServer) -> None:
    slack_server.fail_next("chat.postMessage", status=429, headers={"Retry-After": "1"})
    sent = channel(slack_server).send("C0NERIMA", MESSAGE)
    assert sent.ref
    assert slack_server.statuses("chat.postMessage") == [429, 200]
    assert len(slack_server.messages("C0NERIMA")) == 1


def test_a_long_retry_after_goes_back_to_the_outbox(slack_server: SlackServer) -> None:
    slack_server.fail_next("chat.postMessage", status=429, headers={"Retry-After": "30"})
    with pytest.raises(DeliveryError) as refused:
        channel(slack_server).send("C0NERIMA", MESSAGE)
    assert (refused.value.permanent, refused.value.retry_after) == (False, 30.0)
    assert slack_server.statuses("chat.postMessage") == [429]


def test_a_refused_connection_is_a_retryable_error(slack_server: SlackServer) -> None:
    slack_server.stop()
    with pytest.raises(DeliveryError) as refused:
        channel(slack_server).send("C0NERIMA", MESSAGE)
    assert not refused.value.permanent
