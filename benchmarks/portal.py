"""Portal and API benchmarks: sign-in, pages and API calls against a bare route; the incident page
and the incident list with 10,000 incidents in the database; a declaration through the API until
every report is delivered; the resident memory of an idle `serve` with and without the portal.

Usage: python benchmarks/portal.py [--runs N] [--incidents N] [--database-url URL] [--slack]

The real app on uvicorn in a process of its own (as `jikoflow web` runs it) over real HTTP on
127.0.0.1. Each request's server time (the app's own, from a Server-Timing header this
benchmark adds) and its wall time at the client are reported; compare the bare route, which
does no database work at all. Reports are delivered to the console (its output discarded) or,
with --slack, to the fake Slack server in another process. With --incidents 0 and
--database-url, the incidents already in that database are used.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from jikoflow.database import upgrade  # noqa: E402
from jikoflow.models.access import OPERATOR  # noqa: E402
from jikoflow.models.accounts.service import create_api_token, set_password  # noqa: E402
from jikoflow.models.db import transaction  # noqa: E402
from jikoflow.models.enums import IncidentKind, Lang  # noqa: E402
from jikoflow.models.incidents.schemas import DeclareInput  # noqa: E402
from jikoflow.models.incidents.service import declare  # noqa: E402
from jikoflow.models.parties.file import read_parties  # noqa: E402
from jikoflow.models.parties.service import load_parties  # noqa: E402
from jikoflow.models.settings import Settings  # noqa: E402
from jikoflow.web import create_app  # noqa: E402

SAMPLE = ROOT / "jikoflow" / "sample" / "parties.yaml"
PASSWORD = "benchmark-password-1"
ORGS = ["acme", "beta", "gamma", "delta"]


class _Server(uvicorn.Server):
    def __init__(self, app: Any) -> None:
        super().__init__(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        self.ready = threading.Event()

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        self.ready.set()


def serve(app: Any) -> tuple[_Server, str]:
    """`app` on uvicorn in a thread; returns the server and its URL."""
    server = _Server(app)
    threading.Thread(target=server.run, daemon=True).start()
    server.ready.wait(60)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


class ServerTiming:
    """ASGI middleware of this benchmark: the app's own time, to the start of its answer, in a
    `Server-Timing: app;dur=MS` header (every route builds its whole answer before that)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                took = f"app;dur={(time.perf_counter() - start) * 1000:.2f}".encode()
                message["headers"] = [*message.get("headers", []), (b"server-timing", took)]
            await send(message)

        await self.app(scope, receive, timed_send)


def serve_portal(url: str, home: str, slack_url: str) -> None:
    """The portal as `jikoflow web` runs it, in this (child) process; prints its URL."""
    settings = Settings(
        Path(home),
        url,
        "xoxb-jikoflow-test" if slack_url else None,
        slack_url or "http://127.0.0.1:9/",
        Lang.JA,
    )
    if slack_url:
        from jikoflow.notifications.slack import SlackChannel

        SlackChannel.interval = 0.0  # the fake server does not rate-limit
    app = ServerTiming(create_app(settings, sign_in_rate="100000/minute"))
    server, address = serve(app)
    print(address, flush=True)
    sys.stdin.read()  # until the parent closes it
    server.should_exit = True


def stack_file(path: Path) -> Any:
    """A file to write a child's output to."""
    return path.open("w", encoding="utf-8")


@contextlib.contextmanager
def portal_process(url: str, home: Path, slack_url: str | None) -> Iterator[str]:
    """The portal in a child process of its own (the client here does not share its GIL)."""
    # The console transport prints every message to stderr: kept in a file, not measured.
    log = stack_file(home / "portal.log")
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", url, str(home), slack_url or ""],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdin is not None
    try:
        yield child.stdout.readline().strip()
    finally:
        child.stdin.close()
        child.wait(timeout=60)
        log.close()


Samples = tuple[list[float], list[float]]  # wall seconds at the client, the server's own


