"""Outbound chat: a small Notifier interface with Slack and console implementations."""
