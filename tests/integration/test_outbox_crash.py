"""Killing the dispatcher at any moment loses nothing and, after a restart, posts nothing twice.

The dispatcher runs in its own process against the fake Slack and is killed (SIGKILL) right
after Slack accepted its k-th message; a fresh dispatcher then finishes the work. Every outbox
key must appear exactly once in what Slack accepted, with one card per incident and channel and
every later message in that card's thread.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from jikoflow.models.outbox.facts import OutboxStatus
from jikoflow.models.types import utcnow
from jikoflow.notifications.base import Message, Sent
from tests.conftest import subprocess_environ
from tests.slack_fixtures import SLACK_TOKEN, OutboxWorld
from tests.slack_server import Recorded

ROOT = Path(__file__).resolve().parents[2]
DISPATCHER = f"""
import sys
from jikoflow.notifications.dispatch import ChannelPacer, deliver_due
from jikoflow.notifications.slack import SlackChannel
deliver_due(sys.argv[1], SlackChannel({SLACK_TOKEN!r}, sys.argv[2]), pacer=ChannelPacer(0))
"""


class Crash(BaseException):
    """The process dies here."""


class DiesAfterPost:
    """The real channel, except that its first send dies right after Slack accepted it."""

    interval = 0.0

    def __init__(self, inner) -> None:
        self.inner = inner
        self.transport = inner.transport
        self.ledger = inner.ledger
        self.died = False

    def resolve(self, to):
        return self.inner.resolve(to)

    def send(self, address: str, message: Message, *, thread: str | None = None) -> Sent:
        sent = self.inner.send(address, message, thread=thread)
        if not self.died:
            self.died = True
            raise Crash
        return sent

    def update(self, address: str, ref: str, message: Message) -> None:
        self.inner.update(address, ref, message)

    def find(self, address: str, key: str, *, thread: str | None = None) -> Sent | None:
        return self.inner.find(address, key, thread=thread)


def contain_all(world: OutboxWorld, incidents: list[str]) -> None:
    from jikoflow.models.db import transaction
    from tests import acts

    with transaction(world.url) as session:
        for incident in incidents:
            acts.contain(session, incident, "端末を隔離", now=world.at(minutes=5))


def assert_each_key_posted_once_in_its_thread(world: OutboxWorld) -> None:
    posts = world.posts()
    keys = Counter(p.body["metadata"]["event_payload"]["key"] for p in posts)
    rows = world.rows()
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    assert keys == Counter({r.key: 1 for r in rows})
    cards = {(r.incident_id, r.channel): r.ts for r in rows if r.thread_ts is None}
    assert len(cards) == len({(r.incident_id, r.channel) for r in rows})
    for row in rows:
        if row.thread_ts is not None:
            assert row.thread_ts == cards[(row.incident_id, row.channel)]
    for channel in {r.channel for r in rows}:
        top = world.slack.messages(channel)
        assert len(top) == len([c for c in cards if c[1] == channel])


def test_crash_between_slack_reply_and_database_write(outbox_world: OutboxWorld) -> None:
    world = outbox_world
    world.declare()
    with pytest.raises(Crash):
        world.deliver(channel=DiesAfterPost(world.channel()), workers=1)
    assert len(world.rows(status=OutboxStatus.SENDING)) == 5
    assert len(world.posts()) == 1
    # A fresh dispatcher leaves live claims alone …
    assert world.deliver(world.at(minutes=1)).sent == 0
    assert len(world.posts()) == 1
    # … and once they are stale looks for each message by its key before posting.
    stats = world.deliver(world.at(minutes=6))
    assert (stats.sent, stats.recovered) == (5, 1)
    assert len(world.slack.calls("conversations.history")) == 5
    assert_each_key_posted_once_in_its_thread(world)


def test_crash_after_a_thread_reply_is_recovered_from_the_thread(
    outbox_world: OutboxWorld,
) -> None:
    world = outbox_world
    incident = world.declare()
    world.deliver()
    contain_all(world, [incident])
    with pytest.raises(Crash):
        world.deliver(world.at(minutes=6), channel=DiesAfterPost(world.channel()), workers=1)
    stats = world.deliver(world.at(minutes=12))
    assert (stats.sent, stats.recovered) == (5, 1)
    assert len(world.slack.calls("conversations.replies")) == 5
    assert world.slack.calls("conversations.history") == []
    assert_each_key_posted_once_in_its_thread(world)


def _run_and_kill(world: OutboxWorld, after: int) -> int:
    accepted = 0
    reached = threading.Event()

    def count(_: Recorded) -> None:
        nonlocal accepted
        accepted += 1
        if accepted >= after:
            reached.set()

    world.slack.on_post = count
    child = subprocess.Popen(
        [sys.executable, "-c", DISPATCHER, world.url, world.slack.url],
        cwd=ROOT,
        env=subprocess_environ(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        finished = not reached.wait(timeout=60)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        _, err = child.communicate(timeout=30)
    world.slack.on_post = None
    assert not finished, err.decode()[-2000:]
    return accepted


@pytest.mark.parametrize("after", [1, 23, 61])
def test_killed_at_any_moment_nothing_lost_nothing_doubled(
    outbox_world: OutboxWorld, after: int
) -> None:
    world = outbox_world
    incidents = [world.declare() for _ in range(8)]
    contain_all(world, incidents)
    total = len(world.rows())
    assert total == 80
    _run_and_kill(world, after)
    assert len({r.key for r in world.rows(status=OutboxStatus.SENT)}) < total
    restart = utcnow() + timedelta(minutes=6)
    stats = world.deliver(restart)
    stats2 = world.deliver(restart + timedelta(minutes=1))
    assert stats.failed == stats2.failed == 0
    assert_each_key_posted_once_in_its_thread(world)
    assert world.slack.statuses("chat.update").count(200) >= 1
