"""Portal and API benchmarks: sign-in, a signed-in page, an API call, against a bare route.

Usage: python benchmarks/portal.py [--runs N] [--database-url URL]

The real app on uvicorn (one process, as `jikoflow web` runs it) over real HTTP on 127.0.0.1.
Sign-in is dominated by Argon2id on purpose; pages and API calls should stay close to the bare
FastAPI route measured in the same run (which does no database work at all).
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from jikoflow.database import upgrade
from jikoflow.models.access import OPERATOR
from jikoflow.models.accounts.service import create_api_token, set_password
from jikoflow.models.db import transaction
from jikoflow.models.enums import Lang
from jikoflow.models.parties.file import read_parties
from jikoflow.models.parties.service import load_parties
from jikoflow.models.settings import Settings
from jikoflow.web import create_app

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "jikoflow" / "sample" / "parties.yaml"
PASSWORD = "benchmark-password-1"


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


def timed(runs: int, action: Callable[[], httpx.Response], status: int) -> list[float]:
    """Wall seconds of `runs` calls, each checked for `status`."""
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        answer = action()
        out.append(time.perf_counter() - start)
        assert answer.status_code == status, answer.status_code
    return out


def report(name: str, samples: list[float]) -> None:
    """p50 and p95 in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(f"{name:<28} p50 {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms")


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="jikoflow-bench-portal-"))
    url = args.database_url or f"sqlite:///{home / 'jikoflow.db'}"
    upgrade(url)
    with transaction(url) as session:
        load_parties(session, read_parties(SAMPLE))
        set_password(session, actor=OPERATOR, person_id="tanaka", password=PASSWORD)
        token = create_api_token(session, actor=OPERATOR, person_id="tanaka").token
    settings = Settings(home, url, None, "http://127.0.0.1:9/", Lang.JA)
    portal, portal_url = serve(create_app(settings, sign_in_rate="100000/minute"))
    bare = FastAPI()
    bare.add_api_route("/", lambda: {"ok": True})
    bare_server, bare_url = serve(bare)
    with httpx.Client(base_url=portal_url) as browser, httpx.Client(base_url=bare_url) as plain:

        def sign_in() -> httpx.Response:
            browser.cookies.clear()
            csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', browser.get("/login").text)
            assert csrf is not None
            form = {"csrf_token": csrf.group(1), "username": "tanaka", "password": PASSWORD}
            return browser.post("/login", data=form)

        report("sign-in (form + Argon2id)", timed(max(10, args.runs // 10), sign_in, 303))
        report("signed-in page GET /", timed(args.runs, lambda: browser.get("/"), 200))
        headers = {"Authorization": f"Bearer {token}"}
        report(
            "API GET /api/v1/me",
            timed(args.runs, lambda: browser.get("/api/v1/me", headers=headers), 200),
        )
        report("bare FastAPI route", timed(args.runs, lambda: plain.get("/"), 200))
    portal.should_exit = bare_server.should_exit = True


if __name__ == "__main__":
    main()
