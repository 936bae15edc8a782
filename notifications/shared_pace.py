"""One pace per address for every dispatcher on the database: the `channelpace` table.

Slack counts its one message per second per channel over everything the app sends, from
whichever process or machine. So before a message goes out its dispatcher takes the address in
the table — only when the address is ready and nobody holds it — and gives it back after the
reply, with the time the next message may go (the reply time plus the pace, or the service's
Retry-After). Times are the database's clock (PostgreSQL's `clock_timestamp()`; on SQLite,
one machine, this host's), so machines need no synchronised clocks: a message is taken only
after its predecessor's reply was written, and the reply came after Slack saw the request.

Each take and give-back is one short transaction; a process that dies holding an address
frees it after `HOLD` seconds.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from jikoflow.models.db import get_engine, transaction
from jikoflow.models.outbox.tables import Transport
from jikoflow.notifications.pacing import ChannelPacer

HOLD = 30.0  # seconds: longer than a request can take (the Slack client times out at 10)
POLL = 0.05  # seconds before asking again when another dispatcher has the address in flight


class SharedPacer:
    """Paces each address of one transport across every dispatcher of the database."""

    def __init__(
        self,
        url: str,
        transport: Transport,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.transport = transport
        self.interval = interval
        self.clock = clock
        self.holder = f"{os.getpid()}.{uuid.uuid4().hex[:12]}"
        self._local = ChannelPacer(interval, clock=clock)  # what this process last heard
        self._known: set[str] = set()
        self._lock = threading.Lock()
        self._table = SQLModel.metadata.tables["channelpace"]
        self._postgres = get_engine(url).dialect.name == "postgresql"

    def ready_at(self, channel: str) -> float:
        """When `channel` was last said to be ready, on the local clock."""
        return self._local.ready_at(channel)

    def acquire(self, channel: str) -> float:
        """Take `channel` for one message (0.0), or the seconds to wait before asking again."""
        if self.interval <= 0:
            return 0.0
        table, now = self._table, self._now()
        with transaction(self.url) as session:
            connection = session.connection()
            self._ensure_row(connection, channel)
            taken = connection.execute(
                sa.update(table)
                .where(
                    self._address(channel),
                    table.c.ready_at <= now,
                    sa.or_(table.c.holder.is_(None), table.c.held_until < now),
                )
                .values(holder=self.holder, held_until=now + HOLD)
                .returning(table.c.address)
            ).first()
            if taken is not None:
                return 0.0
            ready = connection.execute(
                sa.select(table.c.ready_at - now).where(self._address(channel))
            ).scalar()
        if ready is None:  # the row was never written (its transaction rolled back)
            with self._lock:
                self._known.discard(channel)
        # Not ready yet, or another dispatcher's message to it is in flight: ask again soon.
        wait = max(float(ready or 0.0), POLL)
        self._local.wait(channel, wait)
        return wait

    def done(self, channel: str, *, pause: float = 0.0) -> None:
        """Give `channel` back: the next message may go after the pace (or `pause`)."""
        gap = max(self.interval, pause)
        self._local.wait(channel, gap)
        if self.interval <= 0:
            return
        table = self._table
        with transaction(self.url) as session:
            connection = session.connection()
            self._ensure_row(connection, channel)
            connection.execute(
                sa.update(table)
                .where(self._address(channel), table.c.holder == self.holder)
                .values(holder=None, held_until=0.0, ready_at=self._now() + gap)
            )
            if pause > 0:
                # Retry-After applies to everyone, held or not.
                connection.execute(
                    sa.update(table)
                    .where(self._address(channel), table.c.ready_at < self._now() + gap)
                    .values(ready_at=self._now() + gap)
                )

    def cancel(self, channel: str) -> None:
        """Give `channel` back untouched: nothing was sent to it."""
        if self.interval <= 0:
            return
        with transaction(self.url) as session:
            session.connection().execute(
                sa.update(self._table)
                .where(self._address(channel), self._table.c.holder == self.holder)
                .values(holder=None, held_until=0.0)
            )

    def _address(self, channel: str) -> sa.ColumnElement[bool]:
        return sa.and_(self._table.c.transport == self.transport, self._table.c.address == channel)

    def _now(self) -> Any:
        if self._postgres:
            return sa.cast(sa.extract("epoch", sa.func.clock_timestamp()), sa.Float)
        return time.time()

    def _ensure_row(self, connection: sa.Connection, channel: str) -> None:
        with self._lock:
            if channel in self._known:
                return
        # Each dialect's INSERT … ON CONFLICT, imported only for the database in use.
        dialect = importlib.import_module(
            "sqlalchemy.dialects." + ("postgresql" if self._postgres else "sqlite")
        )
        connection.execute(
            dialect.insert(self._table)
            .values(transport=self.transport, address=channel, ready_at=0.0, held_until=0.0)
            .on_conflict_do_nothing()
        )
        with self._lock:
            self._known.add(channel)


_pacers: dict[tuple[str, Transport, float], SharedPacer] = {}
_pacers_lock = threading.Lock()


def shared_pacer(url: str, transport: Transport, interval: float) -> SharedPacer:
    """The process-wide pacer of one transport on one database: passes share what it heard."""
    with _pacers_lock:
        key = (url, transport, interval)
        if key not in _pacers:
            _pacers[key] = SharedPacer(url, transport, interval)
        return _pacers[key]
