"""The state behind the fake Slack: channels, threads and the Web API methods that change them.

`Workspace.answer` is what the HTTP server calls for each request (after any scripted answer);
it checks the token (the app-level one for `apps.connections.open`, which hands out the Socket
Mode URL), applies Slack's per-channel rate limit to `chat.postMessage` when one is
set, and keeps every accepted message with its `metadata`, as Slack would.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

BOT_USER = "U0JIKOBOT"
BOT_ID = "B0JIKOBOT"
TEAM_ID = "T0JIKOTEST"


@dataclass(frozen=True)
class Canned:
    """An answer: HTTP status, body (JSON object or plain text) and headers."""

    status: int = 200
    body: dict[str, Any] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    applied: bool = False  # do the real work first, then answer with this (a lost reply)


class Workspace:
    """Channels, threads and tokens of one fake Slack workspace."""

    def __init__(
        self,
        *,
        rate_limit: float | None = None,
        burst: int = 1,
        token: str | None = None,
        known_channels: set[str] | None = None,
    ) -> None:
        """`rate_limit`: chat.postMessage per second per channel (None: unlimited)."""
        self.rate_limit = rate_limit
        self.burst = burst
        self.token = token
        self.known_channels = known_channels
        self._lock = threading.RLock()
        self._channels: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._replies: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        self._posted_at: dict[str, deque[float]] = defaultdict(deque)
        self._ts = itertools.count(1)
        self._epoch = int(time.time())
        self._ephemeral: list[dict[str, Any]] = []
        # Socket Mode: the app-level token `apps.connections.open` accepts, and the WebSocket
        # URL it hands out (a `tests.slack_socket.SocketServer`).
        self.app_token: str | None = None
        self.socket_url: str | None = None

    def answer(
        self, method: str, headers: dict[str, str], body: dict[str, Any], now: float
    ) -> Canned:
        """Slack's answer to one call of `method`."""
        with self._lock:
            if method == "apps.connections.open":
                return self._connections_open(headers, body)
            auth = self._check_auth(headers, body)
            if auth is not None:
                return auth
            api = _API.get(method)
            if api is None:
                return Canned(404, {"ok": False, "error": "unknown_method"})
            return api(self, body, now)

    def reset(self) -> None:
        """Forget every message."""
        with self._lock:
            self._channels.clear()
            self._replies.clear()
            self._posted_at.clear()
            self._ephemeral.clear()

    def ephemeral(self) -> list[dict[str, Any]]:
        """Ephemeral messages (`chat.postEphemeral`), oldest first: channel, user, text."""
        with self._lock:
            return [dict(m) for m in self._ephemeral]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Top-level messages accepted in `channel`, oldest first, as they stand now."""
        with self._lock:
            return [dict(m) for m in self._channels.get(channel, [])]

    def replies(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """Thread replies under `thread_ts`, oldest first."""
        with self._lock:
            return [dict(m) for m in self._replies.get((channel, thread_ts), [])]

    def all_messages(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every accepted message, top-level and replies, with its channel."""
        with self._lock:
            for channel, messages in self._channels.items():
                yield from ((channel, dict(m)) for m in messages)
            for (channel, _), replies in self._replies.items():
                yield from ((channel, dict(m)) for m in replies)

    def _check_auth(self, headers: dict[str, str], body: dict[str, Any]) -> Canned | None:
        bearer = headers.get("authorization", "")
        token = bearer.removeprefix("Bearer ").strip() if bearer else str(body.get("token", ""))
        if not token:
            return Canned(200, {"ok": False, "error": "not_authed"})
        if self.token is not None and token != self.token:
            return Canned(200, {"ok": False, "error": "invalid_auth"})
        return None

    def _rate_limited(self, channel: str, now: float) -> Canned | None:
        if self.rate_limit is None:
            return None
        window = self.burst / self.rate_limit
        recent = self._posted_at[channel]
        while recent and now - recent[0] >= window:
            recent.popleft()
        if len(recent) >= self.burst:
            wait = max(1, math.ceil(window - (now - recent[0])))
            return Canned(
                429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(int(wait))}
            )
        recent.append(now)
        return None

    def _next_ts(self) -> str:
        n = next(self._ts)
        return f"{self._epoch + n // 1_000_000}.{n % 1_000_000:06d}"

    def _post_message(self, body: dict[str, Any], now: float) -> Canned:
        channel = str(body.get("channel") or "")
        if not channel:
            return Canned(200, {"ok": False, "error": "channel_not_found"})
        if self.known_channels is not None and channel not in self.known_channels:
            return Canned(200, {"ok": False, "error": "channel_not_found"})
        if not body.get("text") and not body.get("blocks"):
            return Canned(200, {"ok": False, "error": "no_text"})
        limited = self._rate_limited(channel, now)
        if limited is not None:
            return limited
        message = _message(body, self._next_ts())
        thread_ts = body.get("thread_ts")
        if thread_ts:
            parent = self._find(channel, str(thread_ts))
            if parent is None:
                return Canned(200, {"ok": False, "error": "thread_not_found"})
            message["thread_ts"] = parent["ts"]
            parent["thread_ts"] = parent["ts"]
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            self._replies[(channel, parent["ts"])].append(message)
        else:
            self._channels[channel].append(message)
        return Canned(
            200, {"ok": True, "channel": channel, "ts": message["ts"], "message": message}
        )

    def _update(self, body: dict[str, Any], _now: float) -> Canned:
        channel, ts = str(body.get("channel") or ""), str(body.get("ts") or "")
        message = self._find(channel, ts)
        if message is None:
            return Canned(200, {"ok": False, "error": "message_not_found"})
        for key in ("text", "blocks"):
            if key in body:
                message[key] = body[key]
        message["edited"] = {"user": BOT_USER, "ts": self._next_ts()}
        return Canned(
            200,
            {
                "ok": True,
                "channel": channel,
                "ts": ts,
                "text": message.get("text", ""),
                "message": message,
            },
        )

    def _find(self, channel: str, ts: str) -> dict[str, Any] | None:
        for message in self._channels.get(channel, []):
            if message["ts"] == ts:
                return message
        for (chan, _), replies in self._replies.items():
            if chan == channel:
                for message in replies:
                    if message["ts"] == ts:
                        return message
        return None

    def _history(self, body: dict[str, Any], _now: float) -> Canned:
        channel = str(body.get("channel") or "")
        if self.known_channels is not None and channel not in self.known_channels:
            return Canned(200, {"ok": False, "error": "channel_not_found"})
        oldest = float(body.get("oldest") or 0)
        latest = float(body.get("latest") or math.inf)
        newest_first = [
            m for m in reversed(self._channels.get(channel, [])) if oldest < float(m["ts"]) < latest
        ]
        return self._page(newest_first, body)

    def _conversation_replies(self, body: dict[str, Any], _now: float) -> Canned:
        channel, ts = str(body.get("channel") or ""), str(body.get("ts") or "")
        parent = self._find(channel, ts)
        if parent is None:
            return Canned(200, {"ok": False, "error": "thread_not_found"})
        return self._page([parent, *self._replies.get((channel, ts), [])], body)

    def _page(self, messages: list[dict[str, Any]], body: dict[str, Any]) -> Canned:
        start = int(body.get("cursor") or 0)
        limit = max(1, min(int(body.get("limit") or 100), 999))
        chunk = messages[start : start + limit]
        with_metadata = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
        shown = [
            m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in chunk
        ]
        more = start + limit < len(messages)
        return Canned(
            200,
            {
                "ok": True,
                "messages": shown,
                "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""},
            },
        )

    def _post_ephemeral(self, body: dict[str, Any], _now: float) -> Canned:
        channel, user = str(body.get("channel") or ""), str(body.get("user") or "")
        if not channel or not user:
            return Canned(200, {"ok": False, "error": "channel_not_found"})
        if not body.get("text") and not body.get("blocks"):
            return Canned(200, {"ok": False, "error": "no_text"})
        self._ephemeral.append({"channel": channel, "user": user, "text": body.get("text", "")})
        return Canned(200, {"ok": True, "message_ts": self._next_ts()})

    def _connections_open(self, headers: dict[str, str], body: dict[str, Any]) -> Canned:
        bearer = headers.get("authorization", "").removeprefix("Bearer ").strip()
        token = bearer or str(body.get("token", ""))
        if self.app_token is None or token != self.app_token:
            return Canned(200, {"ok": False, "error": "invalid_auth"})
        if self.socket_url is None:
            return Canned(200, {"ok": False, "error": "internal_error"})
        return Canned(200, {"ok": True, "url": self.socket_url})

    def _auth_test(self, _body: dict[str, Any], _now: float) -> Canned:
        return Canned(
            200,
            {
                "ok": True,
                "url": "https://jikoflow-test.slack.com/",
                "team": "jikoflow-test",
                "user": "jikoflow",
                "team_id": TEAM_ID,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
            },
        )


_API: dict[str, Callable[[Workspace, dict[str, Any], float], Canned]] = {
    "auth.test": Workspace._auth_test,
    "chat.postMessage": Workspace._post_message,
    "chat.update": Workspace._update,
    "chat.postEphemeral": Workspace._post_ephemeral,
    "conversations.history": Workspace._history,
    "conversations.replies": Workspace._conversation_replies,
}


def _message(body: dict[str, Any], ts: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "message",
        "user": BOT_USER,
        "bot_id": BOT_ID,
        "text": body.get("text", ""),
        "ts": ts,
    }
    for key in ("blocks", "metadata"):
        if body.get(key):
            message[key] = body[key]
    return message