def timed(runs: int, action: Callable[[], httpx.Response], status: int) -> Samples:
    """Wall and server seconds of `runs` calls, each checked for `status`."""
    wall, server = [], []
    for _ in range(runs):
        start = time.perf_counter()
        answer = action()
        wall.append(time.perf_counter() - start)
        assert answer.status_code == status, (answer.status_code, answer.text[:200])
        found = re.search(r"app;dur=([0-9.]+)", answer.headers.get("server-timing", ""))
        if found:
            server.append(float(found.group(1)) / 1000)
    return wall, server


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms"


def report(name: str, samples: Samples | list[float]) -> None:
    """p50 and p95 in milliseconds: server time and wall time when both are known."""
    if isinstance(samples, tuple):
        wall, server = samples
        line = f"server {_ms(server)}   wall {_ms(wall)}" if server else f"wall {_ms(wall)}"
    else:
        line = _ms(samples)
    print(f"{name:<46} {line}")


def seed(url: str, count: int) -> list[str]:
    """`count` incidents declared through the service over the last 180 days (every tier
    approved by then), in batches."""
    start = datetime.now(UTC) - timedelta(days=180)
    step = timedelta(days=180) / max(count, 1)
    kinds = list(IncidentKind)
    ids: list[str] = []
    for first in range(0, count, 500):
        with transaction(url) as session:
            for n in range(first, min(first + 500, count)):
                at = start + n * step
                data = DeclareInput(
                    contract="C-2026-001",
                    org=ORGS[n % len(ORGS)],
                    kind=kinds[n % len(kinds)],
                    suspected=n % 3 == 0,
                    summary=f"ベンチマーク用の事故等 {n}",
                    discovered_at=at - timedelta(minutes=30),
                )
                ids.append(declare(session, actor=OPERATOR, data=data, now=at).incident.id)
    return ids


def delivered_after_post(api: httpx.Client, runs: int) -> list[float]:
    """Seconds from sending `POST /incidents` until its status shows every report delivered."""
    body = {"contract": "C-2026-001", "org": "delta", "kind": "leak", "summary": "計測"}
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        answer = api.post("/incidents", json=body)
        assert answer.status_code == 201, answer.text
        incident = answer.json()["id"]
        while True:  # each status request is itself a few milliseconds
            reports = api.get(f"/incidents/{incident}").json()["reports"]
            if all(r["status"] == "delivered" for r in reports):
                break
            assert not any(r["status"] == "failed" for r in reports), reports
        samples.append(time.perf_counter() - start)
    return samples


@contextlib.contextmanager
def fake_slack() -> Iterator[str]:
    """The fake Slack in a child process (its own interpreter): its URL."""
    from tests.slack_fixtures import SLACK_TOKEN

    child = subprocess.Popen(
        [sys.executable, "-m", "tests.slack_server", "--token", SLACK_TOKEN],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    try:
        yield child.stdout.readline().strip()
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)


