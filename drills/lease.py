"""One scheduler per database: a lease row that `serve` takes, renews and gives back.

Two schedulers on one job store would both fire every plan. The lease is taken with a
compare-and-swap on the row, so two processes starting at once cannot both win; a holder that
stopped renewing (killed, host lost) is replaced after `STALE_AFTER`.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from jikoflow.drills.tables import SchedulerLease
from jikoflow.models.db import transaction

LEASE_NAME = "scheduler"
HEARTBEAT_EVERY = timedelta(seconds=20)
STALE_AFTER = timedelta(seconds=90)


@dataclass(frozen=True)
class Holder:
    """This process as a lease holder."""

    pid: int
    host: str
    token: str

    @classmethod
    def here(cls) -> Holder:
        """This process, with a token so a reused pid is never mistaken for us."""
        return cls(os.getpid(), socket.gethostname(), uuid.uuid4().hex[:12])

    @property
    def name(self) -> str:
        """The holder column's value."""
        return f"{self.pid}@{self.host}#{self.token}"


class LeaseHeld(Exception):
    """Another live scheduler holds the lease."""

    def __init__(self, pid: int, host: str) -> None:
        super().__init__(f"a scheduler is already running on this database (pid {pid} on {host})")
        self.pid = pid
        self.host = host


def acquire(url: str, holder: Holder, now: datetime) -> None:
    """Take the lease, or raise LeaseHeld naming the live holder."""
    try:
        with transaction(url) as session:
            current = session.get(SchedulerLease, LEASE_NAME)
            if current is None:
                session.add(_row(holder, now))
                session.flush()
                return
            if current.holder != holder.name and current.heartbeat_at > now - STALE_AFTER:
                raise LeaseHeld(current.pid, current.host)
            taken = session.connection().execute(
                sa.update(SchedulerLease)
                .where(
                    col(SchedulerLease.name) == LEASE_NAME,
                    col(SchedulerLease.holder) == current.holder,
                    col(SchedulerLease.heartbeat_at) == current.heartbeat_at,
                )
                .values(_values(holder, now))
            )
            if taken.rowcount != 1:
                raise LeaseHeld(current.pid, current.host)
    except IntegrityError:
        _raise_held(url)


def _raise_held(url: str) -> None:
    with transaction(url) as session:
        current = session.get(SchedulerLease, LEASE_NAME)
    raise LeaseHeld(current.pid if current else 0, current.host if current else "?")


def _values(holder: Holder, now: datetime) -> dict[str, object]:
    return {
        "holder": holder.name,
        "pid": holder.pid,
        "host": holder.host,
        "started_at": now,
        "heartbeat_at": now,
    }


def _row(holder: Holder, now: datetime) -> SchedulerLease:
    return SchedulerLease(name=LEASE_NAME, **_values(holder, now))  # type: ignore[arg-type]


def renew(url: str, holder: Holder, now: datetime) -> bool:
    """Say we are alive; False when the lease is no longer ours."""
    with transaction(url) as session:
        result = session.connection().execute(
            sa.update(SchedulerLease).where(_ours(holder)).values(heartbeat_at=now)
        )
        return bool(result.rowcount == 1)


def release(url: str, holder: Holder) -> None:
    """Give the lease back so the next `serve` starts at once."""
    with transaction(url) as session:
        session.connection().execute(sa.delete(SchedulerLease).where(_ours(holder)))


def _ours(holder: Holder) -> sa.ColumnElement[bool]:
    return sa.and_(
        col(SchedulerLease.name) == LEASE_NAME, col(SchedulerLease.holder) == holder.name
    )
