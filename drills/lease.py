"""One scheduler per database: a lease row that `serve` takes, renews and gives back.

Two schedulers on one job store would both fire every plan. The lease is taken with a
compare-and-swap on the row, so two processes starting at once cannot both win. A holder that
stopped renewing (killed, host lost) is replaced after `STALE_AFTER`; one whose process is gone
from this very host (same boot, same process namespace: its pid means the same thing here) is
no holder at all and is replaced at once. Standbys (`serve --worker`) ask every
`STANDBY_EVERY`, so one takes over well within a minute of the holder's death.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from jikoflow.drills.tables import SchedulerLease
from jikoflow.models.db import lock_row, transaction

LEASE_NAME = "scheduler"
HEARTBEAT_EVERY = timedelta(seconds=10)
STALE_AFTER = timedelta(seconds=30)
STANDBY_EVERY = timedelta(seconds=10)


def this_node() -> str | None:
    """Where a pid of this process means the same process: the boot and the pid namespace
    (None where the system does not say)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return None
    return f"{boot}:{namespace}"


def running(pid: int) -> bool:
    """Whether process `pid` of this node is alive (a zombie is not)."""
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return stat.rpartition(")")[2].split()[:1] not in (["Z"], ["X"])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Holder:
    """This process as a lease holder."""

    pid: int
    host: str
    token: str
    node: str | None = field(default=None)

    @classmethod
    def here(cls) -> Holder:
        """This process, with a token so a reused pid is never mistaken for us."""
        return cls(os.getpid(), socket.gethostname(), uuid.uuid4().hex[:12], this_node())

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


def _alive(current: SchedulerLease, holder: Holder, now: datetime) -> bool:
    """Whether the row's holder may still be at work, as `holder` sees it at `now`."""
    if current.heartbeat_at <= now - STALE_AFTER:
        return False
    if holder.node is not None and current.node == holder.node:
        return running(current.pid)
    return True


def acquire(url: str, holder: Holder, now: datetime) -> None:
    """Take the lease, or raise LeaseHeld naming the live holder."""
    try:
        with transaction(url) as session:
            current = session.get(SchedulerLease, LEASE_NAME)
            if current is None:
                session.add(_row(holder, now))
                session.flush()
                return
            if current.holder != holder.name and _alive(current, holder, now):
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
        "node": holder.node,
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


def holds(session: Session, holder: Holder) -> bool:
    """Whether `holder` holds the lease, locking the row until the caller's transaction ends:
    work fenced by it (firing a plan) cannot interleave with a takeover."""
    current = lock_row(session, SchedulerLease, LEASE_NAME)
    return current is not None and current.holder == holder.name


def release(url: str, holder: Holder) -> None:
    """Give the lease back so the next `serve` starts at once."""
    with transaction(url) as session:
        session.connection().execute(sa.delete(SchedulerLease).where(_ours(holder)))


def _ours(holder: Holder) -> sa.ColumnElement[bool]:
    return sa.and_(
        col(SchedulerLease.name) == LEASE_NAME, col(SchedulerLease.holder) == holder.name
    )
