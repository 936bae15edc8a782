"""Slack's buttons over Socket Mode (`SLACK_APP_TOKEN`), for a site Slack cannot reach over
HTTP: slack-sdk's own Socket Mode client opens the WebSocket (`apps.connections.open`),
acknowledges each envelope and reconnects; `serve` runs it. A click is answered exactly as one
that came over HTTP (`slack_interactions`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from jikoflow.models.settings import Settings
from jikoflow.models.types import utcnow
from jikoflow.notifications.slack_interactions import answer_all, follow_up


class SocketButtons:
    """A Socket Mode connection that answers button clicks until `stop`."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        ping_interval: float = 10.0,
    ) -> None:
        assert settings.slack_app_token is not None
        self.settings = settings
        self.clock = clock
        base = settings.slack_api_url
        web = WebClient(
            token=settings.slack_token, base_url=base if base.endswith("/") else base + "/"
        )
        self.client = SocketModeClient(
            app_token=settings.slack_app_token, web_client=web, ping_interval=ping_interval
        )
        self.client.socket_mode_request_listeners.append(self._on_request)

    def start(self) -> None:
        """Open the connection (the client keeps it open and reconnects on its own)."""
        self.client.connect()

    def stop(self) -> None:
        """Close the connection and the client's threads."""
        self.client.close()

    def _on_request(self, client: BaseSocketModeClient, request: SocketModeRequest) -> None:
        # Slack waits three seconds for the envelope's acknowledgement: it goes first, and the
        # answer (which talks to the database and to Slack) after it.
        client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
        if request.type != "interactive" or not isinstance(request.payload, dict):
            return
        follow_up(self.settings, answer_all(self.settings, request.payload, now=self.clock()))


def start_buttons(settings: Settings) -> SocketButtons | None:
    """Socket Mode when `SLACK_APP_TOKEN` is set; None otherwise."""
    if not settings.slack_app_token:
        return None
    buttons = SocketButtons(settings)
    buttons.start()
    return buttons
