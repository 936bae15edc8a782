"""Writing a rendered file for `--out`: whole or not at all, private (0600), never over an
existing file unless asked (`--force`), and never over the database or anything in the home."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from jikoflow.models.errors import BadInput
from jikoflow.models.settings import Settings

# SQLite keeps its journal beside the database; writing over any of them loses data.
_SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def _protected(settings: Settings) -> tuple[Path, list[Path]]:
    """The home, and the database files wherever they are (a SQLite URL may point elsewhere)."""
    files = []
    url = settings.database_url
    if url.startswith("sqlite:///"):
        database = Path(url.removeprefix("sqlite:///")).resolve()
        files = [database.with_name(database.name + suffix) for suffix in _SQLITE_COMPANIONS]
    return settings.home.resolve(), files


def checked_out_path(path: Path, settings: Settings, *, force: bool) -> Path:
    """`path` if a file may be written there; refused (field `out`) otherwise."""
    if str(path) in ("", "."):
        raise BadInput("out", "names no file")
    try:
        target = path.expanduser().resolve()
        home, database = _protected(settings)
        if target in database:
            raise BadInput("out", f"{path} is the database; choose another file")
        if target == home or home in target.parents:
            raise BadInput("out", f"{path} is inside JIKOFLOW_HOME ({home}); choose another place")
        if target.is_dir():
            raise BadInput("out", f"{path} is a directory")
        if path.exists() and not force:
            raise BadInput("out", f"{path} exists; add --force to replace it")
    except OSError as exc:  # a name too long, a loop of links, a directory that cannot be read
        raise BadInput("out", f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def write_out(path: Path, body: bytes, settings: Settings, *, force: bool = False) -> None:
    """Write `body` to `path` (mode 0600) after `checked_out_path`; without `force` a file that
    appears meanwhile is not replaced either (the new file is linked, which fails if one is)."""
    checked_out_path(path, settings, force=force)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
    try:
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        if force:
            draft.replace(path)
        else:
            os.link(draft, path)
    except FileExistsError:
        raise BadInput("out", f"{path} exists; add --force to replace it") from None
    except OSError as exc:
        raise BadInput("out", f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            draft.unlink(missing_ok=True)
