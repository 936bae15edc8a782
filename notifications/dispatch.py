"""Delivering the outbox: claim due rows, send them channel by channel, write back what happened.

Channels are served side by side by a small pool of workers, each channel within the chat
service's pace (Slack: about one message per second per channel, see `pacing`). Workers only
talk HTTP; the calling thread does every database write, in short batched transactions.

Crash safety: a row is `sending` from its claim until its outcome is written. A message carries
its outbox key (Slack: message metadata), and an attempt whose predecessor may have reached the
service (a stale claim, a timeout, a 5xx) first looks for that key in the channel or thread and,
when found, records it as sent instead of posting again. What remains is the service's own
delay in listing a message it has just accepted, against a claim that goes stale only after
five minutes.
"""

from __future__ import annotations

import contextlib
import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jikoflow.models.enums import Lang
from jikoflow.models.outbox.facts import OutboxStatus
from jikoflow.models.outbox.service import (
    CardDue,
    Claim,
    Outcome,
    cards_due,
    claim_due,
    mark_cards_shown,
    settle,
)
from jikoflow.models.types import utcnow
from jikoflow.notifications.base import DeliveryError, Message, Notifier
from jikoflow.notifications.messages import build_card, build_message
from jikoflow.notifications.pacing import ChannelPacer, Lanes

__all__ = ["ChannelPacer", "DeliveryStats", "backoff", "deliver_due"]

MAX_BACKOFF = timedelta(minutes=30)
MAX_WORKERS = 8
MAX_ROUNDS = 100
SETTLE_BATCH = 200
SETTLE_EVERY = 0.25  # seconds between batched writes while workers run


@dataclass
class DeliveryStats:
    """What one pass over the outbox did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unreachable: int = 0
    recovered: int = 0  # found already posted after a crash, not posted again
    cards_updated: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        """Messages that still need another attempt."""
        return self.retrying

    def count(self, outcome: Outcome) -> None:
        """Add one outcome."""
        if outcome.released:
            return
        if outcome.status is OutboxStatus.SENT:
            self.sent += 1
            self.recovered += outcome.recovered
        elif outcome.status is OutboxStatus.PENDING:
            self.retrying += 1
        elif outcome.status is OutboxStatus.FAILED:
            self.failed += 1
        elif outcome.status is OutboxStatus.UNREACHABLE:
            self.unreachable += 1
        if outcome.error:
            self.errors.append(outcome.error)


_pacers: dict[float, ChannelPacer] = {}
_pacers_lock = threading.Lock()


def pacer_for(notifier: Notifier) -> ChannelPacer:
    """The process-wide pacer for the notifier's interval, so successive passes share it."""
    with _pacers_lock:
        return _pacers.setdefault(notifier.min_interval, ChannelPacer(notifier.min_interval))


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Exponential backoff with full jitter; Slack's Retry-After wins when it is longer."""
    base = min(MAX_BACKOFF.total_seconds(), 2.0 ** min(attempts, 20))
    delay = random.uniform(base / 2, base)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return timedelta(seconds=delay)


def deliver_due(
    url: str,
    notifier: Notifier,
    *,
    lang: Lang = Lang.JA,
    incident_id: str | None = None,
    now: datetime | None = None,
    pacer: ChannelPacer | None = None,
    workers: int = MAX_WORKERS,
) -> DeliveryStats:
    """One pass: deliver every due outbox row (of one incident, or all), then refresh cards."""
    run = _Pass(url, notifier, lang, pacer or pacer_for(notifier), workers, now)
    for _ in range(MAX_ROUNDS):
        claims = claim_due(url, run.now(), incident_id=incident_id)
        if not claims:
            break
        run.deliver(claims)
    run.refresh_cards(cards_due(url, incident_id=incident_id))
    return run.stats


