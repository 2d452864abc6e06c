"""A turn's SQLite work in one trip to one thread, not one trip per statement.

Through aiosqlite every statement (and check-out, BEGIN, COMMIT, check-in) is a
hop to its thread and back, and each hop back waits for a turn of the event
loop. Under load the loop is busy, so a turn's eight or so hops held SQLite's
one connection, and its write lock, for many loop turns. Here a whole read, or
a whole transaction, is one synchronous function run on one dedicated thread
with its own connection to the same file: the lock is held only while that
thread runs, never while it waits for the loop.

The thread keeps its one connection open between trips. Checking a connection
out of the pool and back in for every trip (with the pool's reset on return)
cost more than the turn's statements themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from bot.storage.db import NO_BEGIN, sqlite_hooks, store_errors

T = TypeVar("T")


def for_thread(url: URL) -> SqliteThread | None:
    """A thread for this SQLite file; None for an in-memory database, which only its own connection sees."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return SqliteThread(url.set(drivername="sqlite"))


class SqliteThread:
    conn = None  # no connection shared with the event loop: "forget me" opens its own transaction

    def __init__(self, url: URL):
        # One connection, used only by the one thread: the turns take SQLite's write lock one at a time anyway.
        self.engine: Engine = create_engine(url, connect_args={"timeout": 30}, pool_size=1, max_overflow=0)
        sqlite_hooks(self.engine)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leadbot-sqlite")
        self._conn: Connection | None = None  # opened, used and closed only on the thread

    async def read(self, fn: Callable[..., T], *args) -> T:
        """`fn(connection, *args)` outside a transaction: lone SELECTs, without the write lock."""
        return await self._run(self._read, fn, *args)

    async def write(self, fn: Callable[..., T], *args) -> T:
        """`fn(connection, *args)` in one transaction (BEGIN IMMEDIATE), committed before this returns."""
        return await self._run(self._write, fn, *args)

    async def _run(self, how: Callable[..., T], fn: Callable[..., T], *args) -> T:
        loop = asyncio.get_running_loop()
        with store_errors():
            return await loop.run_in_executor(self._executor, functools.partial(how, fn, *args))

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed:
            self._conn = self.engine.connect()
        return self._conn

    def _read(self, fn: Callable[..., T], *args) -> T:
        conn = self._connection().execution_options(**{NO_BEGIN: True})
        try:
            return fn(conn, *args)
        except (DBAPIError, sqlite3.Error):
            self._drop()  # a fresh connection for the next trip, in case this one is what failed
            raise
        finally:
            if not conn.closed:
                conn.rollback()  # ends SQLAlchemy's transaction; SQLite had none (no BEGIN was sent)

    def _write(self, fn: Callable[[Connection], T], *args) -> T:
        conn = self._connection().execution_options(**{NO_BEGIN: False})
        try:
            with conn.begin():
                return fn(conn, *args)
        except (DBAPIError, sqlite3.Error):
            self._drop()  # rolled back; a fresh connection for the next trip, as above
            raise

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # already failing; the pool discards a broken connection
                pass
            self._conn = None

    def close(self) -> None:
        """Wait for what is running, close the connection on its own thread, then the engine."""
        with contextlib.suppress(RuntimeError):  # already shut down
            self._executor.submit(self._drop).result()
        self._executor.shutdown(wait=True)
        self.engine.dispose()
