"""Fixtures shared by every test: databases (SQLite and a real PostgreSQL), the environment,
the CLI in-process and as a subprocess, the parties files, and one Prefect harness.

Fixtures:
- `db_url`: an upgraded database, parametrised over `sqlite` and `postgres` (marker `postgres`).
- `sqlite_url` / `postgres_url`: one backend only, upgraded; `empty_postgres_url`: no schema;
  `postgres_server`: the session's server (`.url(db)`, `.admin()`, `.create_database(name)`).
- `env` / `sqlite_env`: JIKOFLOW_HOME and JIKOFLOW_DATABASE_URL pointed at the test's own
  home and database, SLACK_BOT_TOKEN and SLACK_API_URL unset unless the test asks for
  `slack_env` (an `Env`: `.home`, `.url`, `.backend`).
- `cli(*argv)`: `jikoflow.cli.run` in-process → `CliResult(code, out, err)`, `.json()`.
- `cli_subprocess(*argv)`: the console script in a fresh process, same environment.
- `imported_modules(*argv)`: the CLI run in a fresh process → (exit code, modules imported).
- `sample_parties` (data), `parties_file` (a copy of the sample file),
  `parties_variant(edit)` (the sample after `edit(data)`, written to a new file).
- `prefect_harness`: one `prefect_test_harness()` per session, started by tests marked `prefect`.
- From tests/slack_fixtures.py: `slack_server`, `slack_env`; from tests/mail_fixtures.py:
  `smtp_server`, `mail_world`.
- From tests/web_fixtures.py: `portal`, `make_portal` (the web app on a live server);
  from tests/browser_fixtures.py: `browser`, `page` (Chromium driven by Playwright).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from tests.pg_server import PostgresServer, find_postgres_bin

SAMPLE_PARTIES = Path(str(files("jikoflow").joinpath("sample/parties.yaml")))
CONSOLE_SCRIPT = Path(sys.executable).with_name("jikoflow")
_PREFECT_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_TO_API_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}
_saved_environ: dict[str, str] = {}

pytest_plugins = [
    "tests.slack_fixtures",
    "tests.web_fixtures",
    "tests.browser_fixtures",
    "tests.mail_fixtures",
]


def pytest_configure(config: pytest.Config) -> None:
    """Keep Prefect private and out of the developer's own profile before anything imports it."""
    _saved_environ.update(os.environ)
    home = tempfile.mkdtemp(prefix="jikoflow-test-prefect-")
    os.environ["PREFECT_HOME"] = home
    os.environ.update(_PREFECT_ENV)
    for name in ("PREFECT_API_URL", "PREFECT_API_KEY", "PREFECT_PROFILES_PATH", "JIKOFLOW_DEBUG"):
        os.environ.pop(name, None)
    # Tests with no home of their own seal the audit trail with this key; `env` removes it,
    # so commands use the key generated into the test's home, as on a fresh machine.
    os.environ["JIKOFLOW_AUDIT_KEY"] = "test-audit-key-" + "0" * 32


def pytest_unconfigure(config: pytest.Config) -> None:
    """Put the environment back and remove the session's Prefect home."""
    home = os.environ.get("PREFECT_HOME", "")
    os.environ.clear()
    os.environ.update(_saved_environ)
    if home.startswith(tempfile.gettempdir()):
        shutil.rmtree(home, ignore_errors=True)


# --- PostgreSQL ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server started for this session; fails in CI when it cannot be started."""
    bindir = find_postgres_bin()
    if bindir is None:
        message = "PostgreSQL server binaries not found (run `make system-deps`)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    server = PostgresServer(bindir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _postgres_template(postgres_server: PostgresServer) -> str:
    """A database upgraded once; each test gets a copy (CREATE DATABASE … TEMPLATE)."""
    from jikoflow.database import upgrade
    from jikoflow.models.db import get_engine

    name = "jikoflow_template"
    postgres_server.create_database(name)
    url = postgres_server.url(name)
    upgrade(url)
    get_engine(url).dispose()
    return name


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, _postgres_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database at the newest schema, dropped afterwards."""
    name = f"jf_{uuid.uuid4().hex[:12]}"
    postgres_server.create_database(name, template=_postgres_template)
    url = postgres_server.url(name)
    yield url
    _forget_engine(url)
    postgres_server.drop_database(name)


@pytest.fixture
def empty_postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh PostgreSQL database with no tables at all."""
    name = f"jf_{uuid.uuid4().hex[:12]}"
    postgres_server.create_database(name)
    url = postgres_server.url(name)
    yield url
    _forget_engine(url)
    postgres_server.drop_database(name)


def _forget_engine(url: str) -> None:
    from jikoflow.models.db import get_engine

    get_engine(url).dispose()
    get_engine.cache_clear()


# --- SQLite and the parametrised database ----------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    """A fresh SQLite file at the newest schema."""
    from jikoflow.database import upgrade

    url = f"sqlite:///{tmp_path / 'db' / 'jikoflow.db'}"
    upgrade(url)
    yield url
    _forget_engine(url)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def module_db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An upgraded database shared by one module's tests (each backend in turn): for tables of
    cases that only read, or that undo what they did."""
    from jikoflow.database import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('module-db') / 'jikoflow.db'}"
        upgrade(url)
        yield url
        _forget_engine(url)
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template: str = request.getfixturevalue("_postgres_template")
    name = f"jf_{uuid.uuid4().hex[:12]}"
    server.create_database(name, template=template)
    url = server.url(name)
    yield url
    _forget_engine(url)
    server.drop_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """An upgraded database on each backend in turn."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(name)
    return url


