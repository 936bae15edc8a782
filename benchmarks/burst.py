"""Benchmark: the scale-out topology of deploy/ on one machine, under a burst of declarations.

Starts a real PostgreSQL (tests/pg_server.py; as the `postgres` user via runuser when root), a
real `prefect server start` on its own PostgreSQL database, the fake Slack (tests/slack_server.py,
in this process) with Slack's per-channel rate limit on, and `jikoflow serve --worker --no-web`
processes on one shared PostgreSQL application database. Then:

1. Declaration → last report delivered, one declaration after another: the `jikoflow declare`
   command as a fresh process, in service mode (this topology, one worker) and on the embedded
   default (SQLite, flows in-process: the command goes on with the flow after the reports),
   beside the floor — one fresh process that inserts the incident into SQLite and posts four
   reports with slack-sdk — measured in the same run. A report is delivered when the fake Slack
   accepted its post; the time starts when the command's process is started.
2. The resident memory of an idle worker with a Prefect API (before and after those
   declarations; with the children its flow runs left, if any).
3. The burst, for each worker count (1, 2, 4; each with a fresh application database and a fresh
   Prefect database): N incidents declared within the window by 4 client processes over 4-tier
   chains, through the services exactly as `jikoflow declare` and `POST /incidents` do
   (`usecases.act(declare)`, then `runner.report_and_hand_off`: the reports go out from the
   declaring process, the flow is left to the workers); the CLI's own process start (≈1 s of
   imports on 2 cores) cannot give 1,000 declarations in 60 s. Counted from the fake Slack's
   record and the outbox: reports delivered, keys posted twice, HTTP 429 answers, outbox rows
   failed or retried; delivery latency (declaration started → report accepted by Slack)
   p50/p95/max over every report and over each incident's last report.

Each chain is 甲 → 乙 → three tiers of subcontractors, every organisation with its own channel;
an incident is declared at the third tier, so it has four reports (甲, 乙 and both tiers between).
Slack allows about one message per second per channel, so one chain cannot take more than ~60
incidents a minute whatever runs them: `--chains` spreads the burst (default 50 chains, 20
incidents per channel per minute at 1,000).

Usage: python benchmarks/burst.py [--incidents N] [--window S] [--workers 1,2,4] [--chains C]
                                  [--declarations N] [--embedded N] [--skip-latency] [--skip-burst]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import httpx  # noqa: E402
import yaml  # noqa: E402

from tests.pg_server import PostgresServer, find_postgres_bin, free_port  # noqa: E402
from tests.slack_fixtures import SLACK_TOKEN  # noqa: E402
from tests.slack_server import SlackServer  # noqa: E402

BIN = Path(sys.executable).parent
JIKOFLOW = BIN / "jikoflow"
PREFECT = BIN / "prefect"
CLIENTS = 4
RATE_LIMIT = 1.0  # chat.postMessage per second per channel, as Slack's
INCIDENT_DEPLOYMENT = "article-24-incident/jikoflow-incident"
QUIET = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_TO_API_ENABLED": "false",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
}


# --- the parts ----------------------------------------------------------------------------------


class Postgres(PostgresServer):
    """The tests' throw-away server, with room for every process of the topology."""

    def start(self) -> None:
        """initdb and start, durability off (the data is thrown away), 400 connections."""
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=400 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        log = str(self.root / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def asyncpg_url(self, database: str) -> str:
        """The URL Prefect's server uses."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"


def base_env(workdir: Path) -> dict[str, str]:
    """This environment without Prefect, Slack or jikoflow settings of its own, kept quiet."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SLACK_", "JIKOFLOW_"))
    }
    env.update(QUIET)
    env["PREFECT_HOME"] = str(workdir / "prefect-home")
    return env


def stop(process: subprocess.Popen[Any], timeout: float = 60) -> None:
    """SIGTERM to the process group this benchmark started, then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_for(what: str, check: Any, timeout: float, every: float = 0.5) -> None:
    """Poll `check()` until true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(every)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


