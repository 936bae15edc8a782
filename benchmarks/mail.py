"""Benchmark: the e-mail transport's throughput against a bare `smtplib` loop, in the same run.

Both send the same 1,000 e-mails to 200 addresses through a real SMTP server (aiosmtpd, in its
own process). The bare loop sends pre-built messages one after another over one connection;
the dispatcher runs `deliver_due` over an outbox of the same messages in SQLite — claiming,
resolving each organisation's addresses, wording each e-mail from its facts, threading it,
sending (addresses side by side over pooled connections), and writing every result and
Message-ID back. The figure is dispatcher throughput / bare-loop throughput (aim: ≥ 0.5).
The server counts the connections messages came over: one per bare loop, and the dispatcher's
pooled ones (at most one per worker in each pass).

Usage: python benchmarks/mail.py [MESSAGES] [ADDRESSES] [--repeats N] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import col, select  # noqa: E402

from jikoflow.database import upgrade  # noqa: E402
from jikoflow.models.db import get_engine, reading, transaction  # noqa: E402
from jikoflow.models.outbox.facts import NoticeFacts  # noqa: E402
from jikoflow.models.outbox.tables import Notification, Transport  # noqa: E402
from jikoflow.models.parties.tables import Organization  # noqa: E402
from jikoflow.notifications.base import Message  # noqa: E402
from jikoflow.notifications.dispatch import MAX_WORKERS, ChannelPacer, deliver_due  # noqa: E402
from jikoflow.notifications.mail import MailChannel, wire  # noqa: E402
from tests.slack_fixtures import fill_outbox  # noqa: E402

SENDER = "jikoflow <jikoflow@example.lg.jp>"


def start_server() -> tuple[subprocess.Popen[str], int]:
    """The SMTP server in a child process (its own interpreter, not sharing our GIL)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.smtp_server"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    return child, int(child.stdout.readline().strip())


def outbox(workdir: Path, name: str, addresses: int, events: int) -> str:
    """A fresh SQLite outbox: `addresses` organisations, one incident each, `events` e-mails
    about it (the first opens the thread)."""
    url = f"sqlite:///{workdir / name}.db"
    upgrade(url)
    fill_outbox(url, channels=addresses, incidents=1, events=events)
    with transaction(url) as session:
        for org in session.exec(select(Organization)):
            org.email = f"{org.id}@example.lg.jp"
            session.add(org)
    return url


def bare_messages(url: str, channel: MailChannel) -> list[tuple[str, bytes]]:
    """The same e-mails the dispatcher sends, built in advance: (recipient, bytes)."""
    with reading(url) as session:
        rows = session.exec(
            select(Notification, Organization.email)
            .join(Organization, col(Organization.id) == Notification.org_id)
            .where(Notification.transport == Transport.EMAIL)
            .order_by(col(Notification.id))
        ).all()
    built = []
    for row, address in rows:
        facts = NoticeFacts.model_validate(row.facts)
        mail = channel.compose(str(address), Message(text="", key=row.key, facts=facts))
        built.append((str(address), wire(mail)))
    return built


def bare_loop(port: int, messages: list[tuple[str, bytes]]) -> float:
    """Seconds for one `sendmail` after another over one connection."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, local_hostname="bench.example.lg.jp") as smtp:
        for to, data in messages:
            smtp.sendmail("jikoflow@example.lg.jp", [to], data)
    return time.perf_counter() - started


def dispatcher(url: str, port: int, workers: int) -> tuple[float, int]:
    """Seconds for `deliver_due` to drain the e-mail outbox; (seconds, sent)."""
    channel = MailChannel(f"smtp://127.0.0.1:{port}", SENDER)
    started = time.perf_counter()
    stats = deliver_due(url, channel, pacer=ChannelPacer(0), workers=workers)
    channel.close()
    elapsed = time.perf_counter() - started
    get_engine(url).dispose()
    return elapsed, stats.sent


def main() -> None:
    """Print both throughputs and their ratio (median of alternating runs)."""
    parser = argparse.ArgumentParser(description="e-mail dispatcher vs bare smtplib loop")
    parser.add_argument("messages", type=int, nargs="?", default=1000)
    parser.add_argument("addresses", type=int, nargs="?", default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=MAX_WORKERS)
    args = parser.parse_args()
    events = max(1, args.messages // args.addresses)
    total = args.addresses * events
    child, port = start_server()
    os.environ["JIKOFLOW_SMTP_URL"] = f"smtp://127.0.0.1:{port}"  # messages queued for e-mail
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            urls = [
                outbox(workdir, f"mail{n}", args.addresses, events) for n in range(args.repeats)
            ]
            prepared = bare_messages(urls[0], MailChannel(f"smtp://127.0.0.1:{port}", SENDER))
            bare_times: list[float] = []
            ours: list[float] = []
            for url in urls:
                bare_times.append(bare_loop(port, prepared))
                seconds, sent = dispatcher(url, port, args.workers)
                assert sent == total, f"dispatcher sent {sent} of {total}"
                ours.append(seconds)
            bare, mine = statistics.median(bare_times), statistics.median(ours)
            print(
                f"SMTP server on 127.0.0.1:{port} (aiosmtpd, own process); {args.workers} "
                f"workers; median of {args.repeats} alternating runs"
            )
            print(
                f"mail {total:>5} e-mails/{args.addresses} addresses | bare smtplib "
                f"{total / bare:6.0f} msg/s | dispatcher {total / mine:6.0f} msg/s | ratio "
                f"{bare / mine:4.2f}  (per run: "
                + ", ".join(f"{b / o:.2f}" for b, o in zip(bare_times, ours, strict=True))
                + ")"
            )
    finally:
        assert child.stdin is not None
        assert child.stdout is not None
        child.stdin.close()
        accepted, connections = child.stdout.readline().split()
        child.wait(timeout=30)
    dispatched = int(connections) - args.repeats  # the bare loop's: one per run
    print(
        f"SMTP server: {accepted} messages accepted; the dispatcher's over {dispatched} "
        f"connections in {args.repeats} passes"
    )


if __name__ == "__main__":
    main()