# --- The environment a command sees ----------------------------------------------------------


@dataclass(frozen=True)
class Env:
    """The environment of one test: its home directory and database."""

    home: Path
    url: str

    @property
    def backend(self) -> str:
        """`sqlite` or `postgresql`."""
        return "sqlite" if self.url.startswith("sqlite") else "postgresql"


def _point_at(request: pytest.FixtureRequest, home: Path, url: str) -> Env:
    monkeypatch: pytest.MonkeyPatch = request.getfixturevalue("monkeypatch")
    monkeypatch.setenv("JIKOFLOW_HOME", str(home))
    monkeypatch.setenv("JIKOFLOW_DATABASE_URL", url)
    for name in (
        "JIKOFLOW_LANG",
        "JIKOFLOW_DEBUG",
        "JIKOFLOW_SMTP_URL",
        "SLACK_APP_TOKEN",
        "JIKOFLOW_AUDIT_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    # A test that asks for the fake Slack keeps its settings, whichever fixture ran first.
    if "slack_env" not in request.fixturenames:
        for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL"):
            monkeypatch.delenv(name, raising=False)
    return Env(home=home, url=url)


@pytest.fixture
def env(request: pytest.FixtureRequest, tmp_path: Path, db_url: str) -> Env:
    """JIKOFLOW_* pointed at this test's home and database (SQLite, then PostgreSQL)."""
    return _point_at(request, tmp_path / "home", db_url)


@pytest.fixture
def sqlite_env(request: pytest.FixtureRequest, tmp_path: Path, sqlite_url: str) -> Env:
    """Like `env`, on SQLite only."""
    return _point_at(request, tmp_path / "home", sqlite_url)


# --- Running the CLI -------------------------------------------------------------------------


class CliResult(NamedTuple):
    """What a CLI run produced."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """stdout parsed as JSON."""
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run `jikoflow ARGV…` in-process; returns (exit code, stdout, stderr)."""
    from jikoflow.cli import run

    def invoke(*argv: str | Path) -> CliResult:
        capsys.readouterr()
        code = run([str(a) for a in argv])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke


def subprocess_environ() -> dict[str, str]:
    """The current environment for a child process, with its own Prefect home."""
    environ = dict(os.environ)
    environ.pop("PREFECT_HOME", None)
    environ["PYTHONDONTWRITEBYTECODE"] = "1"
    return environ


@pytest.fixture
def cli_subprocess() -> Callable[..., CliResult]:
    """Run the `jikoflow` console script in a fresh process with the test's environment."""

    def invoke(*argv: str | Path, timeout: float = 120) -> CliResult:
        done = subprocess.run(
            [str(CONSOLE_SCRIPT), *(str(a) for a in argv)],
            env=subprocess_environ(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return CliResult(done.returncode, done.stdout, done.stderr)

    return invoke


_PROBE = """
import json, sys
from jikoflow.cli import run
code = run(sys.argv[1:])
sys.stdout.flush()
print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


@pytest.fixture
def imported_modules() -> Callable[..., tuple[int, set[str]]]:
    """Run the CLI in a fresh interpreter; returns its exit code and every module it imported."""

    def invoke(*argv: str | Path) -> tuple[int, set[str]]:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, *(str(a) for a in argv)],
            env=subprocess_environ(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        if not last.startswith("{"):
            pytest.fail(f"probe produced no report; stderr: {done.stderr[-2000:]}")
        report = json.loads(last)
        return int(report["code"]), set(report["modules"])

    return invoke


# --- Parties files ---------------------------------------------------------------------------


@pytest.fixture
def sample_parties() -> dict[str, Any]:
    """The sample parties file as data (a fresh copy to edit)."""
    data: dict[str, Any] = yaml.safe_load(SAMPLE_PARTIES.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def parties_file(tmp_path: Path) -> Path:
    """A copy of jikoflow/sample/parties.yaml in the test's directory."""
    target = tmp_path / "parties.yaml"
    shutil.copyfile(SAMPLE_PARTIES, target)
    return target


@pytest.fixture
def parties_variant(
    tmp_path: Path, sample_parties: dict[str, Any]
) -> Callable[[Callable[[dict[str, Any]], object]], Path]:
    """Write the sample parties after `edit(data)` changed them; returns the new file."""
    counter = iter(range(1, 1_000))

    def make(edit: Callable[[dict[str, Any]], object]) -> Path:
        data = copy.deepcopy(sample_parties)
        edit(data)
        # Each value written out in full: a file with aliases is refused as such.
        data = yaml.safe_load(json.dumps(data, default=str))
        target = tmp_path / f"parties-{next(counter)}.yaml"
        target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        return target

    return make


# --- Prefect ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test server (its own SQLite) for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture(autouse=True)
def _prefect_for_marked(request: pytest.FixtureRequest) -> None:
    """Tests marked `prefect` run under the session harness; others never start it."""
    if request.node.get_closest_marker("prefect") is not None:
        request.getfixturevalue("prefect_harness")
