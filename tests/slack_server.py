"""A Slack-compatible Web API server for tests: real HTTP on 127.0.0.1, every request recorded.

Point slack-sdk's `WebClient(base_url=server.url)` (or `SLACK_API_URL`) at it. It answers
`auth.test`, `chat.postMessage`, `chat.update`, `conversations.history` and
`conversations.replies` like Slack does, keeps the messages it accepted per channel (with their
`metadata`), and can be scripted to fail: canned answers per method (`fail_next`), stopping and
restarting on the same port (connection refused in between), and Slack's per-channel rate limit
(HTTP 429 with `Retry-After`).

    with SlackServer() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.url)
        slack.fail_next("chat.postMessage", status=429, headers={"Retry-After": "1"})
"""

from __future__ import annotations

import itertools
import json
import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_USER = "U0JIKOBOT"
BOT_ID = "B0JIKOBOT"
TEAM_ID = "T0JIKOTEST"

# Form-encoded requests carry these arguments as JSON strings (slack-sdk's WebClient does so).
_JSON_ARGS = ("blocks", "attachments", "metadata")

_RATE_LIMITED_METHODS = ("chat.postMessage",)


@dataclass(frozen=True)
class Recorded:
    """One request as the server saw it."""

    method: str  # the Web API method, e.g. "chat.postMessage"
    http_method: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: str
    status: int  # the HTTP status the server answered with
    at: float  # time.monotonic() on arrival


@dataclass(frozen=True)
class Canned:
    """A scripted answer for the next call of one method."""

    status: int = 200
    body: dict[str, Any] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class SlackServer:
    """The fake Slack: start/stop (or `with`), `.url`, `.requests`, `.fail_next`, `.messages`."""

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
        self.port = 0
        self._lock = threading.RLock()
        self._requests: list[Recorded] = []
        self._canned: dict[str, deque[Canned]] = defaultdict(deque)
        self._channels: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._replies: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        self._posted_at: dict[str, deque[float]] = defaultdict(deque)
        self._ts = itertools.count(1)
        self._epoch = int(time.time())
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.on_post: Callable[[Recorded], None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The Web API base URL, ending in `/` (Slack's is https://slack.com/api/)."""
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def running(self) -> bool:
        """Whether the server is accepting connections."""
        return self._httpd is not None

    def start(self) -> SlackServer:
        """Listen (on port 0 the first time, then on the same port again) in a thread."""
        if self._httpd is not None:
            return self
        handler = type("Handler", (_Handler,), {"slack": self})
        httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        httpd.daemon_threads = True
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening; clients get 'connection refused' until `start()` again."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def restart(self) -> None:
        """Stop and start again on the same port, keeping recorded requests and messages."""
        self.stop()
        self.start()

    def __enter__(self) -> SlackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scripting ---------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with this instead of the real thing.

        `error` gives Slack's `{"ok": false, "error": ...}`; a 429 defaults to `ratelimited`
        with `Retry-After: 1`; any other status defaults to a plain-text error page.
        """
        if body is None:
            if error is not None:
                body = {"ok": False, "error": error}
            elif status == 429:
                body = {"ok": False, "error": "ratelimited"}
            else:
                body = f"{status} Server Error"
        canned_headers = dict(headers or {})
        if status == 429:
            canned_headers.setdefault("Retry-After", "1")
        with self._lock:
            for _ in range(times):
                self._canned[method].append(Canned(status, body, canned_headers))

    def reset(self) -> None:
        """Forget requests, messages and scripted answers."""
        with self._lock:
            self._requests.clear()
            self._canned.clear()
            self._channels.clear()
            self._replies.clear()
            self._posted_at.clear()

    # -- inspection --------------------------------------------------------------------------

    @property
    def requests(self) -> list[Recorded]:
        """A snapshot of every request so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def calls(self, method: str) -> list[Recorded]:
        """The recorded requests of one Web API method."""
        return [r for r in self.requests if r.method == method]

    def statuses(self, method: str | None = None) -> list[int]:
        """The HTTP statuses answered (to one method, or to all)."""
        return [r.status for r in self.requests if method is None or r.method == method]

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

    # -- the API -----------------------------------------------------------------------------

    def _answer(
        self, method: str, headers: dict[str, str], body: dict[str, Any], now: float
    ) -> Canned:
        with self._lock:
            if self._canned[method]:
                return self._canned[method].popleft()
            auth = self._check_auth(headers, body)
            if auth is not None:
                return auth
            api = _API.get(method)
            if api is None:
                return Canned(404, {"ok": False, "error": "unknown_method"})
            return api(self, body, now)

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

    def _record(self, entry: Recorded) -> None:
        with self._lock:
            self._requests.append(entry)
        if entry.method == "chat.postMessage" and entry.status == 200 and self.on_post:
            self.on_post(entry)


_API: dict[str, Callable[[SlackServer, dict[str, Any], float], Canned]] = {
    "auth.test": SlackServer._auth_test,
    "chat.postMessage": SlackServer._post_message,
    "chat.update": SlackServer._update,
    "conversations.history": SlackServer._history,
    "conversations.replies": SlackServer._conversation_replies,
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


def _parse_body(content_type: str, raw: str, query: str) -> dict[str, Any]:
    body: dict[str, Any] = dict(parse_qsl(query))
    if "json" in content_type and raw:
        parsed = json.loads(raw)
        if isinstance(parsed, dict):
            body.update(parsed)
        return body
    body.update(parse_qsl(raw, keep_blank_values=True))
    for key in _JSON_ARGS:
        value = body.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            body[key] = json.loads(value)
    return body


class _Handler(BaseHTTPRequestHandler):
    slack: SlackServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the recorded requests are the log."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        now = time.monotonic()
        parts = urlsplit(self.path)
        method = parts.path.rstrip("/").rsplit("/", 1)[-1]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            body = _parse_body(headers.get("content-type", ""), raw, parts.query)
        except ValueError:
            body = {}
            answer = Canned(200, {"ok": False, "error": "invalid_json"})
        else:
            answer = self.slack._answer(method, headers, body, now)
        self.slack._record(Recorded(method, self.command, headers, body, raw, answer.status, now))
        self._reply(answer)

    def _reply(self, answer: Canned) -> None:
        if isinstance(answer.body, str):
            payload, content_type = answer.body.encode(), "text/plain; charset=utf-8"
        else:
            payload = json.dumps(answer.body, ensure_ascii=False).encode()
            content_type = "application/json; charset=utf-8"
        self.send_response(answer.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
