"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 (port 0) in a thread, every accepted
message kept, and scriptable replies.

    with SmtpServer() as smtp:
        smtp.fail_next(451, "4.3.0 try again later")   # the next DATA gets a 4xx
        smtp.fail_next(550, "5.1.1 no", after=6)         # … or the seventh from now
        smtp.stop(); smtp.start()                        # down (connection refused), then up
        smtp.messages                                    # parsed `EmailMessage`s, in order
"""

from __future__ import annotations

import email
import threading
import time
from collections import deque
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServerProtocol
from aiosmtpd.smtp import Envelope, Session


class _Controller(Controller):
    """aiosmtpd's controller, on port 0: it learns its port before it first connects to itself."""

    def _trigger_server(self) -> None:
        if self.port == 0 and self.server is not None:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class _Handler:
    """aiosmtpd's handler: answers DATA from the script, else keeps the message."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(
        self, _server: SMTPServerProtocol, _session: Session, envelope: Envelope
    ) -> str:
        return self.server._accept(envelope, _session.peer)


class SmtpServer:
    """The test's mail server: `.port`, `.url`, `.messages`, `.envelopes`, `.fail_next`,
    `.rejected` (the messages refused by script, with the reply) and `.connections`."""

    def __init__(self) -> None:
        self.port = 0
        self._lock = threading.Lock()
        self._script: deque[str | None] = deque()
        self._controller: Controller | None = None
        self.envelopes: list[tuple[str, list[str], bytes]] = []
        self.refused: list[str] = []
        self.rejected: list[tuple[str, EmailMessage]] = []
        self._peers: set[object] = set()

    @property
    def url(self) -> str:
        """`JIKOFLOW_SMTP_URL` for this server."""
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpServer:
        """Listen (on a free port the first time, then on the same port again)."""
        if self._controller is not None:
            return self
        controller = _Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        controller.start()
        self.port = controller.port
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening: clients get 'connection refused' until `start()` again."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(self, code: int, text: str, *, times: int = 1, after: int = 0) -> None:
        """Answer the next `times` messages' DATA with `code text` instead of accepting them
        (once `after` more messages were accepted)."""
        with self._lock:
            self._script.extend([None] * after + [f"{code} {text}"] * times)

    @property
    def connections(self) -> int:
        """How many connections (client address and port) sent a message."""
        with self._lock:
            return len(self._peers)

    @property
    def messages(self) -> list[EmailMessage]:
        """Every accepted message, parsed (headers decoded by the `email` package)."""
        with self._lock:
            raw = [data for _, _, data in self.envelopes]
        return [_parsed(data) for data in raw]

    def wait(self, condition: Callable[[], object], timeout: float = 20.0) -> None:
        """Block until `condition()` holds; fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("the mail did not arrive in time")
            time.sleep(0.02)

    def _accept(self, envelope: Envelope, peer: object) -> str:
        content: Any = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else str(content).encode()
        with self._lock:
            self._peers.add(peer)
            reply = self._script.popleft() if self._script else None
            if reply is not None:
                self.refused.append(reply)
                self.rejected.append((reply, _parsed(data)))
                return reply
            self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos), data))
        return "250 2.0.0 OK"


def _parsed(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def main() -> None:
    """`python -m tests.smtp_server`: print the port, keep accepting until stdin closes, then
    print how many messages it accepted over how many connections."""
    import sys

    with SmtpServer() as server:
        print(server.port, flush=True)
        sys.stdin.read()
        print(len(server.envelopes), server.connections, flush=True)


if __name__ == "__main__":
    main()
