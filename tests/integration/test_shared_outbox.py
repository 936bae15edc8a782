"""Several dispatchers on one outbox: rows claimed by one are skipped by the others (PostgreSQL's
`FOR UPDATE SKIP LOCKED`), every key is posted exactly once, and the pace of each channel is one
pace across every process.

The dispatchers here are separate processes against one database and the fake Slack, as
`serve --worker` processes on several machines would be.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from jikoflow.models.db import get_engine, transaction
from jikoflow.models.outbox.facts import OutboxStatus
from jikoflow.models.outbox.service import candidates, claim
from jikoflow.models.outbox.tables import Transport
from jikoflow.models.types import utcnow
from jikoflow.notifications.shared_pace import SharedPacer
from tests.conftest import subprocess_environ
from tests.slack_fixtures import SLACK_TOKEN, OutboxWorld, fill_outbox
from tests.slack_server import SlackServer

ROOT = Path(__file__).resolve().parents[2]
# One dispatcher: passes until its passes find nothing more; `go` is a file it waits for, so
# two start their first claim together.
DISPATCHER = f"""
import os, sys, time
from jikoflow.notifications.dispatch import ChannelPacer, deliver_due
from jikoflow.notifications.slack import SlackChannel
url, slack, go, interval = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
channel = SlackChannel({SLACK_TOKEN!r}, slack)
channel.interval = interval
pacer = ChannelPacer(0) if interval == 0 else None
while not os.path.exists(go):
    time.sleep(0.01)
sent = 0
while True:
    stats = deliver_due(url, channel, pacer=pacer)
    sent += stats.sent
    if not stats.sent and not stats.retrying:
        break