@contextlib.contextmanager
def prefect_server(pg: Postgres, database: str, workdir: Path) -> Iterator[str]:
    """`prefect server start` on `database`; yields its API URL once healthy."""
    port = free_port()
    env = base_env(workdir) | {
        "PREFECT_API_DATABASE_CONNECTION_URL": pg.asyncpg_url(database),
        "PREFECT_HOME": str(workdir / f"prefect-server-{database}"),
    }
    log = (workdir / f"prefect-{database}.log").open("w")
    process = subprocess.Popen(
        [str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        started = time.monotonic()
        wait_for(
            "the Prefect server",
            lambda: process.poll() is None and httpx.get(f"{api}/health").status_code == 200,
            300,
        )
        print(
            f"  prefect server on PostgreSQL `{database}` up in {time.monotonic() - started:.1f} s"
        )
        yield api
    finally:
        stop(process)
        log.close()


def chains_file(path: Path, chains: int) -> Path:
    """`chains` contracts, each 甲 → 乙 → three tiers, every organisation its own channel."""
    orgs: list[dict[str, Any]] = []
    contracts: list[dict[str, Any]] = []
    for c in range(chains):
        ids = [f"w{c}", f"p{c}", f"s{c}a", f"s{c}b", f"s{c}c"]
        kinds = ["client", "contractor", "subcontractor", "subcontractor", "subcontractor"]
        for org, kind in zip(ids, kinds, strict=True):
            orgs.append(
                {
                    "id": org,
                    "name": f"組織 {org}",
                    "kind": kind,
                    "slack_channel": f"C{org.upper()}",
                    "people": [{"id": f"{org}-m", "name": f"管理者 {org}", "role": "manager"}],
                }
            )
        contracts.append(
            {
                "id": f"C-{c}",
                "title": f"委託業務 {c}",
                "client": ids[0],
                "contractor": ids[1],
                "delegations": [
                    {"from": ids[n], "to": ids[n + 1], "approved_at": "2026-04-01"}
                    for n in range(1, 4)
                ],
            }
        )
    path.write_text(
        yaml.safe_dump({"organizations": orgs, "contracts": contracts}, allow_unicode=True),
        encoding="utf-8",
    )
    return path


def app_database(pg: Postgres, name: str, parties: Path) -> str:
    """A fresh jikoflow database at the newest schema with `parties` loaded."""
    from jikoflow.database import upgrade
    from jikoflow.models.db import get_engine, transaction
    from jikoflow.models.parties.file import read_parties
    from jikoflow.models.parties.service import load_parties

    pg.create_database(name)
    url = pg.url(name)
    upgrade(url)
    with transaction(url) as session:
        load_parties(session, read_parties(parties))
    get_engine(url).dispose()
    return url


def jikoflow_env(
    workdir: Path, name: str, url: str, slack: SlackServer, api: str | None
) -> dict[str, str]:
    """The environment of one jikoflow process: its own home, the shared database and Slack."""
    home = workdir / name
    home.mkdir(parents=True, exist_ok=True)
    env = base_env(workdir) | {
        "JIKOFLOW_HOME": str(home),
        "JIKOFLOW_DATABASE_URL": url,
        "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "SLACK_API_URL": slack.url,
        "PREFECT_HOME": str(home / "prefect"),
    }
    if api is not None:
        env["PREFECT_API_URL"] = api
    return env


@contextlib.contextmanager
def workers(
    count: int, workdir: Path, url: str, slack: SlackServer, api: str
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`count` × `jikoflow serve --worker --no-web`, once each said it started and the incident
    deployment is served."""
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []
    try:
        for n in range(count):
            env = jikoflow_env(workdir, f"worker{count}-{n}", url, slack, api)
            log = workdir / f"worker{count}-{n}.log"
            logs.append(log)
            with log.open("w") as out:
                processes.append(
                    subprocess.Popen(
                        [str(JIKOFLOW), "serve", "--worker", "--no-web"],
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        started = time.monotonic()
        for process, log in zip(processes, logs, strict=True):
            wait_for(
                f"{log.name} to start",
                lambda p=process, f=log: (
                    p.poll() is None and "jikoflow serve: pid" in f.read_text()
                ),
                180,
            )
        wait_for(
            "the incident deployment",
            lambda: httpx.get(f"{api}/deployments/name/{INCIDENT_DEPLOYMENT}").status_code == 200,
            180,
        )
        time.sleep(3)  # every runner polls for its flow runs from now on
        print(f"  {count} worker(s) up in {time.monotonic() - started:.1f} s")
        yield processes
    finally:
        for process in processes:
            stop(process)
        for log in logs:
            text = log.read_text(errors="replace")
            if "Traceback" in text:
                print(f"  ({log.name} logged tracebacks: {log})")


def _children(pid: int) -> list[int]:
    """Every descendant of `pid` (from /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rpartition(")")[2].split()
            parents[int(stat.parent.name)] = int(fields[1])
    found: list[int] = []
    wanted = {pid}
    while wanted:
        wanted = {child for child, parent in parents.items() if parent in wanted}
        found += wanted
    return found


def _rss_kb(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def rss(pid: int) -> tuple[float, float, int]:
    """MB resident: the process alone, with its descendants, and how many descendants."""
    children = _children(pid)
    own = _rss_kb(pid)
    return own / 1024, (own + sum(_rss_kb(c) for c in children)) / 1024, len(children)


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0 < q < 1), inclusive method."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


REPORTS_WAIT = 60.0  # seconds after the command exits for the last report to arrive


def posts(slack: SlackServer) -> list[tuple[str, float]]:
    """(outbox key, arrival) of every post the fake Slack accepted."""
    found = []
    for entry in slack.calls("chat.postMessage"):
        if not entry.ok:
            continue
        metadata = entry.body.get("metadata") or {}
        key = (metadata.get("event_payload") or {}).get("key")
        if key:
            found.append((str(key), entry.at))
    return found


# --- 1. declaration → last report delivered ------------------------------------------------------

FLOOR = """
import sqlite3, sys, time
started = time.perf_counter()
from slack_sdk import WebClient
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE IF NOT EXISTS incident (id TEXT PRIMARY KEY, summary TEXT, at REAL)")
incident = f"INC-{time.time_ns()}"
with db:
    db.execute("INSERT INTO incident VALUES (?, ?, ?)", (incident, "floor", time.time()))
client = WebClient(token=sys.argv[2], base_url=sys.argv[3], retry_handlers=[])
for channel in ("C0NERIMA", "C0ACME", "C0BETA", "C0GAMMA"):
    key = f"{incident}:report:{channel}"
    client.chat_postMessage(channel=channel, text="report",
        metadata={"event_type": "floor", "event_payload": {"key": key}})
print(time.perf_counter() - started)
"""


def floor_once(workdir: Path, slack: SlackServer) -> tuple[float, float]:
    """(process start → 4th post accepted, the same inside the process after start-up)."""
    before = len(slack.calls("chat.postMessage"))
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", FLOOR, str(workdir / "floor.db"), SLACK_TOKEN, slack.url],
        capture_output=True,
        text=True,
        check=True,
    )
    arrivals = [e.at for e in slack.calls("chat.postMessage")[before:] if e.ok]
    assert len(arrivals) == 4, done.stderr
    return max(arrivals) - started, float(done.stdout.strip())


def declare_once(
    env: dict[str, str], slack: SlackServer, org: str = "delta"
) -> tuple[float, float]:
    """`jikoflow declare` as a fresh process: (start → last report accepted, start → exit)."""
    started = time.monotonic()
    done = subprocess.run(
        [
            str(JIKOFLOW),
            "declare",
            "--contract",
            "C-2026-001",
            "--org",
            org,
            "--kind",
            "leak",
            "--suspected",
            "--summary",
            "ベンチマーク用の架空の事故",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    ended = time.monotonic()
    if done.returncode != 0:
        raise SystemExit(f"declare failed: {done.stderr.strip()[-800:]}")
    incident = done.stdout.split()[0]
    # A report the command left to a worker (its channel busy with earlier messages) still
    # counts when the worker posts it: the clock runs until the last one arrives.
    deadline = time.monotonic() + REPORTS_WAIT
    while True:
        arrivals = [at for key, at in posts(slack) if key.startswith(f"{incident}:report:")]
        if len(arrivals) >= 4:
            return max(arrivals) - started, ended - started
        if time.monotonic() > deadline:
            raise SystemExit(f"{incident}: {len(arrivals)} of 4 reports posted\n{done.stderr}")
        time.sleep(0.05)


def summary_line(label: str, values: list[float]) -> str:
    """p50 / p95 / max of seconds."""
    return (
        f"  {label:<44} p50 {statistics.median(values):6.3f} s  p95 {pct(values, 0.95):6.3f} s"
        f"  max {max(values):6.3f} s  (n={len(values)})"
    )


def latency(
    pg: Postgres, workdir: Path, slack: SlackServer, api: str, runs: int, embedded_runs: int | None
) -> None:
    """Phase 1 and 2: one declaration after another in service mode, the idle worker's memory,
    then the embedded default, and the floor beside each."""
    sample = ROOT / "jikoflow" / "sample" / "parties.yaml"
    url = app_database(pg, "jikoflow_latency", sample)
    env = jikoflow_env(workdir, "cli-service", url, slack, api)
    print(f"\n1. declaration → last report delivered, {runs} declarations one after another")
    floor: list[float] = []
    inside: list[float] = []
    service: list[float] = []
    service_exit: list[float] = []
    with workers(1, workdir, url, slack, api) as (worker,):
        time.sleep(10)
        idle = rss(worker.pid)
        for _ in range(runs):
            seconds, within = floor_once(workdir, slack)
            floor.append(seconds)
            inside.append(within)
            to_report, to_exit = declare_once(env, slack)
            service.append(to_report)
            service_exit.append(to_exit)
        # The flows of those declarations run on the worker; measure it once they are done.
        settled = time.monotonic() + 300
        while rss(worker.pid)[2] and time.monotonic() < settled:
            time.sleep(2)
        time.sleep(10)
        after = rss(worker.pid)
    print(summary_line("floor (fresh process, SQLite + 4 posts)", floor))
    print(summary_line("floor, inside the process after start-up", inside))
    print(summary_line("service mode: declare → last report", service))
    print(summary_line("service mode: declare → command exits", service_exit))
    home = workdir / "cli-embedded"
    env = base_env(workdir) | {
        "JIKOFLOW_HOME": str(home),
        "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "SLACK_API_URL": slack.url,
    }
    env.pop("PREFECT_HOME")  # the embedded default keeps Prefect in JIKOFLOW_HOME
    subprocess.run([str(JIKOFLOW), "parties", "load", str(sample)], env=env, check=True,
                   capture_output=True)  # fmt: skip
    embedded: list[float] = []
    embedded_exit: list[float] = []
    floor2: list[float] = []
    for _ in range(runs if embedded_runs is None else embedded_runs):
        floor2.append(floor_once(workdir, slack)[0])
        to_report, to_exit = declare_once(env, slack)
        embedded.append(to_report)
        embedded_exit.append(to_exit)
    print(summary_line("floor (again, beside the embedded runs)", floor2))
    print(summary_line("embedded: declare → last report", embedded))
    print(f"  {'embedded: the first (fresh Prefect home)':<44} {embedded[0]:6.3f} s")
    print(summary_line("embedded: declare → command exits (flow ran)", embedded_exit))
    print("\n2. resident memory of an idle `jikoflow serve --worker --no-web` with a Prefect API")
    print(f"  after start, idle:            {idle[0]:6.1f} MB ({idle[2]} child processes)")
    print(
        f"  after {runs} flow runs, idle:  {after[0]:6.1f} MB ({after[2]} child processes, "
        f"{after[1]:.1f} MB with them)"
    )


# --- 3. the burst --------------------------------------------------------------------------------


def client_main(argv: list[str]) -> None:
    """One client process: declare its share of the burst at its pace, write what it saw."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=int)
    parser.add_argument("--incidents", type=int)
    parser.add_argument("--chains", type=int)
    parser.add_argument("--window", type=float)
    parser.add_argument("--start-at", type=float)
    parser.add_argument("--out")
    args = parser.parse_args(argv)

    from jikoflow.models.access import OPERATOR
    from jikoflow.models.enums import IncidentKind
    from jikoflow.models.incidents.schemas import DeclareInput
    from jikoflow.models.incidents.service import declare
    from jikoflow.models.settings import load_settings
    from jikoflow.runner import report_and_hand_off
    from jikoflow.usecases import act

    settings = load_settings()
    mine = range(args.index, args.incidents, CLIENTS)
    step = args.window / args.incidents
    seen: list[dict[str, Any]] = []
    errors: list[str] = []
    for n in mine:
        wait = args.start_at + n * step - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        chain = n % args.chains
        data = DeclareInput(
            contract=f"C-{chain}",
            org=f"s{chain}c",
            kind=IncidentKind.LEAK,
            suspected=True,
            summary="ベンチマーク用の架空の事故",
        )
        started = time.monotonic()
        try:
            declared = act(settings.database_url, declare, actor=OPERATOR, data=data)
            ids = [declared.incident.id, *declared.violations]
            reported = report_and_hand_off(settings, ids)
        except Exception as exc:  # counted and shown: a burst must not hide a refusal
            errors.append(f"{type(exc).__name__}: {exc}".splitlines()[0])
            continue
        seen.append(
            {
                "id": declared.incident.id,
                "started": started,
                "returned": time.monotonic(),
                "sent": reported.stats.sent,
                "flow": str(reported.flow),
            }
        )
    Path(args.out).write_text(json.dumps({"declared": seen, "errors": errors}), encoding="utf-8")


def outbox_counts(url: str) -> dict[str, int]:
    """Report rows of the outbox by status, and those retried or failed by a rate limit."""
    import sqlalchemy as sa

    from jikoflow.models.db import get_engine

    with get_engine(url).connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT status, count(*) FROM notification WHERE report_id IS NOT NULL "
                "GROUP BY status"
            )
        ).all()
        counts = {str(status): int(n) for status, n in rows}
        counts["retried"] = int(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM notification WHERE report_id IS NOT NULL AND attempts > 1"
                )
            ).scalar_one()
        )
        counts["rate-limited error"] = int(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM notification WHERE last_error ILIKE :limited "
                    "OR last_error ILIKE :status"
                ),
                {"limited": "%ratelimit%", "status": "%429%"},
            ).scalar_one()
        )
    return counts


def burst_round(
    pg: Postgres,
    workdir: Path,
    slack: SlackServer,
    count: int,
    args: argparse.Namespace,
    parties: Path,
) -> dict[str, Any]:
    """One burst with `count` workers, on fresh databases."""
    print(f"\n3. burst with {count} worker(s): {args.incidents} incidents in {args.window:g} s")
    url = app_database(pg, f"jikoflow_burst{count}", parties)
    pg.create_database(f"prefect_burst{count}", template="prefect_template")
    slack.reset()
    with (
        prefect_server(pg, f"prefect_burst{count}", workdir) as api,
        workers(count, workdir, url, slack, api) as processes,
    ):
        start_at = time.monotonic() + 8  # the clients import everything first
        clients = []
        for index in range(CLIENTS):
            env = jikoflow_env(workdir, f"client{count}-{index}", url, slack, api)
            clients.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "client",
                        "--index",
                        str(index),
                        "--incidents",
                        str(args.incidents),
                        "--chains",
                        str(args.chains),
                        "--window",
                        str(args.window),
                        "--start-at",
                        str(start_at),
                        "--out",
                        str(workdir / f"client{count}-{index}.json"),
                    ],
                    env=env,
                    start_new_session=True,
                )
            )
        load: list[float] = []
        while any(c.poll() is None for c in clients):
            time.sleep(1)
            load.append(os.getloadavg()[0])
        if any(c.returncode for c in clients):
            raise SystemExit("a client failed")
        declared_by = time.monotonic()
        seen: list[dict[str, Any]] = []
        errors: list[str] = []
        for index in range(CLIENTS):
            data = json.loads((workdir / f"client{count}-{index}.json").read_text())
            seen += data["declared"]
            errors += data["errors"]
        wanted = 4 * len(seen)

        def delivered() -> bool:
            return outbox_counts(url).get("sent", 0) >= wanted

        wait_for("every report delivered", delivered, 900, 1)
        drained = time.monotonic()
        worker_rss = [rss(p.pid) for p in processes]
    started = {d["id"]: d["started"] for d in seen}
    first = min(started.values())
    last_declared = max(d["returned"] for d in seen)
    keys = Counter(key for key, _ in posts(slack))
    doubled = sum(1 for n in keys.values() if n > 1)
    reports: list[float] = []
    last_of: dict[str, float] = {}
    for key, at in posts(slack):
        incident = key.split(":", 1)[0]
        if incident in started and key.startswith(f"{incident}:report:"):
            delay = at - started[incident]
            reports.append(delay)
            last_of[incident] = max(last_of.get(incident, 0.0), delay)
    statuses = Counter(slack.statuses("chat.postMessage"))
    counts = outbox_counts(url)
    declare_times = [d["returned"] - d["started"] for d in seen]
    result = {
        "workers": count,
        "declared": len(seen),
        "errors": errors,
        "span": last_declared - first,
        "drained": drained - first,
        "reports": len(reports),
        "wanted": wanted,
        "doubled": doubled,
        "429": statuses.get(429, 0),
        "outbox": counts,
        "latency": reports,
        "last": list(last_of.values()),
        "declare": declare_times,
        "inline": sum(d["sent"] for d in seen),
        "load": max(load) if load else os.getloadavg()[0],
        "rss": worker_rss,
        "after_declared": drained - declared_by,
    }
    print_round(result)
    return result


def print_round(r: dict[str, Any]) -> None:
    """One burst's numbers."""
    print(
        f"  declared {r['declared']} in {r['span']:.1f} s (errors {len(r['errors'])}"
        f"{': ' + r['errors'][0] if r['errors'] else ''}); all reports delivered "
        f"{r['drained']:.1f} s after the first declaration "
        f"({r['after_declared']:.1f} s after the clients finished); 1-min load average "
        f"up to {r['load']:.1f} while declaring"
    )
    print(
        f"  reports posted {r['reports']} of {r['wanted']} (messages the declaring clients sent "
        f"themselves, reports and notices to the declaring organisation: {r['inline']}); "
        f"keys posted twice: {r['doubled']}; HTTP 429 answered: {r['429']}; "
        f"outbox: {r['outbox']}"
    )
    print(summary_line("delivery latency, every report", r["latency"]))
    print(summary_line("delivery latency, an incident's last report", r["last"]))
    print(summary_line("declare call in the client (commit + reports)", r["declare"]))
    print(
        "  worker RSS after the burst: "
        + ", ".join(
            f"{own:.0f} MB (+{kids} children, {total:.0f} MB)" for own, total, kids in r["rss"]
        )
    )


def main() -> None:
    """Start the topology, run the phases, print the numbers."""
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        client_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--window", type=float, default=60.0, help="seconds to declare them in")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--chains", type=int, default=50)
    parser.add_argument("--declarations", type=int, default=50)
    parser.add_argument(
        "--embedded",
        type=int,
        default=None,
        help="declarations on the embedded default "
        "(default: --declarations; each runs its flow in-process afterwards, ~10-40 s)",
    )
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-burst", action="store_true")
    args = parser.parse_args()
    bindir = find_postgres_bin()
    if bindir is None:
        raise SystemExit("PostgreSQL server binaries not found (run `make system-deps`)")
    print(
        f"jikoflow burst benchmark: {os.cpu_count()} CPUs, load average "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        + f"; fake Slack at {RATE_LIMIT:g} post/s per channel"
    )
    pg = Postgres(bindir)
    workdir = Path(tempfile.mkdtemp(prefix="jikoflow-burst-"))
    slack = SlackServer(rate_limit=RATE_LIMIT, token=SLACK_TOKEN)
    pg.start()
    slack.start()
    try:
        # Prefect's own tables, created once and copied for each server start.
        pg.create_database("prefect_template")
        with prefect_server(pg, "prefect_template", workdir):
            pass
        if not args.skip_latency:
            pg.create_database("prefect_latency", template="prefect_template")
            slack.workspace.rate_limit = None  # one declaration at a time, like the floor
            with prefect_server(pg, "prefect_latency", workdir) as api:
                latency(pg, workdir, slack, api, args.declarations, args.embedded)
            slack.workspace.rate_limit = RATE_LIMIT
        if not args.skip_burst:
            parties = chains_file(workdir / "chains.yaml", args.chains)
            for count in (int(n) for n in args.workers.split(",")):
                burst_round(pg, workdir, slack, count, args, parties)
        print("\nload average at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    finally:
        slack.stop()
        pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
