"""A turn's SQLite work in one trip to one thread, not one trip per statement.

Through aiosqlite every statement (and check-out, BEGIN, COMMIT, check-in) is a
hop to its thread and back, and each hop back waits for a turn of the event
loop. Under load the loop is busy, so a turn's eight or so hops held SQLite's
one connection, and its write lock, for many loop turns. Here a whole read, or
a whole transaction, is one synchronous function run on one dedicated thread
with its own connection to the same file: the lock is held only while that
thread runs, never while it waits for the loop.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import URL

from bot.storage.db import NO_BEGIN, as_store_error, sqlite_hooks

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

    async def read(self, fn: Callable[..., T], *args) -> T:
        """`fn(connection, *args)` outside a transaction: lone SELECTs, without the write lock."""
        return await self._run(self._read, fn, *args)

    async def write(self, fn: Callable[..., T], *args) -> T:
        """`fn(connection, *args)` in one transaction (BEGIN IMMEDIATE), committed before this returns."""
        return await self._run(self._write, fn, *args)

    async def _run(self, how: Callable[..., T], fn: Callable[..., T], *args) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, functools.partial(how, fn, *args))
        except Exception as exc:
            error = as_store_error(exc)
            if error is exc:
                raise
            raise error from exc

    def _read(self, fn: Callable[..., T], *args) -> T:
        with self.engine.connect() as conn:
            return fn(conn.execution_options(**{NO_BEGIN: True}), *args)

    def _write(self, fn: Callable[[Connection], T], *args) -> T:
        with self.engine.begin() as conn:
            return fn(conn, *args)

    def close(self) -> None:
        """Wait for what is running, then close the connection."""
        self._executor.shutdown(wait=True)
        self.engine.dispose()
