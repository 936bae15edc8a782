"""The fake Slack server itself, driven by slack-sdk's real WebClient over real HTTP."""

from __future__ import annotations

from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.slack_fixtures import SLACK_TOKEN
from tests.slack_server import SlackServer


@pytest.fixture
def client(slack_server: SlackServer) -> WebClient:
    # No in-place retries: every failure the server scripts reaches the test.
    return WebClient(token=SLACK_TOKEN, base_url=slack_server.url, timeout=5, retry_handlers=[])


def test_url_is_a_web_api_base_on_a_random_local_port(slack_server: SlackServer) -> None:
    assert slack_server.url.startswith("http://127.0.0.1:")
    assert slack_server.url.endswith("/")
    assert slack_server.port > 0


def test_auth_test_answers_ok_and_records_the_token(
    client: WebClient, slack_server: SlackServer
) -> None:
    response = client.auth_test()
    assert response["ok"] is True
    [request] = slack_server.calls("auth.test")
    assert request.headers["authorization"] == f"Bearer {SLACK_TOKEN}"


def test_wrong_token_is_invalid_auth(slack_server: SlackServer) -> None:
    with pytest.raises(SlackApiError) as err:
        WebClient(token="xoxb-wrong", base_url=slack_server.url).auth_test()
    assert err.value.response["error"] == "invalid_auth"


def test_post_message_records_body_and_gives_unique_increasing_ts(
    client: WebClient, slack_server: SlackServer
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*card*"}}]
    first = client.chat_postMessage(channel="C1", text="one", blocks=blocks)
    second = client.chat_postMessage(channel="C1", text="two")
    assert first["channel"] == "C1"
    assert first["message"]["text"] == "one"
    assert float(first["ts"]) < float(second["ts"])
    request = slack_server.calls("chat.postMessage")[0]
    assert request.body["blocks"] == blocks
    assert request.body["text"] == "one"
    assert request.status == 200


def test_form_encoded_arguments_are_parsed_too(slack_server: SlackServer) -> None:
    client = WebClient(token=SLACK_TOKEN, base_url=slack_server.url)
    client.api_call("chat.postMessage", data={"channel": "C1", "text": "form", "blocks": "[]"})
    assert slack_server.calls("chat.postMessage")[0].body == {
        "channel": "C1",
        "text": "form",
        "blocks": [],
    }


def test_history_is_newest_first_with_metadata_only_when_asked(
    client: WebClient, slack_server: SlackServer
) -> None:
    metadata = {"event_type": "jikoflow", "event_payload": {"key": "I-1:report:acme"}}
    client.chat_postMessage(channel="C1", text="a", metadata=metadata)
    client.chat_postMessage(channel="C1", text="b")
    client.chat_postMessage(channel="C2", text="elsewhere")
    plain = client.conversations_history(channel="C1")
    assert [m["text"] for m in plain["messages"]] == ["b", "a"]
    assert "metadata" not in plain["messages"][1]
    full = client.conversations_history(channel="C1", include_all_metadata=True)
    assert full["messages"][1]["metadata"] == metadata


def test_history_pages_with_a_cursor(client: WebClient, slack_server: SlackServer) -> None:
    for n in range(5):
        client.chat_postMessage(channel="C1", text=str(n))
    texts: list[str] = []
    for page in client.conversations_history(channel="C1", limit=2):
        texts += [m["text"] for m in page["messages"]]
    assert texts == ["4", "3", "2", "1", "0"]


def test_thread_replies_and_update(client: WebClient, slack_server: SlackServer) -> None:
    card = client.chat_postMessage(channel="C1", text="card")
    client.chat_postMessage(channel="C1", text="reply", thread_ts=card["ts"])
    client.chat_update(channel="C1", ts=card["ts"], text="card v2")
    [top] = slack_server.messages("C1")
    assert top["text"] == "card v2"
    assert top["reply_count"] == 1
    replies = client.conversations_replies(channel="C1", ts=card["ts"])
    assert [m["text"] for m in replies["messages"]] == ["card v2", "reply"]
    history = client.conversations_history(channel="C1")
    assert [m["text"] for m in history["messages"]] == ["card v2"]


def test_update_of_unknown_message_fails(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel="C1", ts="1.000001", text="x")
    assert err.value.response["error"] == "message_not_found"


def test_scripted_429_then_success(client: WebClient, slack_server: SlackServer) -> None:
    slack_server.fail_next("chat.postMessage", status=429, headers={"Retry-After": "7"})
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True
    assert slack_server.statuses("chat.postMessage") == [429, 200]
    assert len(slack_server.messages("C1")) == 1


def test_scripted_500_and_permanent_error(client: WebClient, slack_server: SlackServer) -> None:
    slack_server.fail_next("chat.postMessage", status=500)
    slack_server.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as first:
        client.chat_postMessage(channel="C1", text="x")
    with pytest.raises(SlackApiError) as second:
        client.chat_postMessage(channel="C1", text="x")
    assert first.value.response.status_code == 500
    assert second.value.response["error"] == "channel_not_found"
    assert slack_server.messages("C1") == []


def test_known_channels_reject_the_rest(slack_server: SlackServer, client: WebClient) -> None:
    slack_server.known_channels = {"C1"}
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C404", text="x")
    assert err.value.response["error"] == "channel_not_found"


def test_stopped_server_refuses_then_restarts_on_the_same_port(
    client: WebClient, slack_server: SlackServer
) -> None:
    port = slack_server.port
    slack_server.stop()
    with pytest.raises(URLError, match="Connection refused"):
        client.auth_test()
    slack_server.start()
    assert slack_server.port == port
    assert client.auth_test()["ok"] is True


def test_per_channel_rate_limit_answers_429_with_retry_after() -> None:
    with SlackServer(rate_limit=1.0) as server:
        client = WebClient(token=SLACK_TOKEN, base_url=server.url)
        client.chat_postMessage(channel="C1", text="1")
        client.chat_postMessage(channel="C2", text="other channel is not limited")
        with pytest.raises(SlackApiError) as err:
            client.chat_postMessage(channel="C1", text="2")
        assert err.value.response.status_code == 429
        assert err.value.response.headers["Retry-After"] == "1"
        assert server.statuses("chat.postMessage") == [200, 200, 429]


def test_an_applied_failure_stores_the_message_but_answers_the_error(
    client: WebClient, slack_server: SlackServer
) -> None:
    slack_server.fail_next("chat.postMessage", status=500, applied=True)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="landed anyway")
    assert [m["text"] for m in slack_server.messages("C1")] == ["landed anyway"]


def test_requests_record_whether_slack_said_ok(
    client: WebClient, slack_server: SlackServer
) -> None:
    slack_server.fail_next("chat.postMessage", error="not_in_channel")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="refused")
    client.chat_postMessage(channel="C1", text="accepted")
    assert [(r.status, r.ok) for r in slack_server.calls("chat.postMessage")] == [
        (200, False),
        (200, True),
    ]
