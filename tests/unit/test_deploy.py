"""The deployment guide stays true to the code: its units' commands parse, and its environment
file names every variable jikoflow reads and nothing it does not."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from jikoflow.cli import run

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VENV_BIN = "/opt/jikoflow/venv/bin/"
CODE = ("jikoflow", "models", "notifications", "flows", "drills", "records")
# Variables jikoflow reads from the environment (settings, serve, the web server, the CLI).
READ = re.compile(
    r"""(?:environ(?:\.get)?[\[(]|source\.get\()\s*["']((?:JIKOFLOW|SLACK|PREFECT|FORWARDED)_\w+)"""
)


def _exec_starts() -> list[tuple[str, list[str]]]:
    found = []
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        for line in unit.read_text(encoding="utf-8").splitlines():
            if line.startswith("ExecStart="):
                found.append((unit.name, shlex.split(line.removeprefix("ExecStart="))))
    return found


def _read_by_the_code() -> set[str]:
    names: set[str] = set()
    for folder in CODE:
        for path in (ROOT / folder).rglob("*.py"):
            names.update(READ.findall(path.read_text(encoding="utf-8")))
    return names


def _env_file(name: str) -> set[str]:
    names = set()
    for line in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        match = re.match(r"#?([A-Z][A-Z0-9_]+)=", line)
        if match:
            names.add(match.group(1))
    return names


def test_every_unit_runs_a_command_of_the_installed_environment() -> None:
    starts = _exec_starts()
    assert {unit for unit, _ in starts} == {
        "jikoflow-web.service",
        "jikoflow-worker@.service",
        "prefect-server.service",
    }
    for unit, argv in starts:
        assert argv[0].startswith(VENV_BIN), unit


@pytest.mark.parametrize(
    "argv",
    [argv for _, argv in _exec_starts() if argv[0] == VENV_BIN + "jikoflow"],
    ids=lambda argv: " ".join(argv[1:]),
)
def test_the_jikoflow_units_commands_parse(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # `--help` after the options: click parses every option given first and refuses unknown ones.
    assert run([*argv[1:], "--help"]) == 0
    assert "Usage:" in capsys.readouterr().out


def test_the_prefect_units_command_parses() -> None:
    (argv,) = [argv for _, argv in _exec_starts() if argv[0] == VENV_BIN + "prefect"]
    prefect = Path(sys.executable).with_name("prefect")
    done = subprocess.run(
        [str(prefect), *argv[1:], "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_the_environment_file_names_every_variable_jikoflow_reads() -> None:
    read = _read_by_the_code()
    assert {"JIKOFLOW_DATABASE_URL", "SLACK_BOT_TOKEN", "FORWARDED_ALLOW_IPS"} <= read
    listed = _env_file("jikoflow.env")
    assert read <= listed
    # Beside them only Prefect's own settings, which Prefect reads.
    assert {
        n for n in listed - read if not n.startswith("PREFECT_") and n != "DO_NOT_TRACK"
    } == set()


def test_the_guide_names_every_variable_and_only_existing_flags() -> None:
    guide = (DEPLOY / "README.md").read_text(encoding="utf-8")
    for name in _read_by_the_code():
        assert f"`{name}`" in guide, name
    serve_help = run_help(["serve"])
    for flag in set(re.findall(r"serve [^`]*?(--[a-z-]+)", guide)):
        assert flag in serve_help, flag


def run_help(argv: list[str]) -> str:
    """The `--help` text of a jikoflow command, from a fresh process."""
    jikoflow = Path(sys.executable).with_name("jikoflow")
    done = subprocess.run(
        [str(jikoflow), *argv, "--help"], capture_output=True, text=True, check=True
    )
    return done.stdout
