"""`record --out` writes a private file whole, refuses an existing file without `--force`, and
never writes over the database or anything in the home — even through a symlink (SQLite)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult, Env


@pytest.fixture
def incident(
    sqlite_env: Env,
    cli: Callable[..., CliResult],
    parties_file: Path,
    declare: Callable[..., dict[str, Any]],
) -> str:
    """A declared incident in a SQLite database inside the home (the default place)."""
    assert cli("parties", "load", parties_file).code == 0
    declared: str = declare()["id"]
    return declared


def _refused(result: CliResult, words: str) -> None:
    assert result.code == 2, result.err
    assert result.err.count("\n") == 1, result.err
    assert "Traceback" not in result.err
    assert words in result.err


def test_a_new_file_is_written_private_and_whole(
    incident: str, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    target = tmp_path / "record.md"
    result = cli("record", incident, "--out", target)
    assert result.code == 0, result.err
    assert target.read_text(encoding="utf-8").startswith("#")
    assert target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_an_existing_file_is_kept_unless_forced(
    incident: str, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    target = tmp_path / "keep.md"
    target.write_text("mine", encoding="utf-8")
    _refused(cli("record", incident, "--out", target), "--out: ")
    assert target.read_text(encoding="utf-8") == "mine"
    assert "--force" in cli("record", incident, "--out", target).err
    forced = cli("record", incident, "--out", target, "--force")
    assert forced.code == 0, forced.err
    assert target.read_text(encoding="utf-8") != "mine"


def test_the_database_and_the_home_are_never_written(
    incident: str,
    cli: Callable[..., CliResult],
    sqlite_env: Env,
    tmp_path: Path,
    snapshot: Callable[[], Any],
) -> None:
    database = Path(sqlite_env.url.removeprefix("sqlite:///"))
    before = database.read_bytes()
    rows = snapshot()
    link = tmp_path / "innocent.md"
    link.symlink_to(database)
    for target, words in [
        (database, "is the database"),
        (Path(str(database) + "-wal"), "is the database"),
        (link, "is the database"),
        (sqlite_env.home / "audit_key", "inside JIKOFLOW_HOME"),
        (sqlite_env.home / "new.md", "inside JIKOFLOW_HOME"),
    ]:
        _refused(cli("record", incident, "--out", target, "--force"), words)
    assert database.read_bytes() == before
    assert snapshot() == rows
    assert not (sqlite_env.home / "new.md").exists()


@pytest.mark.parametrize("value", ["", "."])
def test_an_empty_out_or_a_directory_is_refused(
    incident: str, cli: Callable[..., CliResult], value: str
) -> None:
    _refused(cli("record", incident, "--out", value), "--out: ")


def test_an_unwritable_place_is_one_line(
    incident: str, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    if os.geteuid() == 0:
        target = Path("/proc/nope/record.md")
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "record.md"
    _refused(cli("record", incident, "--out", target), "cannot write")
