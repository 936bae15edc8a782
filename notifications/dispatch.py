"""The dispatcher: one pass over one transport's outbox — claim, send address by address, settle.

Addresses are resolved by the channel from the parties as they are now, and served side by
side by a small pool of workers, each within the service's pace (Slack: about one
message per second per channel), which every dispatcher of the database shares (`shared_pace`).
Workers only talk to the service; the calling thread does every database write, in short
batched transactions, and the channel's ledger records where each message landed in the same
transaction that marks its row sent. Several dispatchers (processes, machines) work one outbox
side by side: each claims rows the others have not, and at most `PER_ADDRESS` rows of one
address are in flight among all of them.

An inline pass (the process that just declared, reporting at once) sends only its own
subjects' messages and only where no queue of others' messages waits ahead at the address; it
waits for a pace slot for a moment at most and leaves the rest to the dispatchers. A pass with
a budget stops claiming when it runs out and gives back what it has not begun.

Outages: when the service is unreachable (refused, timing out, 5xx) the pass stops at once and
the rows it holds are kept for the service's return (`outage`), not tried address by address.
Every later pass tries one of them first; the first message that goes through releases them all.

Crash safety: a row is `sending` from its claim until its outcome is written. A message carries
its outbox key (Slack: message metadata), and an attempt whose predecessor may have reached the
service (a stale claim, a timeout, a 5xx) first looks for that key at its address or in its
thread and, when found, records it as sent instead of sending again. A channel that cannot
look messages up sends again. What remains is the service's own delay in listing a message it
has just accepted, against a claim that goes stale only after five minutes.

Cards: per subject and address the first message opens the conversation as a summary card
(see `cards`); after the pass, a channel that can update messages brings each card up to date:
to its newest row's facts, and to its reports' states when a report of its subject changed.
"""

from __future__ import annotations

import contextlib
import math
import queue
import random
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlmodel import Session

from jikoflow.models.db import reading
from jikoflow.models.enums import Lang
from jikoflow.models.outbox.facts import NoticeEvent, OutboxStatus, ReportState
from jikoflow.models.outbox.service import (
    Claim,
    Settlement,
    candidates,
    claim,
    end_outage,
    queued_ahead,
    report_states,
    settle,
)
from jikoflow.models.outbox.tables import Transport
from jikoflow.models.settings import DEFAULT_BASE_URL
from jikoflow.models.types import utcnow
from jikoflow.notifications.addresses import Who, addressees
from jikoflow.notifications.base import (
    Channel,
    DeliveryError,
    Finding,
    Message,
    Pair,
    Receipt,
    Sent,
    Wording,
)
from jikoflow.notifications.cards import card_digest, opening_facts, refresh_cards
from jikoflow.notifications.messages import build_card, build_message
from jikoflow.notifications.pacing import ChannelPacer, Lanes, Pacer
from jikoflow.notifications.plan import choose, openings, strays
from jikoflow.notifications.shared_pace import shared_pacer
from jikoflow.notifications.stats import DeliveryStats

__all__ = ["ChannelPacer", "DeliveryStats", "backoff", "deliver_due"]

MAX_BACKOFF = timedelta(minutes=30)
MAX_WORKERS = 8
MAX_ROUNDS = 100
SETTLE_BATCH = 200
SETTLE_EVERY = 0.25  # seconds between batched writes while workers run
# An inline pass waits this much longer than one pace interval for its addresses, no more.
INLINE_GRACE = 0.5
_CHANGED = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.UNREACHABLE)


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to, to be written back."""

    claim: Claim
    status: OutboxStatus
    error: str | None = None
    retry_at: datetime | None = None
    maybe_posted: bool = False
    released: bool = False  # not attempted after all (its address was paused)
    sent: Sent | None = None
    address: str | None = None
    thread: str | None = None  # the conversation it replied in; None when it opened one
    recovered: bool = False  # found already sent (after a crash), not sent again
    shown: str | None = None  # opening a card: the digest of the facts it shows
    outage: bool = False  # the service was unreachable
    posted: bool = False  # a message was put to the service (it counts against the pace)
    pause: float = 0.0  # the service asked for this many seconds before the next message

    def settlement(self) -> Settlement:
        """The outbox row's side of it."""
        return Settlement(
            self.claim.id,
            self.status,
            error=self.error,
            retry_at=self.retry_at,
            maybe_posted=self.maybe_posted,
            released=self.released,
            outage=self.outage,
        )

    def receipt(self) -> Receipt | None:
        """The ledger's side of it, when the message was accepted."""
        if self.status is not OutboxStatus.SENT or self.sent is None or self.address is None:
            return None
        claim = self.claim
        return Receipt(
            claim.id,
            claim.subject_id,
            self.address,
            self.sent,
            self.thread,
            claim.facts,
            self.shown,
        )


