"""Summary cards: what a card shows, and bringing the cards of a channel up to date.

A card shows the facts of its conversation's newest row with every report's and every step's
state as it is when the card is updated — the report a card delivers itself counts as delivered.
The ledger keeps a digest of what each card shows, so a card is updated only when its facts
or its reports' states changed.

Several dispatchers may update one card at once, each with the facts it read, and Slack keeps
whichever update reaches it last. So a dispatcher checks each card it updated against the facts
as they are after its update landed, and updates it again when they moved on meanwhile: the last
update of a card is always followed by a check, and the card ends on the newest facts.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor

from jikoflow.models.db import reading, transaction
from jikoflow.models.enums import Lang, ReportStatus
from jikoflow.models.outbox.facts import NoticeFacts, ReportState, with_reports, with_steps
from jikoflow.models.outbox.service import Claim, report_states, step_states
from jikoflow.models.settings import DEFAULT_BASE_URL
from jikoflow.models.types import utcnow
from jikoflow.notifications.base import Card, Channel, DeliveryError, Message, Updating
from jikoflow.notifications.messages import build_card
from jikoflow.notifications.pacing import ChannelPacer, Lanes
from jikoflow.notifications.stats import DeliveryStats

ACKNOWLEDGED = ReportStatus.ACKNOWLEDGED
Due = tuple[Card, NoticeFacts, str]  # a card, the facts it should show, their digest


def card_digest(facts: NoticeFacts) -> str:
    """A short digest of what a card built from `facts` shows."""
    return hashlib.blake2b(facts.model_dump_json().encode(), digest_size=16).hexdigest()


def opening_facts(claim: Claim, reports: Mapping[str, ReportState]) -> NoticeFacts:
    """A new card's facts: the row's, with the reports as they are; the one it carries delivered."""
    states = dict(reports)
    own = claim.org_id if claim.report_id is not None else None
    if own is not None and (own not in states or states[own].status is not ACKNOWLEDGED):
        states[own] = ReportState(status=ReportStatus.DELIVERED)
    return with_reports(claim.facts, states)


# Rounds of checking the cards just updated against facts that moved on meanwhile.
REFRESH_ROUNDS = 3


def refresh_cards(
    url: str,
    channel: Channel,
    stats: DeliveryStats,
    *,
    lang: Lang,
    subjects: Collection[str] | None,
    touched: Collection[str],
    workers: int,
    portal: str = DEFAULT_BASE_URL,
) -> None:
    """Update each card behind its newest facts or its reports; what fails waits for a pass."""
    if not isinstance(channel, Updating):
        return
    due = _due(url, channel, subjects=subjects, touched=touched)
    for _ in range(REFRESH_ROUNDS):
        if not due:
            return
        shown = _update_all(channel, due, stats, lang, workers, portal)
        with transaction(url) as session:
            channel.ledger.shown(session, shown)
        stats.cards_updated += len(shown)
        due = _overtaken(url, channel, shown)


def _due(
    url: str,
    channel: Channel,
    *,
    subjects: Collection[str] | None,
    touched: Collection[str],
    sent: Mapping[int | str, str] | None = None,
) -> list[Due]:
    """The cards to update: behind their facts by the ledger's digest, or, with `sent`, behind
    the digest of what this dispatcher sent them."""
    # A pass for some subjects looks at all their cards: an act elsewhere (an acknowledgement,
    # a step done) changes what every card of the subject shows, not only its own channel's.
    touched = {*touched, *(subjects or ())}
    with reading(url) as session:
        found = channel.ledger.cards(session, subjects=subjects, touched=touched)
        states = report_states(session, {c.subject_id for c in found if c.facts.reports})
        steps = step_states(session, {c.subject_id for c in found if c.facts.steps}, utcnow())
    due: list[Due] = []
    for card in found:
        if sent is not None and card.ident not in sent:
            continue
        facts = with_reports(card.facts, states.get(card.subject_id, {}))
        facts = with_steps(facts, steps.get(card.subject_id))
        digest = card_digest(facts)
        if sent is not None:
            behind = sent[card.ident] != digest
        else:
            behind = card.shown != digest or card.shown_row < card.row_id
        if behind:
            due.append((card, facts, digest))
    return due


def _overtaken(url: str, channel: Channel, shown: list[tuple[Card, str]]) -> list[Due]:
    """The cards just updated whose facts moved on before the update landed (another
    dispatcher's newer update may have reached Slack first and been overwritten)."""
    if not shown:
        return []
    subjects = {card.subject_id for card, _ in shown}
    sent = {card.ident: digest for card, digest in shown}
    return _due(url, channel, subjects=subjects, touched=subjects, sent=sent)


def _update_all(
    channel: Updating, due: list[Due], stats: DeliveryStats, lang: Lang, workers: int, portal: str
) -> list[tuple[Card, str]]:
    shown: list[tuple[Card, str]] = []
    limited = threading.Event()
    lanes = Lanes(((c.address, (c, f, d)) for c, f, d in due), ChannelPacer(0))

    def work() -> None:
        """Update cards until none is left; after a 429 only take them off the lanes."""
        while (taken := lanes.take()) is not None:
            card, facts, digest = taken[1]
            try:
                message = build_card(facts, lang, mention=False, portal=portal)
                if not limited.is_set() and _update(channel, card, message, stats, limited):
                    shown.append((card, digest))
            finally:
                lanes.finish(taken[0])

    size = min(max(1, workers), len({c.address for c, _, _ in due}))
    with ThreadPoolExecutor(max_workers=size) as pool:
        for future in [pool.submit(work) for _ in range(size)]:
            future.result()
    return shown


def _update(
    channel: Updating, card: Card, message: Message, stats: DeliveryStats, limited: threading.Event
) -> bool:
    """Whether the card is settled: updated, or beyond repair (not retried forever)."""
    try:
        channel.update(card.address, card.ref, message)
    except DeliveryError as exc:
        stats.errors.append(f"card {card.address}: {exc.reason}")
        if exc.retry_after:
            limited.set()  # chat.update is limited per workspace: stop until the next pass
        return exc.permanent
    return True
