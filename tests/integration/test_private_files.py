"""What jikoflow keeps is its operator's alone: the home 0700, the database and keys 0600 (a
home left open by an older version is closed again), and a home that cannot be one is one
line, exit 2."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """JIKOFLOW_HOME in a fresh place, with the database at its default place inside it."""
    place = tmp_path / "nested" / "home"
    monkeypatch.setenv("JIKOFLOW_HOME", str(place))
    for name in ("JIKOFLOW_DATABASE_URL", "JIKOFLOW_AUDIT_KEY", "JIKOFLOW_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    return place


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_first_use_creates_a_private_home(
    home: Path, cli: Callable[..., CliResult], parties_file: Path
) -> None:
    before = os.umask(0o022)
    try:
        assert cli("parties", "load", parties_file).code == 0
        assert cli("audit", "verify").code == 0
        assert os.umask(0o022) == 0o022  # the command gave the process its umask back
    finally:
        os.umask(before)
    assert _mode(home) == 0o700
    assert _mode(home / "jikoflow.db") == 0o600
    assert _mode(home / "audit_key") == 0o600
    for extra in ("jikoflow.db-wal", "jikoflow.db-shm"):
        if (home / extra).exists():
            assert _mode(home / extra) == 0o600


def test_a_home_left_open_is_closed_again(home: Path, cli: Callable[..., CliResult]) -> None:
    assert cli("init").code == 0
    home.chmod(0o755)
    (home / "jikoflow.db").chmod(0o644)
    assert cli("list").code == 0
    assert _mode(home) == 0o700
    assert _mode(home / "jikoflow.db") == 0o600


def test_a_home_that_is_a_file_is_one_line(
    tmp_path: Path, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x", encoding="utf-8")
    monkeypatch.setenv("JIKOFLOW_HOME", str(not_a_dir))
    monkeypatch.delenv("JIKOFLOW_DATABASE_URL", raising=False)
    for argv in (("init",), ("list",), ("status", "INC-1")):
        result = cli(*argv)
        assert result.code == 2, result.err
        assert result.err == f"error: JIKOFLOW_HOME: {not_a_dir} is not a directory\n"
    assert not_a_dir.read_text(encoding="utf-8") == "x"
