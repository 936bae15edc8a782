"""Deep-chain benchmarks: `declare` at the bottom of a subcontract chain N tiers deep.

Usage: python benchmarks/deep.py [--depth N …] [--no-flow-only] [--warm] [--database-url URL]

Each `declare` reports at once to every tier above, 乙 and 甲 (N + 1 reports, about N + 2
messages), then — without `--no-flow` — runs the Article 24 flow in the embedded Prefect.
Printed per run: wall time, CPU time and maximum resident memory of the `jikoflow` process (its
own and its waited-for children's, from wait4), with the machine's load (`uptime`) just before
it; on a shared machine the CPU time is the steadier number.
A depth-2 declare with its flow is measured first: the part of every number that is Prefect
starting in a fresh home, whatever the depth. Target: depth 2,000 with its flow well under 82 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
JIKOFLOW = Path(sys.executable).with_name("jikoflow")
TARGET = 82.0


def environ(home: Path, url: str | None) -> dict[str, str]:
    """A clean environment: the embedded default, console notifications, this home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SLACK_"))}
    env.pop("JIKOFLOW_DATABASE_URL", None)
    env.pop("JIKOFLOW_SMTP_URL", None)
    env["JIKOFLOW_HOME"] = str(home)
    if url:
        env["JIKOFLOW_DATABASE_URL"] = url
    return env


def deep_parties(depth: int) -> dict[str, Any]:
    """甲, 乙 and `depth` subcontractors, each delegating to the next, all approved."""
    orgs: list[dict[str, Any]] = [
        {"id": "nerima", "name": "練馬区", "kind": "client", "slack_channel": "C0NERIMA"},
        {"id": "acme", "name": "アクメ", "kind": "contractor", "slack_channel": "C0ACME"},
    ]
    delegations = []
    parent = "acme"
    for n in range(1, depth + 1):
        orgs.append({"id": f"s{n}", "name": f"下請{n}", "kind": "subcontractor"})
        delegations.append(
            {"from": parent, "to": f"s{n}", "approved_at": "2026-04-01",
             "upstream_notified_at": "2026-03-30"}
        )  # fmt: skip
        parent = f"s{n}"
    contract = {"id": "C-DEEP", "title": "深い再委託", "client": "nerima", "contractor": "acme"}
    return {"organizations": orgs, "contracts": [contract | {"delegations": delegations}]}


def load() -> str:
    """The machine's load averages, as `uptime` shows them."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def run(env: dict[str, str], *argv: str) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds, max RSS (MB) and stdout of one `jikoflow ARGV…` process
    (CPU and RSS include the children it waited for: the embedded Prefect server)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen([str(JIKOFLOW), *argv], env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise SystemExit(f"jikoflow {' '.join(argv[:3])}… failed: {stderr.strip()[-800:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout


def declare(depth: int, *, flow: bool, url: str | None, again: bool = False) -> list[Result]:
    """Declare at the bottom of a fresh depth-`depth` chain (and, with `again`, once more in
    the same home: Prefect's database is made by then); checks every report is out."""
    with tempfile.TemporaryDirectory(prefix="jf-deep-") as tmp:
        path = Path(tmp) / "parties.yaml"
        path.write_text(yaml.safe_dump(deep_parties(depth), allow_unicode=True), "utf-8")
        env = environ(Path(tmp) / "home", url)
        run(env, "parties", "load", str(path))
        argv = ["declare", "--contract", "C-DEEP", "--org", f"s{depth}", "--kind", "leak"]
        argv += ["--summary", "ベンチマーク用の架空の事故", "--json"]
        if not flow:
            argv.append("--no-flow")
        results = []
        for _ in range(2 if again else 1):
            before = load()
            wall, cpu, rss, stdout = run(env, *argv)
            view = json.loads(stdout)
            delivered = sum(r["status"] == "delivered" for r in view["reports"])
            if flow and delivered != depth + 1:  # `--no-flow` only records; `sweep` delivers
                raise SystemExit(f"{delivered} of {depth + 1} reports delivered")
            if flow and view["flow"] != "completed":
                raise SystemExit(f"the flow did not complete: {view['flow']} {view['flow_error']}")
            *_, verified = run(env, "audit", "verify", view["id"], "--json")
            if any(check["broken"] for check in json.loads(verified)):
                raise SystemExit(f"audit verify failed: {verified}")
            results.append(Result(wall, cpu, rss, before))
        return results


@dataclass(frozen=True)
class Result:
    """One declare: wall and CPU seconds, max RSS (MB), the load before it."""

    wall: float
    cpu: float
    rss: float
    load: str


def show(name: str, got: Result, mark: str = "") -> None:
    """Print one line."""
    print(
        f"  {name:<48} {got.wall:7.2f} s  CPU {got.cpu:6.2f} s  {got.rss:5.0f} MB max RSS"
        f"  ({got.load}){mark}",
        flush=True,
    )


def main() -> None:
    """Run the deep-chain declares and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--depth", type=int, action="append", help="default: 1000 and 2000")
    parser.add_argument("--no-flow-only", action="store_true")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp home")
    parser.add_argument("--warm", action="store_true", help="also a second declare, same home")
    args = parser.parse_args()
    depths = args.depth or [1000, 2000]
    where = args.database_url or "SQLite (embedded default)"
    print(f"jikoflow deep-chain benchmarks — {where}, Python {sys.version.split()[0]}")
    modes = [False] if args.no_flow_only else [False, True]
    if not args.no_flow_only:
        # The flow's fixed cost (Prefect's start in a fresh home) beside the deep ones.
        depths = [2, *depths]
    for depth in depths:
        for flow in modes if depth > 2 else [True]:
            name = f"declare at depth {depth:,}" + ("" if flow else " --no-flow")
            again = args.warm and flow
            first, *later = declare(depth, flow=flow, url=args.database_url, again=again)
            mark = ""
            if flow and depth >= 2000:
                mark = "  ok" if first.wall < TARGET else f"  > {TARGET} s"
            show(name, first, mark)
            for got in later:
                show(f"{name}, again (Prefect's database made)", got)


if __name__ == "__main__":
    main()
