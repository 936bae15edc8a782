"""Hostile and malformed input: every case exits 2 with one line and no traceback, and leaves
the database byte for byte as it was (SQLite): hostile parties files (aliases, oversize,
duplicate keys, deep nesting, escapes and bidi overrides in names, malformed Slack ids, not
UTF-8), hostile scenario files, an unsupported database URL, arguments that are not UTF-8 in a
real process. Every option and argument of every command against bad values is in
test_bad_values_every_command.py."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CONSOLE_SCRIPT, CliResult, Env, subprocess_environ

SAMPLE = Path(__file__).resolve().parents[2] / "jikoflow" / "sample" / "parties.yaml"


def _bomb() -> str:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        lines.append(f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [*{prev},*{prev},*{prev}]")
    return "\n".join(lines) + "\norganizations: []\ncontracts: []\n"


def _sample_with(old: str, new: str) -> str:
    text = SAMPLE.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


HOSTILE_FILES: list[tuple[str, str | bytes, str]] = [
    ("alias-bomb", _bomb(), "aliases are not allowed"),
    ("oversize", "# " + "x" * (8 * 1024 * 1024) + "\n", "larger than"),
    ("duplicate-key", "organizations: []\norganizations: []\ncontracts: []\n", "duplicate key"),
    ("deep-nesting", "organizations: " + "[" * 20_000 + "]" * 20_000 + "\n", ""),
    (
        "ansi-in-name",
        _sample_with("name: 練馬区 情報政策課", 'name: "練馬区\\e[2J\\e[31m"'),
        "control characters",
    ),
    ("bidi-in-name", _sample_with("練馬区", "練馬区\u202e"), "control characters"),
    (
        "newline-in-title",
        _sample_with("name: 練馬区 情報政策課", 'name: "練馬区\\n情報政策課"'),
        "control characters",
    ),
    ("malformed-slack-user", _sample_with("U0TANAKA", "<@U0TANAKA>"), "pattern"),
    ("lowercase-slack-user", _sample_with("U0TANAKA", "tanaka"), "pattern"),
    ("not-utf-8", b"organizations: []\ncontracts: [\xff\xfe]\n", "not UTF-8"),
    ("impossible-date", _sample_with("2026-04-01", "2026-02-30"), "invalid value"),
]


@pytest.fixture
def loaded(sqlite_env: Env, cli: Callable[..., CliResult], parties_file: Path) -> Env:
    """SQLite with the sample parties and one incident."""
    assert cli("parties", "load", parties_file).code == 0
    argv = ("declare", "--contract", "C-2026-001", "--org", "delta", "--kind", "leak")
    assert cli(*argv, "--summary", "所在不明", "--no-flow").code == 0
    return sqlite_env


def _database(env: Env) -> bytes:
    return Path(env.url.removeprefix("sqlite:///")).read_bytes()


def _refused(result: CliResult) -> None:
    assert result.code == 2, (result.out, result.err)
    assert result.err.count("\n") == 1, result.err
    assert result.err.startswith("error: "), result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("content", "words"), [c[1:] for c in HOSTILE_FILES], ids=[c[0] for c in HOSTILE_FILES]
)
def test_a_hostile_parties_file_is_refused_and_changes_nothing(
    loaded: Env, cli: Callable[..., CliResult], tmp_path: Path, content: str | bytes, words: str
) -> None:
    path = tmp_path / "hostile.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    before = _database(loaded)
    result = cli("parties", "load", path)
    _refused(result)
    assert words in result.err
    assert _database(loaded) == before


@pytest.mark.parametrize("url", ["mysql://u@h/db", "nonsense", "sqlite://relative.db"])
def test_an_unsupported_database_url_is_one_line(
    sqlite_env: Env, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("JIKOFLOW_DATABASE_URL", url)
    result = cli("list")
    _refused(result)
    assert "JIKOFLOW_DATABASE_URL" in result.err


def test_an_empty_database_says_which_it_is(sqlite_env: Env, cli: Callable[..., CliResult]) -> None:
    result = cli("list")
    assert result.code == 0
    assert result.out.strip() == f"no incidents in {sqlite_env.url}"
    assert cli("notifications").out.strip() == f"no notifications in {sqlite_env.url}"


def test_arguments_that_are_not_utf8_are_one_line(loaded: Env) -> None:
    before = _database(loaded)
    done = subprocess.run(
        [str(CONSOLE_SCRIPT).encode(), b"status", b"INC-\xff\xfe"],
        capture_output=True,
        env=subprocess_environ(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == b"error: argument 2 is not valid UTF-8\n"
    assert _database(loaded) == before


SCENARIO = (
    Path(__file__).resolve().parents[2] / "drills" / "scenarios" / "lost-forms-tier3.yaml"
).read_text(encoding="utf-8")

HOSTILE_SCENARIOS: list[tuple[str, str, str]] = [
    (
        "huge-duration",
        SCENARIO.replace("duration: 2h", "duration: 99999999999999999999h"),
        "between",
    ),
    ("huge-minutes", SCENARIO.replace("duration: 2h", "duration: 99999999999999999999"), "between"),
    ("impossible-date", SCENARIO + "\nwhen: 2026-02-30\n", "invalid value"),
    ("deep-nesting", "id: " + "[" * 20_000 + "]" * 20_000 + "\n", ""),
    ("alias", "a: &x [1]\nb: *x\n", "aliases are not allowed"),
    ("oversize", "# " + "x" * (1024 * 1024) + "\n", "larger than"),
]


@pytest.mark.parametrize(
    ("content", "words"),
    [c[1:] for c in HOSTILE_SCENARIOS],
    ids=[c[0] for c in HOSTILE_SCENARIOS],
)
def test_a_hostile_scenario_file_is_one_line(
    loaded: Env, cli: Callable[..., CliResult], tmp_path: Path, content: str, words: str
) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(content, encoding="utf-8")
    before = _database(loaded)
    result = cli("drill", "validate", path)
    _refused(result)
    assert words in result.err
    assert _database(loaded) == before