class _Pass:
    """The state of one `deliver_due` call."""

    def __init__(
        self,
        url: str,
        notifier: Notifier,
        lang: Lang,
        pacer: ChannelPacer,
        workers: int,
        now: datetime | None,
    ) -> None:
        self.url = url
        self.notifier = notifier
        self.lang = lang
        self.pacer = pacer
        self.workers = max(1, workers)
        self.fixed_now = now
        self.stats = DeliveryStats()

    def now(self) -> datetime:
        """The pass's time: the injected one, or the clock."""
        return self.fixed_now or utcnow()

    def deliver(self, claims: Sequence[Claim]) -> None:
        """Send the claimed rows, channels side by side, writing outcomes as they come."""
        lanes = Lanes(((c.channel or f"#{c.org_id}", c) for c in claims), self.pacer)
        results: queue.Queue[Outcome] = queue.Queue()
        cards: dict[tuple[str | None, str], str] = {}
        count = min(self.workers, len({c.channel or c.org_id for c in claims}))
        with ThreadPoolExecutor(max_workers=count) as pool:
            futures = [pool.submit(self._work, lanes, cards, results.put) for _ in range(count)]
            self._collect(results, lambda: all(f.done() for f in futures))
            for future in futures:
                future.result()  # a worker's unexpected error surfaces after the rest is written

    def _collect(self, results: queue.Queue[Outcome], finished: Callable[[], bool]) -> None:
        batch: list[Outcome] = []
        flushed = time.monotonic()
        while True:
            done = finished()
            with contextlib.suppress(queue.Empty):
                batch.append(results.get(timeout=0.02))
            while len(batch) < SETTLE_BATCH and not results.empty():
                batch.append(results.get_nowait())
            due = time.monotonic() - flushed >= SETTLE_EVERY
            if batch and (len(batch) >= SETTLE_BATCH or due or done):
                settle(self.url, batch, self.now())
                for outcome in batch:
                    self.stats.count(outcome)
                batch, flushed = [], time.monotonic()
            if done and results.empty() and not batch:
                return

    def _work(
        self,
        lanes: Lanes[Claim],
        cards: dict[tuple[str | None, str], str],
        report: Callable[[Outcome], None],
    ) -> None:
        while (taken := lanes.take()) is not None:
            channel, claim = taken
            try:
                outcome = self._attempt(channel, claim, cards)
                report(outcome)
                refused = outcome.status is OutboxStatus.PENDING and not outcome.released
                if refused and not outcome.maybe_posted:
                    # Rate limited or unreachable: the rest of this channel waits as well.
                    for rest in lanes.drain(channel):
                        retry_at = outcome.retry_at
                        report(
                            Outcome(rest, OutboxStatus.PENDING, retry_at=retry_at, released=True)
                        )
            finally:
                lanes.finish(channel)

    def _attempt(
        self, channel: str, claim: Claim, cards: dict[tuple[str | None, str], str]
    ) -> Outcome:
        if claim.channel is None and self.notifier.needs_channel:
            return Outcome(claim, OutboxStatus.UNREACHABLE, error="no chat channel")
        pair = (claim.incident_id, channel)
        known = cards.get(pair)
        if claim.threaded and claim.thread_ts is None and known == "":
            return Outcome(claim, OutboxStatus.PENDING, released=True)  # its card failed
        thread_ts = claim.thread_ts or known or None
        try:
            found = self._find(channel, claim, thread_ts)
            if found is not None:
                return self._sent(claim, found, thread_ts, cards, recovered=True)
        except DeliveryError as exc:
            return self._failed(claim, exc, looked=False)
        message = self._message(claim, thread_ts)
        try:
            posted = self.notifier.post(channel, message, thread_ts=thread_ts).ts
        except DeliveryError as exc:
            self.pacer.done(channel, pause=exc.retry_after or 0.0)
            if claim.threaded and thread_ts is None:
                cards[pair] = ""  # the card did not make it: the rest of its thread waits
            return self._failed(claim, exc, looked=True)
        self.pacer.done(channel)
        return self._sent(claim, posted, thread_ts, cards)

    def _find(self, channel: str, claim: Claim, thread_ts: str | None) -> str | None:
        if not claim.maybe_posted:
            return None
        found = self.notifier.find(channel, claim.key, thread_ts=thread_ts)
        return found.ts if found is not None else None

    @staticmethod
    def _sent(
        claim: Claim,
        ts: str,
        thread_ts: str | None,
        cards: dict[tuple[str | None, str], str],
        *,
        recovered: bool = False,
    ) -> Outcome:
        if claim.threaded and thread_ts is None:
            cards[(claim.incident_id, claim.channel or "")] = ts
        return Outcome(claim, OutboxStatus.SENT, ts=ts, thread_ts=thread_ts, recovered=recovered)

    def _message(self, claim: Claim, thread_ts: str | None) -> Message:
        if claim.threaded and thread_ts is None:
            return build_card(claim.facts, self.lang, key=claim.key)
        return build_message(claim.facts, self.lang, key=claim.key)

    def _failed(self, claim: Claim, exc: DeliveryError, *, looked: bool) -> Outcome:
        if exc.permanent:
            return Outcome(claim, OutboxStatus.FAILED, error=exc.reason)
        return Outcome(
            claim,
            OutboxStatus.PENDING,
            error=exc.reason,
            retry_at=self.now() + backoff(claim.attempts, exc.retry_after),
            # Not knowing whether an earlier attempt landed stays unknown until we look.
            maybe_posted=exc.maybe_delivered or (claim.maybe_posted and not looked),
        )

    def refresh_cards(self, due: list[CardDue]) -> None:
        """Update each card behind its newest facts; what fails waits for the next pass."""
        if not due:
            return
        shown: list[CardDue] = []
        limited = threading.Event()
        lanes = Lanes(((c.channel, c) for c in due), ChannelPacer(0))

        def work() -> None:
            """Update cards until none is left; after a 429 only take them off the lanes."""
            while (taken := lanes.take()) is not None:
                try:
                    if not limited.is_set() and self._update(taken[1], limited):
                        shown.append(taken[1])
                finally:
                    lanes.finish(taken[0])

        count = min(self.workers, len({c.channel for c in due}))
        with ThreadPoolExecutor(max_workers=count) as pool:
            for future in [pool.submit(work) for _ in range(count)]:
                future.result()
        mark_cards_shown(self.url, shown)
        self.stats.cards_updated += len(shown)

    def _update(self, card: CardDue, limited: threading.Event) -> bool:
        """Whether the card is settled: updated, or beyond repair (not retried forever)."""
        try:
            message = build_card(card.facts, self.lang, mention=False)
            self.notifier.update(card.channel, card.ts, message)
        except DeliveryError as exc:
            self.stats.errors.append(f"card {card.channel}: {exc.reason}")
            if exc.retry_after:
                limited.set()  # chat.update is limited per workspace: stop until the next pass
            return exc.permanent
        return True
