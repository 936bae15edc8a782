"""What the web app is configured with, taken once from the settings when the app is made."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jikoflow.models.accounts.rules import SessionLimits
from jikoflow.models.types import utcnow

SIGN_IN_RATE = "10/minute"  # sign-in attempts per client address (per process)


@dataclass(frozen=True)
class WebConfig:
    """The web app's configuration; `clock` is injectable so tests never wait."""

    database_url: str
    secret_key: bytes
    base_url: str
    limits: SessionLimits = field(default_factory=SessionLimits)
    sign_in_rate: str = SIGN_IN_RATE
    clock: Callable[[], datetime] = utcnow

    @property
    def https(self) -> bool:
        """Whether people reach the portal over HTTPS (cookies are then `Secure`)."""
        return self.base_url.lower().startswith("https://")


def config_of(app_state: Any) -> WebConfig:
    """The configuration stored on an application's state."""
    config: WebConfig = app_state.config
    return config