def _changes_reports(claim_: Claim) -> bool:
    """Whether settling this row changed a report every card of its subject shows: a report's
    own delivery, or the news that a recipient acknowledged one."""
    return claim_.report_id is not None or claim_.facts.event is NoticeEvent.ACKNOWLEDGED


def count(stats: DeliveryStats, outcome: Outcome) -> None:
    """Add one outcome to `stats`."""
    if outcome.released:
        return
    if outcome.status is OutboxStatus.SENT:
        stats.sent += 1
        stats.recovered += outcome.recovered
    elif outcome.status is OutboxStatus.PENDING:
        stats.retrying += 1
    elif outcome.status is OutboxStatus.FAILED:
        stats.failed += 1
    elif outcome.status is OutboxStatus.UNREACHABLE:
        stats.unreachable += 1
    if outcome.error:
        stats.errors.append(outcome.error)


_pacers: dict[tuple[Transport, float], ChannelPacer] = {}
_pacers_lock = threading.Lock()


def pacer_for(url: str, channel: Channel) -> Pacer:
    """The pace of the channel's transport: shared by every dispatcher of the database, or,
    for a channel without one (the console), a process-wide no-op."""
    if channel.interval > 0:
        return shared_pacer(url, channel.transport, channel.interval)
    key = (channel.transport, channel.interval)
    with _pacers_lock:
        return _pacers.setdefault(key, ChannelPacer(channel.interval))


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Exponential backoff with full jitter; the service's Retry-After wins when it is longer."""
    base = min(MAX_BACKOFF.total_seconds(), 2.0 ** min(attempts, 20))
    delay = random.uniform(base / 2, base)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return timedelta(seconds=delay)


def deliver_due(
    url: str,
    channel: Channel,
    *,
    lang: Lang = Lang.JA,
    subjects: Collection[str] | None = None,
    now: datetime | None = None,
    pacer: Pacer | None = None,
    workers: int = MAX_WORKERS,
    inline: bool = False,
    budget: float | None = None,
    portal: str = DEFAULT_BASE_URL,
) -> DeliveryStats:
    """One pass over the channel's transport: every due row (of `subjects`, or all), then cards.

    `inline`: only where nobody's messages queue ahead, waiting a moment at most for the pace.
    `budget`: seconds after which the pass claims nothing more and gives back what waits.
    `portal`: where people reach the portal; messages link to the subject's page there.
    """
    run = _Pass(url, channel, lang, pacer or pacer_for(url, channel), workers, now)
    run.portal = portal
    run.inline = inline and subjects is not None
    if run.inline:
        budget = min(budget or math.inf, channel.interval + INLINE_GRACE)
    if budget is not None:
        run.deadline = run.pacer_clock() + budget
    for _ in range(MAX_ROUNDS):
        if not run.round(subjects):
            break
    run.stats.outage = run.outage
    if not run.outage:  # cards wait for the service like everything else
        refresh_cards(
            url,
            channel,
            run.stats,
            lang=lang,
            subjects=subjects,
            touched=run.touched,
            workers=run.workers,
            portal=portal,
        )
    return run.stats


