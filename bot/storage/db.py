"""Create the async engine, and turn "the database is not there" into one exception type."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from dialogs.store import StoreUnavailable


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        # One connection: every transaction takes SQLite's single write lock anyway (BEGIN
        # IMMEDIATE below), and waiting in SQLAlchemy's pool queue is fair and cheap where
        # several connections would poll the lock with busy_timeout and leave a long tail.
        engine = create_async_engine(url, connect_args={"timeout": 30}, pool_size=1, max_overflow=0, pool_timeout=30)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_connect(dbapi_conn, _record) -> None:
            # The driver's own transaction handling skips BEGIN before DDL, so two processes
            # migrating at once could both create a table. We begin every transaction ourselves.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            # WAL lets `leadbot chat`, `serve` and `nudge send-due` share one file safely.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            # In WAL mode NORMAL never corrupts the file; a power cut can lose the last few
            # commits (not an application crash). A turn then costs one fsync less.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn) -> None:
            # IMMEDIATE takes the write lock up front and waits (busy_timeout) for it, instead of
            # failing with "database is locked" when two writers collide half-way through.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # pool_pre_ping: a replica that lived through a database restart reconnects on its own.
    return create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, pool_timeout=10)


UNAVAILABLE_ERRORS = (OperationalError, InterfaceError, OSError, ConnectionError, TimeoutError)


def is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, UNAVAILABLE_ERRORS):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    name = type(exc).__name__
    # asyncpg raises its own types for a server that went away mid-query
    return name in {"ConnectionDoesNotExistError", "CannotConnectNowError", "ConnectionFailureError", "InterfaceError", "AdminShutdownError"}


@contextlib.asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A transaction that raises StoreUnavailable, not a driver error, when the database is down."""
    try:
        async with engine.begin() as conn:
            yield conn
    except StoreUnavailable:
        raise
    except Exception as exc:
        if is_unavailable(exc):
            raise StoreUnavailable(type(exc).__name__) from exc
        raise
