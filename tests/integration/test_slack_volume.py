"""A burst of 1,000 notifications over 50 channels drains without a single 429.

Slack allows about one message per second per channel. The fake server enforces the same rule
twenty times faster (one message per 50 ms per channel, 429 with Retry-After beyond), and the
dispatcher is paced at that interval, so the test takes seconds instead of minutes.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict

from jikoflow.models.outbox.facts import OutboxStatus
from jikoflow.models.types import utcnow
from jikoflow.notifications.dispatch import ChannelPacer, deliver_due
from jikoflow.notifications.slack import SlackChannel
from tests.slack_fixtures import SLACK_TOKEN, OutboxWorld, fill_outbox
from tests.slack_server import SlackServer

INTERVAL = 0.05


def test_a_burst_over_fifty_channels_drains_without_a_429(sqlite_url: str) -> None:
    assert fill_outbox(sqlite_url, channels=50, incidents=4, events=5) == 1000
    with SlackServer(rate_limit=1 / INTERVAL, token=SLACK_TOKEN) as slack:
        channel = SlackChannel(SLACK_TOKEN, slack.url, timeout=10)
        started = time.perf_counter()
        stats = deliver_due(sqlite_url, channel, pacer=ChannelPacer(INTERVAL), now=utcnow())
        elapsed = time.perf_counter() - started
        posts = slack.calls("chat.postMessage")
    assert (stats.sent, stats.retrying, stats.failed) == (1000, 0, 0)
    assert [p.status for p in posts].count(429) == 0
    assert len(posts) == 1000
    world = OutboxWorld(sqlite_url, slack, utcnow())
    assert {r.status for r in world.rows()} == {OutboxStatus.SENT}
    by_channel: dict[str, list[float]] = defaultdict(list)
    for post in posts:
        by_channel[post.body["channel"]].append(post.at)
    assert len(by_channel) == 50
    for arrivals in by_channel.values():
        gaps = [b - a for a, b in itertools.pairwise(arrivals)]
        assert min(gaps) >= INTERVAL
    # Channels are served side by side: one after another would take 1,000 intervals.
    assert elapsed < 1000 * INTERVAL / 2
    assert stats.cards_updated == 200
