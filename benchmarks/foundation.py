"""Foundation benchmarks: cold CLI start-up, declare on the embedded default, parties load.

Usage: python benchmarks/foundation.py [--runs N] [--database-url URL] [--reads-only]

Every number is wall time of a fresh `jikoflow` process, as a user sees it. Targets: read
commands ≤ 0.5 s, or ≤ 1.2 × a bare `python -c "import sqlmodel, typer, rich"` measured in the
same run (the floor any such command pays); loading 2,000 organisations and 20 contracts < 5 s.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
JIKOFLOW = Path(sys.executable).with_name("jikoflow")
SAMPLE = ROOT / "jikoflow" / "sample" / "parties.yaml"
READ_TARGET = 0.5
RATIO_TARGET = 1.2
LOAD_TARGET = 5.0
BARE = "bare `import sqlmodel, typer, rich`"


def environ(home: Path, url: str | None) -> dict[str, str]:
    """A clean environment: the embedded default, console notifications, this home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SLACK_"))}
    env.pop("JIKOFLOW_DATABASE_URL", None)
    env["JIKOFLOW_HOME"] = str(home)
    if url:
        env["JIKOFLOW_DATABASE_URL"] = url
    return env


def timed(env: dict[str, str], *argv: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Wall time of one `jikoflow ARGV…` process; fails loudly on a non-zero exit."""
    started = time.perf_counter()
    done = subprocess.run(
        [str(JIKOFLOW), *argv], env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"jikoflow {' '.join(argv)} failed: {done.stderr.strip()}")
    return elapsed, done


def bare_imports() -> float:
    """Wall time of a fresh interpreter importing what every read command needs."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sqlmodel, typer, rich"], check=True)
    return time.perf_counter() - started


def wall_of(env: dict[str, str], argv: list[str]) -> float:
    """Wall time of one `jikoflow ARGV…` process."""
    return timed(env, *argv)[0]


def children_cpu() -> float:
    """CPU seconds used so far by finished child processes (steadier than wall time when
    the machine is busy with other work)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def with_cpu(run: Callable[[], float]) -> tuple[float, float]:
    """Wall and CPU seconds of one child process started by `run`."""
    before = children_cpu()
    wall = run()
    return wall, children_cpu() - before


def compile_bytecode() -> None:
    """Compile the project's modules once, as installing a package does: an editable install
    with PYTHONDONTWRITEBYTECODE set would otherwise compile every module on every start."""
    folders = ["jikoflow", "models", "flows", "notifications", "records", "drills", "migrations"]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *(str(ROOT / f) for f in folders)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def read_commands(runs: int, url: str | None) -> tuple[dict[str, float], dict[str, float]]:
    """Median wall and CPU times of `status ID`, `list` and `parties show` on a database with
    one incident, and of the bare imports; interleaved, so a change of load hits all alike."""
    with tempfile.TemporaryDirectory(prefix="jf-bench-") as tmp:
        env = environ(Path(tmp), url)
        timed(env, "parties", "load", str(SAMPLE))
        _, done = timed(env, *_declare("delta"), "--no-flow", "--json")
        incident = json.loads(done.stdout)["id"]
        commands = {
            "status ID": ["status", incident],
            "status ID --json": ["status", incident, "--json"],
            "list": ["list"],
            "parties show": ["parties", "show"],
        }
        samples: dict[str, list[tuple[float, float]]] = {n: [] for n in [BARE, *commands]}
        for _ in range(runs):
            samples[BARE].append(with_cpu(bare_imports))
            for name, argv in commands.items():
                samples[name].append(with_cpu(functools.partial(wall_of, env, argv)))
        wall = {n: statistics.median(w for w, _ in times) for n, times in samples.items()}
        cpu = {n: statistics.median(c for _, c in times) for n, times in samples.items()}
        return wall, cpu


def _declare(org: str) -> list[str]:
    return [
        "declare", "--contract", "C-2026-001", "--org", org, "--kind", "leak", "--suspected",
        "--summary", "ベンチマーク用の架空の事故",
    ]  # fmt: skip


def declare_times(url: str | None) -> dict[str, float]:
    """Declare at the third tier until every report is delivered: cold, then again."""
    with tempfile.TemporaryDirectory(prefix="jf-bench-") as tmp:
        env = environ(Path(tmp), url)
        timed(env, "parties", "load", str(SAMPLE))
        out: dict[str, float] = {}
        for label in ("cold (fresh PREFECT_HOME)", "warm (second declare)"):
            elapsed, done = timed(env, *_declare("delta"), "--json")
            view = json.loads(done.stdout)
            delivered = [r for r in view["reports"] if r["status"] == "delivered"]
            if len(delivered) != len(view["reports"]):
                raise SystemExit(f"reports not delivered after declare: {view['reports']}")
            out[label] = elapsed
        return out


_IN_PROCESS = """
import json, sys, time
from jikoflow.cli import run
times = []
for _ in range(2):
    started = time.perf_counter()
    code = run(sys.argv[1:])
    times.append(time.perf_counter() - started)
    if code:
        sys.exit(code)
