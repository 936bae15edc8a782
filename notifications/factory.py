"""Choosing the notifier: Slack when a bot token is configured, the console otherwise."""

from __future__ import annotations

from jikoflow.models.settings import Settings
from jikoflow.notifications.base import Notifier
from jikoflow.notifications.console import ConsoleNotifier


def notifier_for(settings: Settings) -> Notifier:
    """The notifier the settings ask for; slack_sdk is imported only when needed."""
    if settings.slack_token:
        from jikoflow.notifications.slack import SlackNotifier

        return SlackNotifier(settings.slack_token, settings.slack_api_url)
    return ConsoleNotifier()
