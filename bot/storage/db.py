"""Create the async engine, and turn "the database is not there" into one exception type."""

from __future__ import annotations

import contextlib
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator

from sqlalchemy import Engine, event
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    InvalidRequestError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.setup_errors import SetupError
from bot.storage.database_url import EXAMPLES
from dialogs.store import StoreUnavailable


def make_engine(url: str) -> AsyncEngine:
    """The engine for DATABASE_URL; a SetupError (not a driver's traceback) when the address cannot work."""
    try:
        engine = _make_engine(url)
    except (ArgumentError, ImportError, InvalidRequestError) as exc:
        from bot.storage.database_url import explain_failure

        raise (
            explain_failure(exc, url)
            or SetupError(f"DATABASE_URL cannot be used: {type(exc).__name__}", f"fix: write one like {EXAMPLES}")
        ) from exc
    if engine.dialect.name == "sqlite":
        from bot.storage.database_url import sqlite_folder_problem

        problem = sqlite_folder_problem(url)
        if problem is not None:
            raise problem
    return engine


def _make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        # One connection: every transaction takes SQLite's single write lock anyway (BEGIN
        # IMMEDIATE below), and waiting in SQLAlchemy's pool queue is fair and cheap where
        # several connections would poll the lock with busy_timeout and leave a long tail.
        engine = create_async_engine(url, connect_args={"timeout": 30}, pool_size=1, max_overflow=0, pool_timeout=30)
        sqlite_hooks(engine.sync_engine)
        return engine
    engine = create_async_engine(url, pool_size=10, max_overflow=20, pool_timeout=10)
    if engine.dialect.name == "postgresql":
        drop_closed_connections(engine.sync_engine)
    return engine


def drop_closed_connections(engine: Engine) -> None:
    """A replica that lived through a database restart reconnects on its own, at no cost per turn.

    pool_pre_ping did this with three round trips on every check-out (BEGIN, an empty
    query, ROLLBACK), about a third of a turn's trips. A restarted or stopped server
    closes its connections' sockets, and asyncpg marks a connection closed as soon as the
    event loop sees that, with no round trip; the pool then opens a fresh one
    (DisconnectionError at check-out is the pool's documented "try another connection").
    A connection lost in the moment before it is used fails that one turn, which the
    person is told to retry, and the pool is refreshed.
    """

    @event.listens_for(engine, "checkout")
    def _closed_is_stale(dbapi_conn, _record, _proxy) -> None:
        driver = getattr(dbapi_conn, "driver_connection", None)
        if driver is not None and driver.is_closed():
            raise DisconnectionError("the server closed this pooled connection")


# An execution option: this connection only reads, one statement at a time, so it begins no
# transaction (on SQLite, BEGIN IMMEDIATE would take the write lock for a read).
NO_BEGIN = "leadbot_no_begin"


def sqlite_hooks(engine: Engine) -> None:
    """How every SQLite connection leadbot opens is set up (the async engine's and the turn thread's)."""

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_conn, _record) -> None:
        # The driver's own transaction handling skips BEGIN before DDL, so two processes
        # migrating at once could both create a table. We begin every transaction ourselves.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        # WAL lets `leadbot chat`, `serve` and `nudge send-due` share one file safely.
        _switch_to_wal(cur)
        cur.execute("PRAGMA busy_timeout=30000")
        # In WAL mode NORMAL never corrupts the file; a power cut can lose the last few
        # commits (not an application crash). A turn then costs one fsync less.
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn) -> None:
        if conn.get_execution_options().get(NO_BEGIN):
            return  # a lone SELECT reads a consistent snapshot on its own (WAL), without the lock
        # IMMEDIATE takes the write lock up front and waits (busy_timeout) for it, instead of
        # failing with "database is locked" when two writers collide half-way through.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


WAL_SWITCH_SECONDS = 30.0


def _switch_to_wal(cur) -> None:
    """Put the file in WAL mode, also when several processes open a new file at once.

    Switching the journal mode needs the file to itself, and two connections switching at
    once can each wait on the other until busy_timeout runs out (seen in CI: three engines
    opening one new file at once, as replicas or `chat` next to `serve` would). So each attempt waits only briefly, and a jittered retry
    breaks the tie. Once the file is in WAL mode (it stays so) the first attempt succeeds.
    """
    cur.execute("PRAGMA busy_timeout=200")
    deadline = time.monotonic() + WAL_SWITCH_SECONDS
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        # A blocking sleep, on purpose: this runs inside the driver's connect hook, once per
        # new connection, and only a brand-new file opened by several processes ever gets here.
        time.sleep(random.uniform(0.01, 0.1))


# PoolTimeout: every pooled connection stayed busy for pool_timeout. The database is there but cannot
# take this turn now, which to the person is the same as "unavailable": try again in a minute.
# sqlite3.OperationalError: "database is locked" past busy_timeout, a disk error, from a statement the
# turn thread runs on the driver itself (sqlite_turn).
UNAVAILABLE_ERRORS = (
    OperationalError,
    InterfaceError,
    OSError,
    ConnectionError,
    TimeoutError,
    PoolTimeout,
    sqlite3.OperationalError,
)


def is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, UNAVAILABLE_ERRORS):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    name = type(exc).__name__
    # asyncpg raises its own types for a server that went away mid-query
    return name in {
        "ConnectionDoesNotExistError",
        "CannotConnectNowError",
        "ConnectionFailureError",
        "InterfaceError",
        "AdminShutdownError",
    }


def as_store_error(exc: Exception) -> Exception:
    """StoreUnavailable for "the database is not there (now)", the error itself otherwise."""
    if isinstance(exc, StoreUnavailable) or not is_unavailable(exc):
        return exc
    error = StoreUnavailable(type(exc).__name__)
    error.__cause__ = exc
    return error


@contextlib.contextmanager
def store_errors() -> Iterator[None]:
    """Within it, "the database is not there (now)" is raised as StoreUnavailable, not as a driver error."""
    try:
        yield
    except Exception as exc:
        error = as_store_error(exc)
        if error is exc:
            raise
        raise error from exc


@contextlib.asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A transaction that raises StoreUnavailable, not a driver error, when the database is down."""
    with store_errors():
        async with engine.begin() as conn:
            yield conn


@contextlib.asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for lone read statements outside any transaction: no BEGIN or COMMIT round trips."""
    option = {"isolation_level": "AUTOCOMMIT"} if engine.dialect.name == "postgresql" else {NO_BEGIN: True}
    with store_errors():
        async with engine.connect() as conn:
            yield await conn.execution_options(**option)