class _Pass:
    """The state of one `deliver_due` call."""

    def __init__(
        self,
        url: str,
        channel: Channel,
        lang: Lang,
        pacer: Pacer,
        workers: int,
        now: datetime | None,
    ) -> None:
        self.url = url
        self.channel = channel
        # A channel that words its own messages needs their facts only.
        self.wording = isinstance(channel, Wording)
        self.lang = lang
        self.pacer = pacer
        self.workers = max(1, workers)
        self.fixed_now = now
        self.stats = DeliveryStats()
        self.touched: set[str] = set()  # subjects whose reports changed in this pass
        self.opened: dict[Pair, str] = {}
        self.reports: dict[str, dict[str, ReportState]] = {}
        self.portal = DEFAULT_BASE_URL
        self.inline = False
        self.deadline: float | None = None  # on the pacer's clock
        self.outage = False  # the service was found unreachable: stop
        self.probed = False
        self.held = False  # rows held by an outage were seen

    def now(self) -> datetime:
        """The pass's time: the injected one, or the clock."""
        return self.fixed_now or utcnow()

    def pacer_clock(self) -> float:
        """The pacer's clock (monotonic seconds)."""
        clock: Callable[[], float] = getattr(self.pacer, "clock", time.monotonic)
        return clock()

    def round(self, subjects: Collection[str] | None) -> bool:
        """Claim what is due now and send it; False when nothing was claimed."""
        if self.outage or (self.deadline is not None and self.pacer_clock() >= self.deadline):
            return False
        now = self.now()
        rows = candidates(self.url, now, transport=self.channel.transport, subjects=subjects)
        self.held = self.held or any(r.outage for r in rows)
        probe = not any(row.due for row in rows)
        if probe:
            # Nothing due, but messages held by an outage: one of them tries the service.
            if self.probed or not self.held:
                return False
            self.probed = True
            rows = [replace(r, due=r.outage) for r in rows]
        ahead = set()
        if self.inline and subjects is not None:
            ahead = queued_ahead(self.url, now, transport=self.channel.transport, subjects=subjects)
        with reading(self.url) as session:
            people = addressees(session, {(r.org_id, r.person_id) for r in rows} | ahead)
            addresses = {who: self.channel.resolve(to) for who, to in people.items()}
            pairs = {
                (r.subject_id, a)
                for r in rows
                if (a := addresses[(r.org_id, r.person_id)]) is not None
            }
            self.opened = self.channel.ledger.threads(session, pairs)
        busy = {a for who in ahead if (a := addresses.get(who)) is not None}
        chosen = choose(rows, addresses, self.opened, busy=busy, limit=1 if probe else None)
        claims = claim(self.url, chosen, now, probe=probe)
        stray = strays(claims, addresses, self.opened, openings(rows, addresses))
        if stray:
            self._settle(
                [Outcome(c, OutboxStatus.PENDING, released=True) for c in claims if c.id in stray]
            )
            claims = [c for c in claims if c.id not in stray]
        if not claims:
            return False
        sent = self.stats.sent
        self.deliver(claims, addresses)
        if self.held and self.stats.sent > sent and not self.outage:
            # A message went through: the service is back for everything it held.
            end_outage(self.url, transport=self.channel.transport, now=self.now())
            self.held = False
        return True

    def deliver(self, claims: Sequence[Claim], addresses: Mapping[Who, str | None]) -> None:
        """Send the claimed rows, addresses side by side, writing outcomes as they come."""
        results: queue.Queue[Outcome] = queue.Queue()
        reachable: list[tuple[str, Claim]] = []
        for c in claims:
            address = addresses.get((c.org_id, c.person_id))
            if address is None:
                error = f"no {self.channel.transport} address"
                results.put(Outcome(c, OutboxStatus.UNREACHABLE, error=error))
            else:
                reachable.append((address, c))
        with reading(self.url) as session:
            wanted = {c.subject_id for _, c in reachable if c.facts.reports}
            self.reports = report_states(session, wanted)
        lanes = Lanes(reachable, self.pacer, deadline=self.deadline)
        cards: dict[Pair, str] = {}
        size = min(self.workers, len({a for a, _ in reachable}))
        with ThreadPoolExecutor(max_workers=max(1, size)) as pool:
            futures = [pool.submit(self._work, lanes, cards, results.put) for _ in range(size)]
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
                self._settle(batch)
                batch, flushed = [], time.monotonic()
            if done and results.empty() and not batch:
                return

    def _settle(self, batch: list[Outcome]) -> None:
        by_id = {o.claim.id: o for o in batch}

        def record(session: Session, ids: list[int]) -> None:
            receipts = [r for i in ids if (r := by_id[i].receipt()) is not None]
            self.channel.ledger.record(session, receipts)

        settle(self.url, [o.settlement() for o in batch], self.now(), record=record)
        for outcome in batch:
            count(self.stats, outcome)
            if outcome.status in _CHANGED and _changes_reports(outcome.claim):
                self.touched.add(outcome.claim.subject_id)
            elif outcome.shown is not None and outcome.claim.facts.reports:
                # A card just opened shows the reports as they were read before it was posted;
                # another dispatcher may have settled one since, before this card was recorded.
                self.touched.add(outcome.claim.subject_id)

    def _work(
        self, lanes: Lanes[Claim], cards: dict[Pair, str], report: Callable[[Outcome], None]
    ) -> None:
        while (taken := lanes.take()) is not None:
            address, claim_ = taken
            wait = self.pacer.acquire(address)
            if wait > 0:
                lanes.later(address, claim_, wait)  # another dispatcher has the address now
                continue
            outcome: Outcome | None = None
            try:
                outcome = self._attempt(address, claim_, cards)
                report(outcome)
                self._after(lanes, address, outcome, report)
            finally:
                if outcome is not None and outcome.posted:
                    self.pacer.done(address, pause=outcome.pause)
                else:
                    self.pacer.cancel(address)
                lanes.finish(address)
        for _, rest in lanes.leftovers():  # past the budget: the dispatchers take them
            report(Outcome(rest, OutboxStatus.PENDING, released=True))

    def _after(
        self,
        lanes: Lanes[Claim],
        address: str,
        outcome: Outcome,
        report: Callable[[Outcome], None],
    ) -> None:
        """What one outcome means for the rest: an outage stops the pass, a refusal the address."""
        if outcome.outage:
            self._stop(lanes, outcome, report)
            return
        refused = outcome.status is OutboxStatus.PENDING and not outcome.released
        if refused and not outcome.maybe_posted:
            # Rate limited or unreachable: the rest of this address waits as well.
            for rest in lanes.drain(address):
                report(
                    Outcome(rest, OutboxStatus.PENDING, retry_at=outcome.retry_at, released=True)
                )

    def _stop(
        self, lanes: Lanes[Claim], outage: Outcome, report: Callable[[Outcome], None]
    ) -> None:
        """The service is unreachable: hold everything else of this pass for its return."""
        self.outage = True
        for _, rest in lanes.drain_all():
            report(
                Outcome(
                    rest,
                    OutboxStatus.PENDING,
                    retry_at=outage.retry_at,
                    released=True,
                    outage=True,
                )
            )

    def _attempt(self, address: str, claim_: Claim, cards: dict[Pair, str]) -> Outcome:
        pair = (claim_.subject_id, address)
        known = cards.get(pair)
        thread = self.opened.get(pair)
        if thread is None and known == "":
            return Outcome(claim_, OutboxStatus.PENDING, released=True)  # its card failed
        thread = thread or known or None
        try:
            found = self._find(address, claim_, thread)
            if found is not None:
                return self._sent(claim_, address, found, thread, cards, recovered=True)
        except DeliveryError as exc:
            return self._failed(claim_, exc, looked=False)
        message, shown = self._message(claim_, thread)
        try:
            sent = self.channel.send(address, message, thread=thread)
        except DeliveryError as exc:
            if thread is None:
                cards[pair] = ""  # the card did not make it: the rest of its thread waits
            failed = self._failed(claim_, exc, looked=True)
            return replace(failed, posted=True, pause=exc.retry_after or 0.0)
        return replace(self._sent(claim_, address, sent, thread, cards, shown=shown), posted=True)

    def _find(self, address: str, claim_: Claim, thread: str | None) -> Sent | None:
        if not claim_.maybe_posted or not isinstance(self.channel, Finding):
            return None
        return self.channel.find(address, claim_.key, thread=thread)

    @staticmethod
    def _sent(
        claim_: Claim,
        address: str,
        sent: Sent,
        thread: str | None,
        cards: dict[Pair, str],
        *,
        recovered: bool = False,
        shown: str | None = None,
    ) -> Outcome:
        if thread is None:
            cards[(claim_.subject_id, address)] = sent.ref
        return Outcome(
            claim_,
            OutboxStatus.SENT,
            sent=sent,
            address=address,
            thread=thread,
            recovered=recovered,
            shown=shown,
        )

    def _message(self, claim_: Claim, thread: str | None) -> tuple[Message, str | None]:
        if thread is not None:
            if self.wording:
                return Message(text="", key=claim_.key, facts=claim_.facts), None
            return build_message(claim_.facts, self.lang, key=claim_.key, portal=self.portal), None
        facts = opening_facts(claim_, self.reports.get(claim_.subject_id, {}))
        if self.wording:
            return Message(text="", key=claim_.key, facts=facts), card_digest(facts)
        card = build_card(facts, self.lang, key=claim_.key, portal=self.portal)
        return card, card_digest(facts)

    def _failed(self, claim_: Claim, exc: DeliveryError, *, looked: bool) -> Outcome:
        if exc.permanent:
            return Outcome(claim_, OutboxStatus.FAILED, error=exc.reason)
        return Outcome(
            claim_,
            OutboxStatus.PENDING,
            error=exc.reason,
            retry_at=self.now() + backoff(claim_.attempts, exc.retry_after),
            # Not knowing whether an earlier attempt landed stays unknown until we look.
            maybe_posted=exc.maybe_delivered or (claim_.maybe_posted and not looked),
            outage=exc.outage,
        )
