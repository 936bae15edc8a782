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

import json
import sys
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.slack_workspace import Canned, Workspace

# Form-encoded requests carry these arguments as JSON strings (slack-sdk's WebClient does so).
_JSON_ARGS = ("blocks", "attachments", "metadata")


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
    ok: bool = False  # whether the answer was Slack's {"ok": true, …}


class SlackServer:
    """The fake Slack: start/stop (or `with`), `.url`, `.requests`, `.fail_next`, `.messages`.

    `rate_limit`, `token` and `known_channels` (None: any channel exists) may be changed while
    it runs; they belong to its `workspace`.
    """

    def __init__(
        self,
        *,
        rate_limit: float | None = None,
        burst: int = 1,
        token: str | None = None,
        known_channels: set[str] | None = None,
    ) -> None:
        """`rate_limit`: chat.postMessage per second per channel (None: unlimited)."""
        self.workspace = Workspace(
            rate_limit=rate_limit, burst=burst, token=token, known_channels=known_channels
        )
        self.port = 0
        self._lock = threading.RLock()
        self._requests: list[Recorded] = []
        self._canned: dict[str, deque[Canned]] = defaultdict(deque)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.on_post: Callable[[Recorded], None] | None = None

    @property
    def known_channels(self) -> set[str] | None:
        """Channels that exist (None: every channel does)."""
        return self.workspace.known_channels

    @known_channels.setter
    def known_channels(self, value: set[str] | None) -> None:
        self.workspace.known_channels = value

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
        httpd = _HTTPServer(("127.0.0.1", self.port), handler)
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
        applied: bool = False,
    ) -> None:
        """Answer the next `times` calls of `method` with this instead of the real thing.

        `error` gives Slack's `{"ok": false, "error": ...}`; a 429 defaults to `ratelimited`
        with `Retry-After: 1`; any other status defaults to a plain-text error page.
        `applied=True`: the call takes effect (a message is stored) but the client only sees
        the failure — Slack accepted it and the reply was lost.
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
                self._canned[method].append(Canned(status, body, canned_headers, applied))

    def reset(self) -> None:
        """Forget requests, messages and scripted answers."""
        with self._lock:
            self._requests.clear()
            self._canned.clear()
        self.workspace.reset()

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
        return self.workspace.messages(channel)

    def replies(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """Thread replies under `thread_ts`, oldest first."""
        return self.workspace.replies(channel, thread_ts)

    def _answer(
        self, method: str, headers: dict[str, str], body: dict[str, Any], now: float
    ) -> Canned:
        with self._lock:
            canned = self._canned[method].popleft() if self._canned[method] else None
        if canned is not None and not canned.applied:
            return canned
        answer = self.workspace.answer(method, headers, body, now)
        return canned or answer

    def _record(self, entry: Recorded) -> None:
        with self._lock:
            self._requests.append(entry)
        if entry.method == "chat.postMessage" and entry.ok and self.on_post:
            self.on_post(entry)


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


class _HTTPServer(ThreadingHTTPServer):
    # socketserver's default backlog of 5 drops connections from a few concurrent clients,
    # which then wait a full TCP retransmission (about a second) to connect.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request (killed, timed out) is not the server's error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


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
        ok = isinstance(answer.body, dict) and answer.body.get("ok") is True
        entry = Recorded(method, self.command, headers, body, raw, answer.status, now, ok)
        self.slack._record(entry)
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


def main(argv: list[str] | None = None) -> None:
    """`python -m tests.slack_server [--rate-limit N]`: print the URL, serve until stdin closes."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rate-limit", type=float, default=None, help="posts/s per channel")
    parser.add_argument("--token", default=None, help="the only token accepted")
    args = parser.parse_args(argv)
    with SlackServer(rate_limit=args.rate_limit, token=args.token) as server:
        print(server.url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
