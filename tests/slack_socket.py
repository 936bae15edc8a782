"""A Socket Mode endpoint for tests: a real WebSocket server on 127.0.0.1 (port 0) speaking
Slack's envelope protocol — `hello` on connect, envelopes pushed by the test, and every
message the client sends back (its acknowledgements) recorded.

The fake Web API hands its URL out: `slack.workspace.socket_url = server.url` and
`slack.workspace.app_token = "xapp-…"` make `apps.connections.open` answer with it.

    with SocketServer() as server:
        server.wait(lambda: server.connections)
        envelope = server.push("interactive", payload)
        server.wait(lambda: server.acknowledged(envelope))
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve


class SocketServer:
    """The WebSocket side of Socket Mode: `.url`, `.push`, `.received`, `.wait`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._clients: list[ServerConnection] = []
        self.received: list[dict[str, Any]] = []
        self.connections = 0

    @property
    def url(self) -> str:
        """The `wss://…` URL Slack would hand out, here plain `ws://` on 127.0.0.1."""
        assert self._server is not None
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=test"

    def start(self) -> SocketServer:
        """Listen on a free port in a thread."""
        self._server = serve(self._serve, "127.0.0.1", 0, ping_interval=None)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close every connection and stop listening."""
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> SocketServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def push(self, kind: str, payload: dict[str, Any]) -> str:
        """Send an envelope to the newest connection; returns its envelope id."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": False,
        }
        with self._lock:
            client = self._clients[-1]
        client.send(json.dumps(envelope))
        return envelope_id

    def acknowledged(self, envelope_id: str) -> bool:
        """Whether the client acknowledged the envelope (`{"envelope_id": …}`)."""
        with self._lock:
            return any(m.get("envelope_id") == envelope_id for m in self.received)

    def wait(self, condition: Callable[[], object], timeout: float = 20.0) -> None:
        """Block until `condition()` holds; fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("the Socket Mode client did not get there in time")
            time.sleep(0.02)

    def _serve(self, connection: ServerConnection) -> None:
        with self._lock:
            self._clients.append(connection)
            self.connections += 1
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0JIKO"}}
        connection.send(json.dumps(hello))
        try:
            for message in connection:
                data = json.loads(message)
                with self._lock:
                    self.received.append(data)
        except ConnectionClosed:
            pass
