"""What delivery did: counts that callers print and add up across transports and passes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DeliveryStats:
    """What one or more passes over the outbox did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unreachable: int = 0
    recovered: int = 0  # found already sent after a crash, not sent again
    cards_updated: int = 0
    errors: list[str] = field(default_factory=list)
    outage: bool = False  # a transport's service was unreachable

    @property
    def remaining(self) -> int:
        """Messages that still need another attempt."""
        return self.retrying

    def __add__(self, other: DeliveryStats) -> DeliveryStats:
        """Both together."""
        return DeliveryStats(
            sent=self.sent + other.sent,
            retrying=self.retrying + other.retrying,
            failed=self.failed + other.failed,
            unreachable=self.unreachable + other.unreachable,
            recovered=self.recovered + other.recovered,
            cards_updated=self.cards_updated + other.cards_updated,
            errors=[*self.errors, *other.errors],
            outage=self.outage or other.outage,
        )
