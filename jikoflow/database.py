"""Creating and upgrading the application database with Alembic."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from jikoflow.migrations import HEAD, SCRIPT_LOCATION
from jikoflow.models.db import get_engine
from jikoflow.models.errors import BadInput
from jikoflow.models.settings import Settings

_MIGRATION_LOCK = int.from_bytes(hashlib.sha256(b"jikoflow migrate").digest()[:8], "big") >> 1


def current_revision(url: str) -> str | None:
    """The schema revision of the database, None when it has none yet."""
    engine = get_engine(url)
    # Asked of the catalogue directly: SQLAlchemy's inspector costs a read command 20 ms.
    if engine.dialect.name == "sqlite":
        exists = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    else:
        exists = "SELECT 1 WHERE to_regclass('alembic_version') IS NOT NULL"
    with engine.connect() as conn:
        if conn.exec_driver_sql(exists).first() is None:
            return None
        version: str | None = conn.exec_driver_sql(
            "SELECT version_num FROM alembic_version"
        ).scalar()
        return version


def upgrade(url: str) -> tuple[str | None, str]:
    """Create or upgrade the database to the newest schema; returns (before, after). Processes
    starting together take turns (a lock), and the upgrade is one transaction."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    with _migration_lock(url):
        before = current_revision(url)  # read again: the one before may have done it
        if before != HEAD:
            from alembic import command
            from alembic.config import Config

            config = Config()
            config.set_main_option("script_location", str(SCRIPT_LOCATION))
            with get_engine(url).begin() as conn:
                unsealed, headless = _trail_predates(conn)
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                if unsealed:
                    from jikoflow.models.audit.seal import seal_existing

                    seal_existing(conn)
                if headless:
                    from jikoflow.models.audit.service import advance_heads, tips_of

                    advance_heads(conn, tips_of(conn))
    return before, HEAD


@contextmanager
def _migration_lock(url: str) -> Iterator[None]:
    """One migrating process at a time: a file lock beside a SQLite database, an advisory lock
    on PostgreSQL (held by its own connection until the upgrade committed)."""
    if url.startswith("sqlite:///"):
        import fcntl

        lock_path = Path(url.removeprefix("sqlite:///") + ".migrate-lock")
        with lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    if not url.startswith("postgresql"):
        yield
        return
    with get_engine(url).connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK})
            conn.commit()


def _trail_predates(conn: sa.Connection) -> tuple[bool, bool]:
    """Whether the trail predates seals, and sealed heads: its rows are sealed, and its chains
    given heads, once, as the upgrade brings them."""
    inspector = sa.inspect(conn)
    if not inspector.has_table("auditevent"):
        return False, False
    unsealed = "seal" not in {c["name"] for c in inspector.get_columns("auditevent")}
    return unsealed, not inspector.has_table("audithead")


def private_home(settings: Settings) -> None:
    """The home (0700) and the SQLite database in it (0600) readable by their owner only;
    a home or database left open by an older version is closed again."""
    home = settings.home
    if home.exists() and not home.is_dir():
        raise BadInput("JIKOFLOW_HOME", f"{home} is not a directory")
    try:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput("JIKOFLOW_HOME", f"cannot create {home}: {exc.strerror or exc}") from None
    if not os.access(home, os.W_OK | os.X_OK):
        raise BadInput("JIKOFLOW_HOME", f"{home} is not writable")
    paths = [home]
    url = settings.database_url
    if url.startswith("sqlite:///"):
        database = Path(url.removeprefix("sqlite:///"))
        paths += [database.with_name(database.name + s) for s in ("", "-wal", "-shm")]
    for path in paths:
        with contextlib.suppress(OSError):  # not ours, or gone meanwhile: leave it
            found = path.stat()
            if found.st_mode & 0o077 and found.st_uid == os.getuid():
                path.chmod(0o700 if path.is_dir() else 0o600)


def ensure_schema(url: str) -> None:
    """Upgrade when needed: every command works on a fresh machine with nothing configured."""
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        upgrade(url)
        return
    if current_revision(url) != HEAD:
        upgrade(url)


# What the operating system or SQLite says when the home or the database cannot be written:
# nothing the command could do about it, and nothing was written (the transaction rolled back).
_UNWRITABLE_ERRNOS = {
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EFBIG,
}
_UNWRITABLE_SQLITE = (
    "disk I/O error",
    "database or disk is full",
    "attempt to write a readonly database",
    "unable to open database file",
)


def storage_failure(exc: BaseException) -> str | None:
    """One line saying why the home or the database cannot be written, when that is what
    `exc` is (a read-only home, a full disk, a file size limit, a file that is no database);
    None otherwise."""
    if isinstance(exc, OSError) and exc.errno in _UNWRITABLE_ERRNOS:
        where = f" {exc.filename}" if exc.filename else ""
        return f"cannot write{where}: {exc.strerror or exc}; nothing was changed"
    from sqlalchemy.exc import DatabaseError, OperationalError

    if isinstance(exc, DatabaseError) and str(exc.orig).startswith("file is not a database"):
        return "JIKOFLOW_DATABASE_URL: the file is not a SQLite database; nothing was changed"
    if isinstance(exc, OperationalError):
        said = str(exc.orig)
        if any(said.startswith(text) for text in _UNWRITABLE_SQLITE):
            return f"the database cannot be written ({said}); nothing was changed"
    return None


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
