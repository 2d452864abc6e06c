"""A PostgreSQL turn's two usual statements run on the asyncpg connection itself.

`sql_turn` builds a turn's read and its claim-and-save as SQLAlchemy statements,
compiled once. Run through SQLAlchemy's async engine, each still went through
its greenlet bridge, execution context and result machinery: about a third of a
PostgreSQL turn's CPU, several times the statements' own cost (benchmarks/README,
"Turn storage on the drivers"). Here the same compiled SQL is sent straight
to the pooled asyncpg connection SQLAlchemy checked out, inside an asyncpg
transaction; the rarer writes (language, feedback, escalation counts, "forget
me") still go through SQLAlchemy on that same connection and transaction.

Values are converted by the column types' own processors (`compiled.py`):
JSON goes as its text to the json codec SQLAlchemy's asyncpg dialect gives each
connection, which hands back Python objects; strings, integers and aware
datetimes go to asyncpg as they are.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage import sql_turn
from bot.storage.compiled import Compiled
from bot.storage.db import store_errors
from bot.storage.sql_turn import Read, Writes
from dialogs.models import ConversationKey
from dialogs.store import StateConflict


class PgStatements:
    """The turn's statements, compiled for this engine's dialect (once per store)."""

    def __init__(self, dialect):
        self.read = {event: Compiled(sql_turn._READ[event, True], dialect) for event in (False, True)}
        self.claim_and_save = {new: Compiled(sql_turn._CLAIM_AND_SAVE_PG[new], dialect) for new in (False, True)}


class PgTrips:
    """A turn's read and write on one pooled connection, in one asyncpg transaction."""

    def __init__(self, conn: AsyncConnection, raw, statements: PgStatements):
        self.conn = conn  # SQLAlchemy's view of the same connection, for the rarer writes
        self._raw = raw
        self._statements = statements

    async def read_turn(self, key: ConversationKey, event_id: str | None) -> Read:
        params: dict[str, Any] = key.model_dump()
        if event_id:
            params["event_id"] = event_id[:200]
        compiled = self._statements.read[bool(event_id)]
        row = await self._raw.fetchrow(compiled.sql, *compiled.args(params))
        seen = bool(event_id and row["seen"])
        return sql_turn.read_from(row["state"], row["version"], row["updated_at"], row["settings"], seen)

    async def write_turn(self, key: ConversationKey, event_id: str | None, version: int | None, writes: Writes):
        # The read set synchronous_commit off for this transaction: committed before the answer,
        # written to disk a moment after it (a PostgreSQL crash can lose the last moment's turns,
        # as SQLite's synchronous=NORMAL can).
        now = datetime.now(UTC)
        if event_id and writes.state is not None:
            # The usual turn: the claim and the conversation's save in one statement (sql_turn).
            compiled = self._statements.claim_and_save[version is None]
            params = sql_turn.claim_and_save_params(key, event_id, version, writes.state, now)
            row = await self._raw.fetchrow(compiled.sql, *compiled.args(params))
            if row["claimed"] != 1 or row["saved"] != 1:
                raise StateConflict(key)  # a duplicate delivery, or the conversation moved on since the read
            if sql_turn.has_counts(writes):
                await self.conn.run_sync(sql_turn.write_counts, key, writes, now)
            return
        await self.conn.run_sync(sql_turn.write, key, event_id, version, writes)


@contextlib.asynccontextmanager
async def pg_trips(engine: AsyncEngine, statements: PgStatements) -> AsyncIterator[PgTrips]:
    """One pooled connection and one transaction, begun and committed by asyncpg.

    SQLAlchemy's side of the connection is in autocommit mode, so it begins and ends
    nothing itself: what it runs on this connection is inside the asyncpg transaction.
    """
    with store_errors():
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            raw = (await conn.get_raw_connection()).driver_connection
            async with raw.transaction():
                yield PgTrips(conn, raw, statements)
