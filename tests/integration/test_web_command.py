"""`jikoflow web` as an operator runs it: a real process serving the portal, an access log
that never carries a query string, a clean stop on SIGTERM; and which commands stay light."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import httpx

from tests.conftest import CONSOLE_SCRIPT, CliResult, Env, subprocess_environ

_RUNNING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


def _read_until(proc: subprocess.Popen[bytes], pattern: re.Pattern[str], seconds: float) -> str:
    """The output of `proc` until it matches `pattern` (or the process ends, or time runs out);
    read unbuffered, so nothing waits in a buffer the selector cannot see."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    seen = b""
    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while time.monotonic() < deadline and not pattern.search(seen.decode(errors="replace")):
            if selector.select(timeout=deadline - time.monotonic()):
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                seen += chunk
    return seen.decode(errors="replace")


def test_web_serves_the_portal_logs_no_query_string_and_stops_on_sigterm(
    sqlite_env: Env,
) -> None:
    proc = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "web", "--host", "127.0.0.1", "--port", "0"],
        env=subprocess_environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # uvicorn's access log goes to stdout, the rest to stderr
        bufsize=0,
    )
    try:
        started = _read_until(proc, _RUNNING, 120)
        found = _RUNNING.search(started)
        assert found is not None, started
        base = f"http://127.0.0.1:{found.group(1)}"
        # Not where messages' links lead (JIKOFLOW_BASE_URL's default): the operator is told.
        assert "people reach the portal at http://127.0.0.1:8080/ (JIKOFLOW_BASE_URL" in started

        assert httpx.get(base + "/healthz", timeout=30).status_code == 200
        page = httpx.get(base + "/login", params={"next": "/incidents/INC-QUERY-MARK"}, timeout=30)
        assert page.status_code == 200
        logged = _read_until(proc, re.compile(r'"GET /login HTTP/1\.1" 200'), 60)
    finally:
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=60)[0].decode(errors="replace")
    assert proc.returncode == 0
    everything = started + logged + rest
    assert "jikoflow web: stopped" in everything
    assert '"GET /login HTTP/1.1" 200' in everything
    assert "QUERY-MARK" not in everything
    assert "next=" not in everything
    key = sqlite_env.home / "secret_key"
    assert key.stat().st_mode & 0o777 == 0o600


def test_web_refuses_a_port_out_of_range(cli: Callable[..., CliResult], sqlite_env: Env) -> None:
    result = cli("web", "--port", "70000")
    assert result.code == 2
    assert "--port" in result.err


def test_account_and_policy_commands_import_neither_prefect_nor_fastapi(
    sqlite_env: Env,
    cli: Callable[..., CliResult],
    parties_file,
    imported_modules: Callable[..., tuple[int, set[str]]],
) -> None:
    assert cli("parties", "load", parties_file).code == 0
    for argv in (("users", "tokens", "sato"), ("users", "show", "sato"), ("policy", "show")):
        code, modules = imported_modules(*argv)
        assert code == 0, argv
        assert "prefect" not in modules, argv
        assert "fastapi" not in modules, argv


def test_the_web_app_does_not_import_prefect() -> None:
    probe = (
        "import sys, jikoflow.web, jikoflow.web.server;"
        "print('prefect' in sys.modules, 'slack_sdk' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=subprocess_environ() | {"JIKOFLOW_HOME": os.devnull},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.split() == ["False", "False"]


def test_web_says_where_people_reach_it_and_where_links_lead() -> None:
    from jikoflow.web.server import _where

    assert _where("https://jiko.example.lg.jp", "jiko.example.lg.jp", 443) == (
        "jikoflow web: people reach the portal at https://jiko.example.lg.jp/"
    )
    behind = _where("https://jiko.example.lg.jp", "127.0.0.1", 8080)
    assert behind.startswith("jikoflow web: listening on 127.0.0.1:8080; people reach the")
    assert "https://jiko.example.lg.jp/ (JIKOFLOW_BASE_URL" in behind
