"""Benchmark: outbox dispatcher throughput against a bare loop of `WebClient.chat_postMessage`.

Both send the same messages to the fake Slack server (tests/slack_server.py), which runs in
its own process with rate limiting off. The bare loop posts pre-built payloads one after
another; the dispatcher runs `deliver_due` over an outbox of the same messages in SQLite —
claiming, resolving each organisation's channel, building Block Kit, posting (channels side by
side), writing every result and Slack's ids back, and updating the summary cards. The figure
is dispatcher throughput / bare-loop throughput.

Usage: python benchmarks/dispatch.py [MESSAGES] [CHANNELS] [--repeats N] [--workers N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from slack_sdk import WebClient  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from jikoflow.database import upgrade  # noqa: E402
from jikoflow.models.db import get_engine, reading  # noqa: E402
from jikoflow.models.outbox.facts import NoticeFacts  # noqa: E402
from jikoflow.models.outbox.tables import Notification  # noqa: E402
from jikoflow.models.parties.tables import Organization  # noqa: E402
from jikoflow.notifications.dispatch import MAX_WORKERS, ChannelPacer, deliver_due  # noqa: E402
from jikoflow.notifications.messages import build_card  # noqa: E402
from jikoflow.notifications.slack import METADATA_EVENT, SlackChannel, slack_blocks  # noqa: E402
from tests.slack_fixtures import SLACK_TOKEN, fill_outbox  # noqa: E402


def start_server() -> tuple[subprocess.Popen[str], str]:
    """The fake Slack in a child process (its own interpreter, not sharing our GIL)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.slack_server", "--token", SLACK_TOKEN],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    return child, child.stdout.readline().strip()


def outbox(workdir: Path, name: str, channels: int, incidents: int, events: int) -> str:
    """A fresh SQLite outbox of `channels × incidents × events` messages."""
    url = f"sqlite:///{workdir / name}.db"
    upgrade(url)
    fill_outbox(url, channels=channels, incidents=incidents, events=events)
    return url


def bare_payloads(url: str) -> list[dict[str, object]]:
    """The same messages the dispatcher sends, built in advance."""
    with reading(url) as session:
        rows = session.exec(
            select(Notification, Organization.slack_channel)
            .join(Organization, col(Organization.id) == Notification.org_id)
            .order_by(col(Notification.id))
        ).all()
    payloads: list[dict[str, object]] = []
    for row, channel in rows:
        message = build_card(NoticeFacts.model_validate(row.facts), key=row.key)
        payloads.append(
            {
                "channel": channel,
                "text": message.text,
                "blocks": slack_blocks(message),
                "metadata": {"event_type": METADATA_EVENT, "event_payload": {"key": row.key}},
            }
        )
    return payloads


def bare_loop(base_url: str, payloads: list[dict[str, object]]) -> float:
    """Seconds for one chat_postMessage after another."""
    client = WebClient(token=SLACK_TOKEN, base_url=base_url, retry_handlers=[])
    started = time.perf_counter()
    for payload in payloads:
        client.chat_postMessage(**payload)  # type: ignore[arg-type]
    return time.perf_counter() - started


def dispatcher(url: str, base_url: str, workers: int) -> tuple[float, int, int]:
    """Seconds for `deliver_due` to drain the outbox; (seconds, sent, cards updated)."""
    channel = SlackChannel(SLACK_TOKEN, base_url)
    started = time.perf_counter()
    stats = deliver_due(url, channel, pacer=ChannelPacer(0), workers=workers)
    elapsed = time.perf_counter() - started
    get_engine(url).dispose()
    return elapsed, stats.sent, stats.cards_updated


def scenario(
    workdir: Path,
    base_url: str,
    label: str,
    shape: tuple[int, int, int],
    repeats: int,
    workers: int,
) -> float:
    """Both sides on the same messages, alternating `repeats` times; print the median ratio."""
    channels, incidents, events = shape
    total = channels * incidents * events
    urls = [outbox(workdir, f"{label}{n}", *shape) for n in range(repeats)]
    payloads = bare_payloads(urls[0])
    bare_times: list[float] = []
    ours: list[float] = []
    updated = 0
    for url in urls:
        bare_times.append(bare_loop(base_url, payloads))
        seconds, sent, updated = dispatcher(url, base_url, workers)
        assert sent == total, f"dispatcher sent {sent} of {total}"
        ours.append(seconds)
    bare, mine = statistics.median(bare_times), statistics.median(ours)
    ratio = bare / mine
    print(
        f"{label:<8} {total:>5} msgs/{channels} ch | bare loop {total / bare:6.0f} msg/s "
        f"| dispatcher {total / mine:6.0f} msg/s (+{updated} card updates) "
        f"| ratio {ratio:4.2f}  (per run: "
        + ", ".join(f"{b / o:.2f}" for b, o in zip(bare_times, ours, strict=True))
        + ")"
    )
    return ratio


def main() -> None:
    """Print throughput for a burst of cards and for threaded incidents."""
    parser = argparse.ArgumentParser(description="dispatcher vs bare WebClient loop")
    parser.add_argument("messages", type=int, nargs="?", default=1000)
    parser.add_argument("channels", type=int, nargs="?", default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workers", type=int, default=MAX_WORKERS)
    args = parser.parse_args()
    per_channel = max(1, args.messages // args.channels)
    child, base_url = start_server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            print(
                f"fake Slack at {base_url} (own process, rate limiting off); "
                f"{args.workers} workers; median of {args.repeats} alternating runs"
            )
            cards = (args.channels, per_channel, 1)
            scenario(workdir, base_url, "cards", cards, args.repeats, args.workers)
            threads = (args.channels, max(1, per_channel // 5), 5)
            scenario(workdir, base_url, "threads", threads, args.repeats, args.workers)
    finally:
        child.terminate()
        child.wait(timeout=10)


if __name__ == "__main__":
    main()