print(sent)
"""


def race(url: str, slack: SlackServer, tmp_path: Path, *, interval: float = 0.0) -> list[int]:
    """Two dispatcher processes started together; what each sent."""
    go = tmp_path / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", DISPATCHER, url, slack.url, str(go), str(interval)],
            cwd=ROOT,
            env=subprocess_environ(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    go.touch()
    sent = []
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err[-2000:]
        sent.append(int(out.strip().splitlines()[-1]))
    return sent


@pytest.mark.postgres
def test_two_dispatchers_racing_over_500_rows_post_every_key_once(
    postgres_url: str, slack_server: SlackServer, tmp_path: Path
) -> None:
    queued = fill_outbox(postgres_url, channels=10, incidents=10, events=5)
    assert queued == 500
    sent = race(postgres_url, slack_server, tmp_path)
    assert sum(sent) == 500
    world = OutboxWorld(postgres_url, slack_server, utcnow())
    keys = Counter(p.body["metadata"]["event_payload"]["key"] for p in world.posts())
    rows = world.rows()
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    assert keys == Counter({r.key: 1 for r in rows})
    # One card per incident and channel, every other message in its thread.
    for channel in {r.channel for r in rows}:
        assert len(slack_server.messages(channel)) == 10


@pytest.mark.postgres
def test_a_claim_skips_rows_another_dispatcher_is_claiming(postgres_url: str) -> None:
    fill_outbox(postgres_url, channels=1, incidents=2, events=2)
    now = utcnow() + timedelta(seconds=1)
    ids = [c.id for c in candidates(postgres_url, now, transport=Transport.CHAT)]
    engine = get_engine(postgres_url)
    with engine.connect() as other:
        # Another dispatcher's claim in progress holds the first two rows.
        other.execute(
            sa.text("SELECT id FROM notification WHERE id IN (:a, :b) FOR UPDATE"),
            {"a": ids[0], "b": ids[1]},
        )
        got = claim(postgres_url, ids, now)  # would block here without SKIP LOCKED
        other.rollback()
    assert [c.id for c in got] == ids[2:]
    # Released by the other, and still due, they are claimed by the next pass.
    assert [c.id for c in claim(postgres_url, ids, now)] == ids[:2]


@pytest.mark.postgres
def test_a_conversation_split_between_two_claims_waits_for_its_card(
    postgres_url: str, slack_server: SlackServer
) -> None:
    fill_outbox(postgres_url, channels=1, incidents=1, events=5)
    world = OutboxWorld(postgres_url, slack_server, utcnow())
    now = world.at(seconds=1)
    opening, *rest = [c.id for c in candidates(postgres_url, now, transport=Transport.CHAT)]
    with get_engine(postgres_url).connect() as other:
        # Another dispatcher, claiming the conversation at the same instant, got its opening.
        other.execute(
            sa.text("SELECT id FROM notification WHERE id = :a FOR UPDATE"), {"a": opening}
        )
        stats = world.deliver(now)
        other.rollback()
    # The rest was claimed here without its card: given back untouched, none sent as a card.
    assert stats.sent == 0
    assert world.posts() == []
    waiting = world.rows(status=OutboxStatus.PENDING)
    assert [r.id for r in waiting] == [opening, *rest]
    assert all(r.attempts == 0 for r in waiting)
    assert world.deliver(now).sent == 5
    assert len(slack_server.messages("C0VOL000")) == 1  # one card, four replies in its thread
    card = world.posts()[0].body
    assert "thread_ts" not in card
    assert {p.body.get("thread_ts") for p in world.posts()[1:]} == {
        slack_server.messages("C0VOL000")[0]["ts"]
    }


@pytest.mark.postgres
def test_the_pace_of_a_channel_is_shared_and_no_429_reaches_the_outbox(
    postgres_url: str, tmp_path: Path
) -> None:
    # Slack's own limit, one message per second per channel, enforced by the fake: two
    # dispatchers pacing themselves alone would be refused with 429s.
    with SlackServer(token=SLACK_TOKEN, rate_limit=1.0) as slack:
        fill_outbox(postgres_url, channels=2, incidents=2, events=2)
        sent = race(postgres_url, slack, tmp_path, interval=1.0)
        assert sum(sent) == 8
        assert slack.statuses("chat.postMessage") == [200] * 8
        for channel in ("C0VOL000", "C0VOL001"):
            arrived = [
                r.at for r in slack.calls("chat.postMessage") if r.body["channel"] == channel
            ]
            gaps = [b - a for a, b in itertools.pairwise(arrived)]
            assert min(gaps) >= 1.0


def test_a_taken_address_waits_for_its_pace_in_every_process(db_url: str) -> None:
    first = SharedPacer(db_url, Transport.CHAT, 60.0)
    second = SharedPacer(db_url, Transport.CHAT, 60.0)  # another process, as far as it knows
    assert first.acquire("C0NERIMA") == 0.0
    assert second.acquire("C0NERIMA") > 0  # in flight at the first
    assert second.acquire("C0BETA") == 0.0  # another address is free
    first.done("C0NERIMA")
    assert second.acquire("C0NERIMA") > 59  # a minute from the first's reply
    assert first.acquire("C0NERIMA") > 59
    second.cancel("C0BETA")  # nothing was sent: free again at once, no pace consumed
    assert first.acquire("C0BETA") == 0.0


def test_a_retry_after_holds_the_address_for_everyone(db_url: str) -> None:
    first = SharedPacer(db_url, Transport.CHAT, 1.0)
    second = SharedPacer(db_url, Transport.CHAT, 1.0)
    assert first.acquire("C0ACME") == 0.0
    first.done("C0ACME", pause=120)
    assert second.acquire("C0ACME") > 100


def test_a_dispatcher_that_died_holding_an_address_frees_it(db_url: str) -> None:
    dead = SharedPacer(db_url, Transport.CHAT, 1.0)
    assert dead.acquire("C0GAMMA") == 0.0
    with transaction(db_url) as session:  # its hold ran out long ago
        session.connection().execute(
            sa.text("UPDATE channelpace SET held_until = 0 WHERE address = 'C0GAMMA'")
        )
    assert SharedPacer(db_url, Transport.CHAT, 1.0).acquire("C0GAMMA") == 0.0


def test_inline_delivery_leaves_a_channel_with_a_queue_to_the_dispatchers(
    outbox_world: OutboxWorld,
) -> None:
    world = outbox_world
    queued = world.declare("gamma")  # its messages wait: a queue at gamma and every tier above
    mine = world.declare("delta")
    stats = world.deliver(subjects=[mine], inline=True)
    # delta's reports go where gamma's messages wait ahead; only delta's own channel is free.
    assert stats.sent == 1
    assert [p.body["channel"] for p in world.posts()] == ["C0DELTA"]
    rest = world.rows(incident_id=mine, status=OutboxStatus.PENDING)
    assert {r.org_id for r in rest} == {"gamma", "beta", "acme", "nerima"}
    assert all(r.attempts == 0 for r in rest)
    stats = world.deliver()
    assert stats.sent == 8
    assert len(world.rows(incident_id=queued, status=OutboxStatus.SENT)) == 4


def test_a_pass_with_a_budget_gives_back_what_it_did_not_begin(
    outbox_world: OutboxWorld,
) -> None:
    from jikoflow.notifications.pacing import ChannelPacer

    world = outbox_world
    world.declare()
    world.declare()
    pacer = ChannelPacer(3600.0)  # after one message an address waits an hour
    stats = world.deliver(pacer=pacer, budget=0.5)
    assert stats.sent == 5  # one per channel, then the budget runs out
    left = world.rows(status=OutboxStatus.PENDING)
    assert len(left) == 5
    assert all(r.attempts == 0 and not r.outage for r in left)
    assert world.deliver().sent == 5


def test_an_address_in_flight_at_another_dispatcher_is_not_flooded(
    outbox_world: OutboxWorld,
) -> None:
    from jikoflow.notifications.plan import PER_ADDRESS

    world = outbox_world
    for _ in range(8):
        world.declare("acme")  # each: one report (nerima) and acme's own message
    now = world.at(seconds=1)
    rows = candidates(world.url, now, transport=Transport.CHAT)
    # Another dispatcher holds three of nerima's messages right now.
    nerima = [r.id for r in rows if r.org_id == "nerima"]
    assert len(claim(world.url, nerima[:3], now)) == 3
    from jikoflow.notifications.plan import choose

    rows = candidates(world.url, now, transport=Transport.CHAT)
    addresses = {("nerima", None): "C0NERIMA", ("acme", None): "C0ACME"}
    chosen = choose(rows, addresses, set(), per_address=4)
    assert len([i for i in chosen if i in nerima]) == 1  # 4 in flight at most, 3 already are
    assert PER_ADDRESS >= 4
