"""Delivering the outbox through the real WebClient to the fake Slack: cards, threads, updates,
and every way Slack can say no."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from jikoflow.models.db import reading
from jikoflow.models.enums import ReportStatus
from jikoflow.models.incidents.tables import Report
from jikoflow.models.outbox.facts import OutboxStatus
from jikoflow.models.types import utcnow
from jikoflow.notifications.slack_tables import SlackThread
from tests.slack_fixtures import OutboxWorld

RECIPIENTS = {"C0NERIMA", "C0ACME", "C0BETA", "C0GAMMA"}
ALL_CHANNELS = RECIPIENTS | {"C0DELTA"}


def reports_of(world: OutboxWorld, incident: str) -> dict[str, ReportStatus]:
    from sqlmodel import select

    with reading(world.url) as session:
        rows = session.exec(select(Report).where(Report.incident_id == incident)).all()
        return {r.recipient_id: r.status for r in rows}


def test_each_channel_gets_one_card_carrying_the_outbox_key(outbox_world: OutboxWorld) -> None:
    incident = outbox_world.declare()
    stats = outbox_world.deliver()
    assert stats.sent == 5
    posts = outbox_world.posts()
    assert {p.body["channel"] for p in posts} == ALL_CHANNELS
    assert all("thread_ts" not in p.body for p in posts)
    rows = {r.key: r for r in outbox_world.rows()}
    for post in posts:
        key = post.body["metadata"]["event_payload"]["key"]
        assert rows[key].channel == post.body["channel"]
    for row in rows.values():
        assert row.status == OutboxStatus.SENT
        assert row.ts is not None
        assert row.attempts == 1
    assert set(reports_of(outbox_world, incident).values()) == {ReportStatus.DELIVERED}


def test_a_second_pass_sends_nothing_again(outbox_world: OutboxWorld) -> None:
    outbox_world.declare()
    outbox_world.deliver()
    before = len(outbox_world.slack.requests)
    stats = outbox_world.deliver(outbox_world.at(hours=1))
    assert stats.sent == 0
    assert len(outbox_world.slack.requests) == before


def test_later_events_go_into_the_thread_and_the_card_is_updated(
    outbox_world: OutboxWorld,
) -> None:
    from jikoflow.models.db import transaction
    from tests import acts

    incident = outbox_world.declare()
    outbox_world.deliver()
    cards = {p.body["channel"]: p for p in outbox_world.posts()}
    card_ts = {r.channel: r.ts for r in outbox_world.rows()}
    with transaction(outbox_world.url) as session:
        acts.contain(session, incident, "該当端末を隔離", now=outbox_world.at(minutes=20))
    stats = outbox_world.deliver(outbox_world.at(minutes=21))
    assert stats.sent == 5
    assert stats.cards_updated == 5
    replies = outbox_world.posts()[len(cards) :]
    assert {p.body["channel"]: p.body["thread_ts"] for p in replies} == card_ts
    updates = outbox_world.slack.calls("chat.update")
    assert {(u.body["channel"], u.body["ts"]) for u in updates} == set(card_ts.items())
    for channel, ts in card_ts.items():
        [card] = outbox_world.slack.messages(channel)
        assert card["ts"] == ts
        assert card["reply_count"] == 1
        # A first measure meets the clock, but the damage is not contained yet (no --done).
        shown = card["text"] + str(card["blocks"])
        assert "被害拡大防止措置: 措置中" in shown
        assert "被害拡大防止措置: 完了" not in shown
    with reading(outbox_world.url) as session:
        from sqlmodel import select

        threads = session.exec(select(SlackThread)).all()
        assert all(t.card_row_id == t.card_shown_id for t in threads)
    # Nothing new: the cards are not updated again.
    assert outbox_world.deliver(outbox_world.at(minutes=30)).cards_updated == 0


def test_a_card_updated_late_by_a_slower_dispatcher_ends_on_the_newest_facts(
    outbox_world: OutboxWorld,
) -> None:
    from jikoflow.models.db import transaction
    from jikoflow.notifications.slack import SlackChannel
    from tests import acts
    from tests.slack_fixtures import SLACK_TOKEN

    world = outbox_world
    incident = world.declare()
    world.deliver()
    with transaction(world.url) as session:
        acts.contain(session, incident, "該当端末を隔離", now=world.at(minutes=20))

    class Slower(SlackChannel):
        """A dispatcher whose first card update reaches Slack only after another dispatcher
        has delivered a newer event and brought every card up to date."""

        overtaken = False

        def update(self, address: str, ref: str, message: Any) -> None:
            if not self.overtaken:
                self.overtaken = True
                with transaction(world.url) as session:
                    acts.contain(
                        session, incident, "全端末を点検", done=True, now=world.at(minutes=22)
                    )
                assert world.deliver(world.at(minutes=23)).cards_updated == 5
            super().update(address, ref, message)

    world.deliver(world.at(minutes=21), channel=Slower(SLACK_TOKEN, world.slack.url, timeout=5))
    for channel in ALL_CHANNELS:
        [card] = world.slack.messages(channel)
        shown = card["text"] + str(card["blocks"])
        assert "被害拡大防止措置: 完了" in shown, channel
    # Every card is where the ledger says: a further pass finds nothing to update.
    assert world.deliver(world.at(minutes=30)).cards_updated == 0


def test_a_card_opened_while_another_dispatcher_delivered_a_report_shows_it_delivered(
    outbox_world: OutboxWorld,
) -> None:
    from jikoflow.notifications.base import DeliveryError
    from jikoflow.notifications.slack import SlackChannel
    from tests.slack_fixtures import SLACK_TOKEN

    world = outbox_world
    world.declare()

    class Opening(SlackChannel):
        """At first 甲's channel asks for ten minutes and delta's own is briefly unavailable;
        then delta's card is posted only after another dispatcher has delivered 甲's report."""

        first = True
        overtaken = False

        def send(self, address: str, message: Any, *, thread: str | None = None) -> Any:
            if self.first and address == "C0NERIMA":
                raise DeliveryError("ratelimited", retry_after=180)
            if self.first and address == "C0DELTA":
                raise DeliveryError("channel briefly unavailable")
            if address == "C0DELTA" and not self.overtaken:
                self.overtaken = True
                assert world.deliver(world.at(minutes=4)).sent == 1
            return super().send(address, message, thread=thread)

    channel = Opening(SLACK_TOKEN, world.slack.url, timeout=5)
    assert world.deliver(channel=channel).sent == 3  # 甲's report and delta's own message wait
    channel.first = False
    assert world.deliver(world.at(minutes=2), channel=channel).sent == 1
    assert channel.overtaken
    for address in ALL_CHANNELS:
        [card] = world.slack.messages(address)
        assert "練馬区 情報政策課: 送信済" in str(card["blocks"]), address
    assert world.deliver(world.at(minutes=30)).cards_updated == 0


def test_rate_limited_post_waits_for_retry_after_then_succeeds(
    outbox_world: OutboxWorld,
) -> None:
    outbox_world.declare()
    outbox_world.slack.fail_next("chat.postMessage", status=429, headers={"Retry-After": "30"})
    stats = outbox_world.deliver()
    assert (stats.sent, stats.retrying, stats.failed) == (4, 1, 0)
    [waiting] = outbox_world.rows(status=OutboxStatus.PENDING)
    assert waiting.last_error == "ratelimited"
    assert waiting.next_attempt_at >= outbox_world.at(seconds=30)
    assert outbox_world.deliver(outbox_world.at(seconds=20)).sent == 0
    assert outbox_world.deliver(outbox_world.at(seconds=31)).sent == 1
    assert outbox_world.slack.statuses("chat.postMessage").count(429) == 1
    assert len(outbox_world.posts()) == 5
    assert not outbox_world.rows(status=OutboxStatus.PENDING)


def test_a_server_error_holds_the_pass_and_the_next_pass_sends_everything(
    outbox_world: OutboxWorld,
) -> None:
    outbox_world.declare()
    outbox_world.slack.fail_next("chat.postMessage", status=500)
    stats = outbox_world.deliver(workers=1)
    # A 5xx is Slack failing, not this message: nothing else is tried in this pass.
    assert (stats.sent, stats.retrying, stats.outage) == (0, 1, True)
    [tried] = [r for r in outbox_world.rows() if r.attempts]
    assert (tried.last_error, tried.maybe_posted, tried.outage) == ("http_500", True, True)
    held = [r for r in outbox_world.rows() if not r.attempts]
    assert len(held) == 4
    assert all(r.outage and r.status == OutboxStatus.PENDING for r in held)
    stats = outbox_world.deliver(outbox_world.at(minutes=10), workers=1)
    # The message that may have landed is looked for first; once it is out, the rest follow.
    assert (stats.sent, stats.recovered) == (5, 0)
    assert len(outbox_world.slack.calls("conversations.history")) == 1
    assert len(outbox_world.posts()) == 5
    assert not any(r.outage for r in outbox_world.rows())


def test_a_lost_reply_is_found_by_its_key_and_not_posted_twice(
    outbox_world: OutboxWorld,
) -> None:
    outbox_world.declare()
    outbox_world.slack.fail_next("chat.postMessage", status=500, applied=True)
    outbox_world.deliver(workers=1)
    [unsure] = [r for r in outbox_world.rows(status=OutboxStatus.PENDING) if r.attempts]
    assert unsure.maybe_posted
    stats = outbox_world.deliver(outbox_world.at(minutes=10), workers=1)
    assert (stats.sent, stats.recovered) == (5, 1)
    landed = outbox_world.slack.messages(unsure.channel)
    assert len(landed) == 1
    [row] = outbox_world.rows(id=unsure.id)
    assert row.status == OutboxStatus.SENT
    assert row.ts == landed[0]["ts"]


def test_server_down_then_back(outbox_world: OutboxWorld) -> None:
    incident = outbox_world.declare()
    outbox_world.slack.stop()
    stats = outbox_world.deliver(workers=1)
    assert (stats.sent, stats.retrying, stats.outage) == (0, 1, True)
    rows = outbox_world.rows()
    assert {r.last_error for r in rows} == {"connection: ConnectionRefusedError", None}
    assert all(r.outage for r in rows)
    assert not any(r.maybe_posted for r in rows)
    assert set(reports_of(outbox_world, incident).values()) == {ReportStatus.PENDING}
    # Down still: the next pass tries one message, not five.
    calls = len(outbox_world.slack.requests)
    stats = outbox_world.deliver(outbox_world.at(seconds=1))
    assert (stats.sent, stats.retrying) == (0, 1)
    outbox_world.slack.start()
    assert len(outbox_world.slack.requests) == calls  # refused connections reach nobody
    # Back: the very next pass tries at once, whatever backoff the attempts had reached.
    stats = outbox_world.deliver(outbox_world.at(seconds=2))
    assert stats.sent == 5
    assert outbox_world.slack.calls("conversations.history") == []
    assert set(reports_of(outbox_world, incident).values()) == {ReportStatus.DELIVERED}


def test_a_permanent_error_fails_once_and_is_not_retried(outbox_world: OutboxWorld) -> None:
    incident = outbox_world.declare()
    outbox_world.slack.known_channels = ALL_CHANNELS - {"C0BETA"}
    stats = outbox_world.deliver()
    assert (stats.sent, stats.failed) == (4, 1)
    [failed] = outbox_world.rows(status=OutboxStatus.FAILED)
    assert (failed.org_id, failed.last_error) == ("beta", "channel_not_found")
    assert reports_of(outbox_world, incident)["beta"] is ReportStatus.FAILED
    calls = len(outbox_world.slack.requests)
    assert outbox_world.deliver(outbox_world.at(days=1)).sent == 0
    assert len(outbox_world.slack.requests) == calls


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_drill_cards_are_marked(outbox_world: OutboxWorld, lang: str) -> None:
    from jikoflow.models.enums import Lang

    outbox_world.declare(drill=True)
    outbox_world.deliver(lang=Lang(lang))
    marker = "【訓練】" if lang == "ja" else "[DRILL]"
    for post in outbox_world.posts():
        assert post.body["text"].startswith(marker)
        assert post.body["blocks"][0]["text"]["text"].startswith(marker)


def test_card_and_its_thread_go_out_in_one_pass(outbox_world: OutboxWorld) -> None:
    from jikoflow.models.db import transaction
    from tests import acts

    incident = outbox_world.declare()
    with transaction(outbox_world.url) as session:
        acts.contain(session, incident, "隔離", now=outbox_world.at(minutes=1))
    stats = outbox_world.deliver(outbox_world.at(minutes=2))
    assert (stats.sent, stats.cards_updated) == (10, 5)
    for channel in ALL_CHANNELS:
        [card] = outbox_world.slack.messages(channel)
        assert len(outbox_world.slack.replies(channel, card["ts"])) == 1


def test_a_card_that_cannot_be_posted_holds_only_its_own_thread(sqlite_url: str) -> None:
    from tests.slack_fixtures import SLACK_TOKEN, fill_outbox
    from tests.slack_server import SlackServer

    fill_outbox(sqlite_url, channels=1, incidents=2, events=2)
    with SlackServer(token=SLACK_TOKEN) as slack:
        world = OutboxWorld(sqlite_url, slack, utcnow() + timedelta(minutes=1))
        slack.fail_next("chat.postMessage", error="msg_too_long")  # the first incident's card
        stats = world.deliver(workers=1)
        # The second incident's card and reply go out; the first incident's next message
        # opens its thread instead of the card that failed.
        assert (stats.sent, stats.failed, stats.retrying) == (3, 1, 0)
        first, second = slack.messages("C0VOL000")
        assert len(slack.replies("C0VOL000", second["ts"])) == 0
        assert len(slack.replies("C0VOL000", first["ts"])) == 1
        assert first["metadata"]["event_payload"]["key"].startswith("INC-VOL-vol000-001:")
        assert second["metadata"]["event_payload"]["key"].startswith("INC-VOL-vol000-000:")