def rss_of_serve(home: Path, *extra: str) -> int:
    """Resident memory (KiB) of `jikoflow serve` idle for two seconds after it started."""
    env = dict(os.environ, JIKOFLOW_HOME=str(home), PYTHONDONTWRITEBYTECODE="1")
    env.pop("JIKOFLOW_DATABASE_URL", None)
    env.pop("SLACK_BOT_TOKEN", None)
    script = Path(sys.executable).with_name("jikoflow")
    process = subprocess.Popen(
        [str(script), "serve", *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if "jikoflow serve: pid" in line:
                break
        time.sleep(2)  # idle
        status = Path(f"/proc/{process.pid}/status").read_text()
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        assert found is not None
        return int(found.group(1))
    finally:
        process.terminate()
        process.wait(timeout=60)


def existing(url: str) -> list[str]:
    """The ids of the incidents already in the database."""
    from jikoflow.models.incidents.service import list_incidents

    with transaction(url) as session:
        return [row.id for row in list_incidents(session, actor=OPERATOR)]


def main() -> None:
    """Measure and print."""
    if sys.argv[1:2] == ["--serve"]:
        serve_portal(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument(
        "--incidents", type=int, default=10_000, help="to declare (0: use those in the database)"
    )
    parser.add_argument("--database-url")
    parser.add_argument("--slack", action="store_true", help="deliver to the fake Slack")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="jikoflow-bench-portal-"))
    url = args.database_url or f"sqlite:///{home / 'jikoflow.db'}"
    upgrade(url)
    with transaction(url) as session:
        load_parties(session, read_parties(SAMPLE))
        for person in ("tanaka", "yamamoto"):
            set_password(session, actor=OPERATOR, person_id=person, password=PASSWORD)
        token = create_api_token(session, actor=OPERATOR, person_id="tanaka").token
        worker_token = create_api_token(session, actor=OPERATOR, person_id="yamamoto").token
    began = time.perf_counter()
    ids = seed(url, args.incidents) if args.incidents else existing(url)
    print(f"{len(ids)} incidents ({time.perf_counter() - began:.1f} s to declare them)")
    with contextlib.ExitStack() as stack:
        slack_url = stack.enter_context(fake_slack()) if args.slack else None
        portal_url = stack.enter_context(portal_process(url, home, slack_url))
        bare = FastAPI()
        bare.add_api_route("/", lambda: {"ok": True})
        bare_server, bare_url = serve(ServerTiming(bare))
        measure(args, portal_url, bare_url, ids, token, worker_token, slack=bool(slack_url))
        bare_server.should_exit = True
    serve_home = Path(tempfile.mkdtemp(prefix="jikoflow-bench-serve-"))
    upgrade(f"sqlite:///{serve_home / 'jikoflow.db'}")
    with_web = rss_of_serve(serve_home, "--port", "0")
    without = rss_of_serve(serve_home, "--no-web")
    print(f"{'serve idle, with the portal (RSS)':<44} {with_web / 1024:7.1f} MiB")
    print(f"{'serve idle, scheduler alone (RSS)':<44} {without / 1024:7.1f} MiB")


def measure(
    args: argparse.Namespace,
    portal_url: str,
    bare_url: str,
    ids: list[str],
    token: str,
    worker_token: str,
    *,
    slack: bool,
) -> None:
    """Every timing, printed as it is taken."""
    picks = random.Random(24)
    with (
        httpx.Client(base_url=portal_url, timeout=60) as browser,
        httpx.Client(base_url=bare_url) as plain,
    ):

        def sign_in() -> httpx.Response:
            browser.cookies.clear()
            csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', browser.get("/login").text)
            assert csrf is not None
            form = {"csrf_token": csrf.group(1), "username": "tanaka", "password": PASSWORD}
            return browser.post("/login", data=form)

        report("sign-in (form + Argon2id)", timed(max(10, args.runs // 10), sign_in, 303))
        report("signed-in page GET /", timed(args.runs, lambda: browser.get("/"), 200))
        report(
            f"incident page ({len(ids)} incidents)",
            timed(args.runs, lambda: browser.get(f"/incidents/{picks.choice(ids)}"), 200),
        )
        report(
            f"incident list, first page ({len(ids)})",
            timed(args.runs, lambda: browser.get("/incidents"), 200),
        )
        report(
            f"incident list, a later page ({len(ids)})",
            timed(args.runs, lambda: browser.get(f"/incidents?after={picks.choice(ids)}"), 200),
        )
        headers = {"Authorization": f"Bearer {token}"}
        report(
            "API GET /api/v1/me",
            timed(args.runs, lambda: browser.get("/api/v1/me", headers=headers), 200),
        )
        report(
            f"API GET /api/v1/incidents ({len(ids)})",
            timed(args.runs, lambda: browser.get("/api/v1/incidents", headers=headers), 200),
        )
        report("bare FastAPI route", timed(args.runs, lambda: plain.get("/"), 200))
    with httpx.Client(
        base_url=portal_url + "/api/v1",
        headers={"Authorization": f"Bearer {worker_token}"},
        timeout=60,
    ) as api:
        samples = delivered_after_post(api, max(20, args.runs // 4))
        where = "fake Slack" if slack else "console"
        report(f"POST /incidents → 4 reports delivered ({where})", samples)


if __name__ == "__main__":
    main()
