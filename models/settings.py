"""Configuration from the environment (DESIGN.md §7); everything has a working default."""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from jikoflow.models.enums import Lang
from jikoflow.models.errors import BadInput

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_BASE_URL = "http://127.0.0.1:8080"
SECRET_KEY_FILE = "secret_key"
AUDIT_KEY_FILE = "audit_key"
MIN_SECRET_KEY = 32


@dataclass(frozen=True)
class Settings:
    """What this process is configured with."""

    home: Path
    database_url: str
    slack_token: str | None
    slack_api_url: str
    lang: Lang
    base_url: str = DEFAULT_BASE_URL
    secret_key: str | None = None
    slack_signing_secret: str | None = None  # verifies Slack's requests (buttons over HTTP)
    slack_app_token: str | None = None  # `xapp-…`: buttons over Socket Mode instead
    smtp_url: str | None = None  # smtp://[user:pass@]host:port or smtps://…; None: no e-mail
    mail_from: str | None = None  # the sender of e-mails

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
        base_url=(source.get("JIKOFLOW_BASE_URL") or DEFAULT_BASE_URL).rstrip("/"),
        secret_key=source.get("JIKOFLOW_SECRET_KEY") or None,
        slack_signing_secret=source.get("SLACK_SIGNING_SECRET") or None,
        slack_app_token=source.get("SLACK_APP_TOKEN") or None,
        smtp_url=source.get("JIKOFLOW_SMTP_URL") or None,
        mail_from=source.get("JIKOFLOW_MAIL_FROM") or None,
    )


def mail_configured(env: dict[str, str] | None = None) -> bool:
    """Whether e-mail is a transport here (`JIKOFLOW_SMTP_URL` set): messages are queued for it."""
    source = os.environ if env is None else env
    return bool(source.get("JIKOFLOW_SMTP_URL"))


def secret_key(settings: Settings) -> bytes:
    """`JIKOFLOW_SECRET_KEY`, or the key generated once into `JIKOFLOW_HOME` (mode 0600)."""
    if settings.secret_key is not None:
        key = settings.secret_key.strip()
        if len(key) < MIN_SECRET_KEY:
            raise BadInput("JIKOFLOW_SECRET_KEY", f"must be at least {MIN_SECRET_KEY} characters")
        return key.encode()
    settings.home.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = settings.home / SECRET_KEY_FILE
    if not path.exists():
        _write_new_key(path)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_SECRET_KEY:
        raise BadInput(str(path), "holds no usable key; remove it to generate a new one")
    return key.encode()


def audit_key(env: dict[str, str] | None = None) -> bytes:
    """The key that seals the audit trail: `JIKOFLOW_AUDIT_KEY`, or the key generated once
    into `JIKOFLOW_HOME` (mode 0600) — never in the database it protects."""
    source = os.environ if env is None else env
    given = (source.get("JIKOFLOW_AUDIT_KEY") or "").strip()
    if given:
        if len(given) < MIN_SECRET_KEY:
            raise BadInput("JIKOFLOW_AUDIT_KEY", f"must be at least {MIN_SECRET_KEY} characters")
        return given.encode()
    home = load_settings(dict(source)).home
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = home / AUDIT_KEY_FILE
    if not path.exists():
        _write_new_key(path)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_SECRET_KEY:
        raise BadInput(str(path), "holds no usable key; the audit trail cannot be sealed")
    return key.encode()


def _write_new_key(path: Path) -> None:
    # Written whole under a private name, then linked into place: a process starting at the
    # same moment either finds no file or the complete key, and the first link wins.
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        draft.unlink(missing_ok=True)
