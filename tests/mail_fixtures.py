"""Pytest fixtures for e-mail: a real SMTP server (`tests/smtp_server.py`) and the outbox on it.

- `smtp_server`: aiosmtpd on 127.0.0.1 (random port), stopped after the test.
- `mail_world`: `outbox_world` (the sample parties, SQLite then PostgreSQL, the fake Slack)
  with `JIKOFLOW_SMTP_URL` pointing at the SMTP server, so every message is queued for e-mail
  too, and the real `MailChannel` on it (`.deliver(at)`, `.channel()`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from tests.slack_fixtures import OutboxWorld
from tests.smtp_server import SmtpServer

SENDER = "jikoflow <jikoflow@example.lg.jp>"
PORTAL = "https://portal.example.lg.jp"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running SMTP server on 127.0.0.1 (random port), stopped after the test."""
    with SmtpServer() as server:
        yield server


@dataclass
class MailWorld:
    """The outbox world with its SMTP server and the real e-mail channel pointed at it."""

    world: OutboxWorld
    smtp: SmtpServer

    @property
    def url(self) -> str:
        """The database."""
        return self.world.url

    def channel(self) -> Any:
        """The real e-mail channel on the test's SMTP server."""
        from jikoflow.notifications.mail import MailChannel

        return MailChannel(self.smtp.url, SENDER, portal=PORTAL, timeout=5)

    def deliver(self, at: datetime | None = None, **options: Any) -> Any:
        """One pass of the e-mail transport at `at` (default the world's `t0`)."""
        from jikoflow.notifications.dispatch import ChannelPacer, deliver_due

        channel = options.pop("channel", None) or self.channel()
        options.setdefault("pacer", ChannelPacer(0))
        try:
            return deliver_due(self.url, channel, now=at or self.world.t0, portal=PORTAL, **options)
        finally:
            channel.close()


@pytest.fixture
def mail_world(
    outbox_world: OutboxWorld, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> MailWorld:
    """The sample parties with e-mail configured: messages are queued for chat and e-mail."""
    monkeypatch.setenv("JIKOFLOW_SMTP_URL", smtp_server.url)
    return MailWorld(outbox_world, smtp_server)
