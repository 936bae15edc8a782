"""A full disk and a home that cannot be written: the command says so in one line and exits 2,
no traceback, nothing half-written — the database holds what it held, and the same command
works once there is room (SQLite; the disk is "full" through a file size limit, RLIMIT_FSIZE,
on the command's process)."""

from __future__ import annotations

import resource
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import CONSOLE_SCRIPT, CliResult, Env, subprocess_environ
from tests.integration.conftest import table_rows

DECLARE = (
    "declare", "--contract", "C-2026-001", "--org", "delta", "--kind", "leak", "--suspected",
    "--summary", "住民票の写し1通の所在不明", "--no-flow",
)  # fmt: skip


def run(*argv: str | Path, file_size: int | None = None, user: str | None = None) -> CliResult:
    """`jikoflow ARGV…` in its own process; with `file_size`, no file may grow past it."""

    def limited() -> None:
        if file_size is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))

    command = [str(CONSOLE_SCRIPT), *(str(a) for a in argv)]
    if user is not None:
        command = ["runuser", "-u", user, "--", *command]
    done = subprocess.run(
        command,
        env=subprocess_environ(),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limited,
        check=False,
    )
    return CliResult(done.returncode, done.stdout, done.stderr)


def assert_one_line_refusal(result: CliResult, words: str) -> None:
    assert result.code == 2, (result.out, result.err)
    assert result.err.count("\n") == 1, result.err
    assert result.err.startswith("error: "), result.err
    assert words in result.err
    assert "Traceback" not in result.err


@pytest.fixture
def loaded(sqlite_env: Env, cli: Callable[..., CliResult], parties_file: Path) -> Env:
    assert cli("parties", "load", parties_file).code == 0
    return sqlite_env


def test_a_full_disk_while_declaring_changes_nothing(loaded: Env) -> None:
    before = table_rows(loaded.url)
    # Every file of the database is already larger than this: nothing more can be written.
    full = run(*DECLARE, file_size=4096)
    assert_one_line_refusal(full, "cannot be written")
    assert "nothing was changed" in full.err
    assert full.out == ""  # no id: nothing was saved
    assert table_rows(loaded.url) == before
    again = run(*DECLARE)
    assert again.code == 0, again.err
    assert again.out.startswith("INC-")


def test_a_full_disk_on_first_use_leaves_a_database_that_works_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parties_file: Path
) -> None:
    monkeypatch.setenv("JIKOFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("JIKOFLOW_DATABASE_URL", raising=False)
    full = run("parties", "load", parties_file, file_size=20_000)
    assert_one_line_refusal(full, "cannot be written")
    loaded = run("parties", "load", parties_file)
    assert loaded.code == 0, loaded.err
    assert run("parties", "show").code == 0


def _can_make_immutable(tmp_path: Path) -> bool:
    probe = tmp_path / "probe"
    probe.touch()
    if shutil.which("chattr") is None:
        return False
    made = subprocess.run(["chattr", "+i", probe], capture_output=True, check=False)
    subprocess.run(["chattr", "-i", probe], capture_output=True, check=False)
    return made.returncode == 0


@pytest.fixture
def immutable(tmp_path: Path) -> Iterator[Callable[[Path], None]]:
    """Make paths immutable (chattr +i: not even root may write them), undone afterwards."""
    if not _can_make_immutable(tmp_path):
        pytest.skip("chattr +i is not available here")
    made: list[Path] = []

    def make(path: Path) -> None:
        subprocess.run(["chattr", "+i", path], check=True)
        made.append(path)

    yield make
    for path in reversed(made):
        subprocess.run(["chattr", "-i", path], check=False)


def test_a_home_that_cannot_be_written_is_one_line(
    loaded: Env, immutable: Callable[[Path], None]
) -> None:
    immutable(loaded.home)
    for argv in (("list",), DECLARE):
        assert_one_line_refusal(run(*argv), "is not writable")


def test_a_database_that_cannot_be_written_refuses_acts_and_keeps_its_rows(
    loaded: Env, cli: Callable[..., CliResult], immutable: Callable[[Path], None]
) -> None:
    declared = cli(*DECLARE)
    assert declared.code == 0, declared.err
    incident = declared.out.split()[0]
    database = Path(loaded.url.removeprefix("sqlite:///"))
    before = table_rows(loaded.url)
    for path in (*database.parent.iterdir(), database.parent):
        immutable(path)
    act = run("contain", incident, "--action", "端末を隔離")
    assert_one_line_refusal(act, "cannot be written")
    assert "nothing was changed" in act.err
    shown = run("status", incident)
    assert "Traceback" not in shown.err
    if shown.code != 0:  # reading needs SQLite's shared-memory file written
        assert_one_line_refusal(shown, "cannot be written")
    assert table_rows(loaded.url) == before
