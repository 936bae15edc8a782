"""Configuration from the environment (DESIGN.md §7); everything has a working default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from jikoflow.models.enums import Lang

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


@dataclass(frozen=True)
class Settings:
    """What this process is configured with."""

    home: Path
    database_url: str
    slack_token: str | None
    slack_api_url: str
    lang: Lang

    @property
    def prefect_home(self) -> Path:
        """Where the embedded (ephemeral) Prefect keeps its own database."""
        return self.home / "prefect"


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given without a driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read the environment once."""
    source = os.environ if env is None else env
    home = Path(source.get("JIKOFLOW_HOME") or ".jikoflow").expanduser().resolve()
    url = source.get("JIKOFLOW_DATABASE_URL") or f"sqlite:///{home / 'jikoflow.db'}"
    lang_text = (source.get("JIKOFLOW_LANG") or "ja").lower()
    return Settings(
        home=home,
        database_url=normalize_database_url(url),
        slack_token=source.get("SLACK_BOT_TOKEN") or None,
        slack_api_url=source.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL,
        lang=Lang.EN if lang_text.startswith("en") else Lang.JA,
    )
