"""Creating and upgrading the application database with Alembic."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from jikoflow.migrations import HEAD, SCRIPT_LOCATION
from jikoflow.models.db import get_engine


def current_revision(url: str) -> str | None:
    """The schema revision of the database, None when it has none yet."""
    engine = get_engine(url)
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(url: str) -> tuple[str | None, str]:
    """Create or upgrade the database to the newest schema; returns (before, after)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    before = current_revision(url)
    if before != HEAD:
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(SCRIPT_LOCATION))
        with get_engine(url).begin() as conn:
            unsealed = _holds_unsealed_rows(conn)
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            if unsealed:
                from jikoflow.models.audit.seal import seal_existing

                seal_existing(conn)
    return before, HEAD


def _holds_unsealed_rows(conn: sa.Connection) -> bool:
    """Whether the trail predates seals: its rows are sealed once, as the column arrives."""
    inspector = sa.inspect(conn)
    if not inspector.has_table("auditevent"):
        return False
    return "seal" not in {c["name"] for c in inspector.get_columns("auditevent")}


def ensure_schema(url: str) -> None:
    """Upgrade when needed: every command works on a fresh machine with nothing configured."""
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        upgrade(url)
        return
    if current_revision(url) != HEAD:
        upgrade(url)


def safe_url(url: str) -> str:
    """The database URL as it may be shown: without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def reachable(url: str) -> bool:
    """Whether the database answers a trivial query now."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with get_engine(url).connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True
