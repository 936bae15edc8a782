"""Prefect flows and tasks: thin orchestration over models/ and notifications/."""