print(json.dumps(times))
"""


def declare_in_one_process() -> dict[str, float]:
    """Two declares in one process: the second shows the flow's cost once Prefect is up."""
    with tempfile.TemporaryDirectory(prefix="jf-bench-") as tmp:
        env = environ(Path(tmp), None)
        timed(env, "parties", "load", str(SAMPLE))
        done = subprocess.run(
            [sys.executable, "-c", _IN_PROCESS, *_declare("delta")],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"in-process declare failed: {done.stderr.strip()[-500:]}")
        first, second = json.loads(done.stdout.strip().splitlines()[-1])
        return {"first declare in a process": first, "second declare, same process": second}


def generated_parties(organizations: int = 2_000, contracts: int = 20) -> dict[str, Any]:
    """One ward, `contracts` prime contractors, and subcontractor trees below each."""
    orgs: list[dict[str, Any]] = [
        {"id": "ward", "name": "区", "kind": "client", "slack_channel": "C0WARD",
         "people": [{"id": "ward-m", "name": "管理 責任者", "role": "manager"}]},
    ]  # fmt: skip
    share, extra = divmod(organizations - 1, contracts)
    documents: list[dict[str, Any]] = []
    for c in range(contracts):
        members = [f"c{c:02d}-o{i:03d}" for i in range(share + (c < extra))]
        for i, org in enumerate(members):
            orgs.append(
                {
                    "id": org,
                    "name": f"株式会社{org}",
                    "kind": "contractor" if i == 0 else "subcontractor",
                    "slack_channel": f"C{c:02d}O{i:03d}",
                    "people": [
                        {
                            "id": f"{org}-m",
                            "name": f"管理者 {org}",
                            "role": "manager",
                            "slack_user": f"U{c:02d}O{i:03d}",
                            "email": f"{org}@example.jp",
                        },
                        {"id": f"{org}-w", "name": f"従事者 {org}", "role": "worker"},
                    ],
                }
            )
        # A tree three to four tiers deep: member i's delegator is member (i - 1) // 3.
        delegations = [
            {"from": members[(i - 1) // 3], "to": members[i], "approved_at": "2026-04-01"}
            for i in range(1, len(members))
        ]
        documents.append(
            {
                "id": f"C-{c:02d}",
                "title": f"委託業務 {c}",
                "client": "ward",
                "contractor": members[0],
                "delegations": delegations,
            }
        )
    return {"organizations": orgs, "contracts": documents}


def parties_load_times(url: str | None) -> dict[str, float]:
    """Loading the generated file into an empty database, then again (nothing changes)."""
    with tempfile.TemporaryDirectory(prefix="jf-bench-") as tmp:
        path = Path(tmp) / "parties.yaml"
        data = generated_parties()
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        env = environ(Path(tmp) / "home", url)
        timed(env, "init")
        first, _ = timed(env, "parties", "load", str(path))
        again, done = timed(env, "parties", "load", str(path))
        if "already up to date" not in done.stdout:
            raise SystemExit(f"second load changed something: {done.stdout}")
        return {
            f"parties load ({len(data['organizations'])} orgs, "
            f"{len(data['contracts'])} contracts)": first,
            "parties load again (no change)": again,
        }


def report(title: str, numbers: dict[str, float], target: float | None = None) -> None:
    """Print one group of numbers."""
    print(f"\n{title}")
    for name, seconds in numbers.items():
        mark = "" if target is None else ("  ok" if seconds < target else f"  > {target} s")
        print(f"  {name:<52} {seconds:6.2f} s{mark}")


def main() -> None:
    """Run every foundation benchmark and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp home")
    parser.add_argument("--reads-only", action="store_true", help="only the cold read commands")
    args = parser.parse_args()
    where = args.database_url or "SQLite (embedded default)"
    print(f"jikoflow foundation benchmarks — {where}, Python {sys.version.split()[0]}")
    compile_bytecode()
    reads, cpu = read_commands(args.runs, args.database_url)
    floor, cpu_floor = reads.pop(BARE), cpu.pop(BARE)
    report(f"cold read commands (median of {args.runs} processes)", reads, READ_TARGET)
    print(f"\n  {BARE} (interleaved){'':<5} {floor:6.2f} s   CPU {cpu_floor:5.2f} s")
    print(f"  {'ratio to the bare imports':<52} {'wall':>6}   CPU")
    for name, seconds in reads.items():
        ratio = seconds / floor
        mark = "  ok" if ratio <= RATIO_TARGET else f"  > {RATIO_TARGET}"
        print(f"  {name:<52} {ratio:6.2f} × {cpu[name] / cpu_floor:5.2f} ×{mark}")
    if args.reads_only:
        return
    report(
        "declare at the third tier until all 4 reports are delivered (fresh processes)",
        declare_times(None),
    )
    report("declare, in-process (embedded Prefect already started)", declare_in_one_process())
    report("parties load", parties_load_times(args.database_url), LOAD_TARGET)


if __name__ == "__main__":
    main()
