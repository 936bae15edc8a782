"""Which due outbox rows one round claims: each conversation's opening message first, and no
address flooded.

Per subject and address the first message opens the conversation (Slack: the summary card);
the others reply in it. Until the opening message is out, the rest of its conversation waits
for it: claimed together with it, or left alone while it is not due (backing off, or held by
another dispatcher), so two dispatchers never open two cards for one subject in one channel.
Two dispatchers claiming one conversation at the same instant may each get part of it (rows
the other is claiming are skipped); the part without its opening message is given back
(`strays`) and replies in the card once the other has opened it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence

from jikoflow.models.outbox.service import Candidate, Claim
from jikoflow.notifications.addresses import Who
from jikoflow.notifications.base import Pair

# Rows of one address in flight among all dispatchers: at Slack's ~1 message/s, well inside a
# claim's five minutes however many dispatchers share the address.
PER_ADDRESS = 30
CLAIM_LIMIT = 1000


def choose(
    rows: Sequence[Candidate],
    addresses: Mapping[Who, str | None],
    opened: Collection[Pair],
    *,
    busy: Collection[str] = (),
    limit: int | None = None,
    per_address: int = PER_ADDRESS,
) -> list[int]:
    """The ids to claim among `rows`, oldest first, given the addresses and open conversations;
    none for a `busy` address, and at most `per_address` in flight per address, counting the
    rows other dispatchers hold."""
    limit = CLAIM_LIMIT if limit is None else limit
    first = openings(rows, addresses)
    per: Counter[str] = Counter()
    for row in rows:
        address = addresses.get((row.org_id, row.person_id))
        if address is not None:
            per[address] += row.in_flight
    chosen: list[int] = []
    opening: set[Pair] = set()
    for row in rows:
        if not row.due:
            continue
        address = addresses.get((row.org_id, row.person_id))
        if address in busy:
            continue
        if address is not None:
            pair = (row.subject_id, address)
            if pair not in opened:
                if first[pair] == row.id:
                    opening.add(pair)
                elif pair not in opening:
                    continue  # the opening message goes first; the rest waits for it
            if per[address] >= per_address:
                continue
            per[address] += 1
        chosen.append(row.id)  # an unreachable row is claimed only to be marked so
        if len(chosen) >= limit:
            break
    return chosen


def openings(rows: Sequence[Candidate], addresses: Mapping[Who, str | None]) -> dict[Pair, int]:
    """Per subject and address among `rows` (oldest first), the row that opens the conversation."""
    first: dict[Pair, int] = {}
    for row in rows:
        address = addresses.get((row.org_id, row.person_id))
        if address is not None:
            first.setdefault((row.subject_id, address), row.id)
    return first


def strays(
    claims: Sequence[Claim],
    addresses: Mapping[Who, str | None],
    opened: Collection[Pair],
    first: Mapping[Pair, int],
) -> set[int]:
    """The claimed rows of a conversation not open yet whose opening message was not claimed
    with them: another dispatcher got it, and these wait for its card."""
    claimed = {c.id for c in claims}
    stray: set[int] = set()
    for c in claims:
        address = addresses.get((c.org_id, c.person_id))
        if address is None or (pair := (c.subject_id, address)) in opened:
            continue
        if first.get(pair) not in claimed:
            stray.add(c.id)
    return stray
