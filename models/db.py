"""Engines and sessions for the application database (SQLite file or PostgreSQL).

Writes take the database's write lock before they read: on SQLite a writing transaction begins
with `BEGIN IMMEDIATE` (a deferred one would fail, not wait, when two writers both upgrade a
read lock), and on PostgreSQL the services lock the subject's row (`lock_row`) before they read
the numbers they are about to extend (audit sequence, cause revision, measure number).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

_FOR_WRITE = "jikoflow_for_write"
Query = TypeVar("Query", bound=sa.Select[*tuple[Any, ...]])
_opened: list[sa.Engine] = []  # every engine `get_engine` made, for `close_engines`


@cache
def get_engine(url: str) -> sa.Engine:
    """One engine per database URL for the life of the process."""
    if url.startswith("sqlite"):
        # The driver's own transaction handling is off; SQLAlchemy emits BEGIN itself.
        engine = sa.create_engine(url, connect_args={"timeout": 30, "isolation_level": None})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True)
    _opened.append(engine)
    return engine


def close_engines() -> None:
    """Close every pooled connection this process opened (before it exits)."""
    for engine in _opened:
        engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    writing = connection.get_execution_options().get(_FOR_WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


@contextmanager
def transaction(url: str) -> Iterator[Session]:
    """A writing session that commits on success and rolls back on any error: all or nothing."""
    engine = get_engine(url).execution_options(**{_FOR_WRITE: True})
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def reading(url: str) -> Iterator[Session]:
    """A session for reads only, on one snapshot of the database: a view built from many
    queries (a status with its trail check, a record) never mixes rows from before and after
    another process's commit. SQLite's read transaction is one snapshot already; PostgreSQL's
    default (READ COMMITTED) gives each query the newest commits, so reads take REPEATABLE
    READ (a transaction that only reads never fails to serialize)."""
    engine = get_engine(url)
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    with Session(engine, expire_on_commit=False) as session:
        yield session


@contextmanager
def trial(url: str) -> Iterator[Session]:
    """A writing session that is always rolled back: what a write would do, seen and undone."""
    with transaction(url) as session:
        yield session
        session.rollback()  # what is left to commit is nothing


def unless_held(query: Query, table: Any) -> Query:
    """Lock the rows of `table` the query reads, passing by those another transaction holds
    (PostgreSQL; on SQLite the writing transaction already holds the whole database)."""
    return query.with_for_update(of=table, skip_locked=True)


def lock_row(session: Session, table: Any, key: Any) -> Any:
    """Load one row for update: on PostgreSQL a row lock held until the transaction ends (on
    SQLite the writing transaction already holds the database's write lock)."""
    return session.get(table, key, with_for_update=True)
