"""`dialogs.store.Store` on SQLAlchemy: SQLite by default, PostgreSQL to scale out.

Guarantees that must hold across replicas rest on the database, not on memory:
a delivery is claimed with an INSERT that only one replica can win; a
conversation is saved only if nobody saved it since it was read.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage import audit, sql_turn, sqlite_turn
from bot.storage.audit import AuditLog
from bot.storage.db import transaction
from bot.storage.keyed_locks import KeyedLocks
from bot.storage.pg_turn import PgStatements, PgTrips, pg_trips
from bot.storage.sql_turn import Read, SqlTurn, Writes, aware, claim_stmt, feedback_stmt, key_clause, misread_stmt
from bot.storage.sqlite_thread import SqliteThread, for_thread
from bot.storage.sqlite_turn import SqliteStatements
from bot.storage.tables import (
    conversation_state,
    feedback_counts,
    metadata,
    misread_counts,
    processed_events,
)
from dialogs.models import ConversationKey
from dialogs.store import StateConflict, StoredState

RECEIPT_DAYS = 1  # Slack retries for minutes and Teams for less; a day is ample


def _now() -> datetime:
    return datetime.now(UTC)


class _OneTransaction:
    """A turn's trips as `run_sync` on one async connection, inside the caller's transaction
    (an in-memory SQLite database, which only its own connection sees)."""

    def __init__(self, conn: AsyncConnection):
        self.conn = conn

    async def read_turn(self, key: ConversationKey, event_id: str | None) -> Read:
        return await self.conn.run_sync(sql_turn.read, key, event_id)

    async def write_turn(self, key: ConversationKey, event_id: str | None, version: int | None, writes: Writes):
        await self.conn.run_sync(sql_turn.write, key, event_id, version, writes)


class _ThreadTrips:
    """A turn's trips on SQLite on a file: each one hop to the database thread, no transaction open in between,
    the statements run on the driver there (sqlite_turn)."""

    conn = None  # "forget me" opens its own transaction

    def __init__(self, thread: SqliteThread, statements: SqliteStatements):
        self._thread = thread
        self._statements = statements

    async def read_turn(self, key: ConversationKey, event_id: str | None) -> Read:
        return await self._thread.read(sqlite_turn.read, self._statements, key, event_id)

    async def write_turn(self, key: ConversationKey, event_id: str | None, version: int | None, writes: Writes):
        await self._thread.write(sqlite_turn.write, self._statements, key, event_id, version, writes)


class SqlStore:
    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self.is_postgres = engine.dialect.name == "postgresql"
        self._insert = postgresql.insert if self.is_postgres else sqlite.insert
        self._thread = for_thread(engine.url)  # SQLite on a file: each trip one hop to one thread
        self._conversations = KeyedLocks()
        self._pg_statements = PgStatements(engine.dialect) if engine.dialect.driver == "asyncpg" else None
        self._sqlite_statements = SqliteStatements(self._thread.engine.dialect) if self._thread is not None else None

    async def close(self) -> None:
        if self._thread is not None:
            self._thread.close()

    @contextlib.asynccontextmanager
    async def turn(self, key: ConversationKey, event_id: str | None) -> AsyncIterator[SqlTurn | None]:
        """Read, let the body decide, then claim the delivery and write the turn in ONE transaction.

        A turn that fails writes nothing and leaves no claim behind, so the platform's retry
        of that event is handled. In this process one conversation's turns take turns, as
        they did when the read locked the row, so they do not keep conflicting with each other.
        """
        try:
            async with self._conversations.hold(key), self._trips() as trips:
                found = await trips.read_turn(key, event_id)
                if found.seen:
                    yield None
                    return
                turn = SqlTurn(key, found, lambda: self._forget_turn(key, event_id, trips.conn))
                yield turn
                if turn.forgotten or not (event_id or turn.writes):
                    return
                version = found.state.version if found.state else None
                await trips.write_turn(key, event_id, version, turn.writes)
        except IntegrityError as exc:
            raise StateConflict(key) from exc
        except Exception as exc:
            if type(exc).__name__ == "UniqueViolationError":  # asyncpg's, from a statement run on the driver
                raise StateConflict(key) from exc
            raise

    @contextlib.asynccontextmanager
    async def _trips(self) -> AsyncIterator[_ThreadTrips | PgTrips | _OneTransaction]:
        """Where a turn's read and write go (see sql_turn).

        SQLite on a file: each a hop to the database thread, no transaction open in between.
        PostgreSQL: one pooled connection and one transaction for both (one check-out, not
        two), the usual statements run on the driver (pg_turn); the read takes no lock, so
        holding it open for the body blocks nobody.
        """
        if self._thread is not None:
            yield _ThreadTrips(self._thread, self._sqlite_statements)
            return
        if self._pg_statements is not None:
            async with pg_trips(self.engine, self._pg_statements) as trips:
                yield trips
            return
        async with transaction(self.engine) as conn:
            yield _OneTransaction(conn)

    async def _forget_turn(self, key: ConversationKey, event_id: str | None, conn: AsyncConnection | None) -> int:
        """ "forget me" as a turn: the claim and every table, in the turn's transaction or one of its own."""
        if conn is None:
            async with transaction(self.engine) as own:
                return await self._forget_turn(key, event_id, own)
        if self.is_postgres:
            # The turn's read set this transaction not to wait for the disk flush; "forget me"
            # waits for it, so that an answer "forgotten" survives a crash of the server too.
            await conn.exec_driver_sql("SET LOCAL synchronous_commit TO ON")
        if event_id:
            claimed = await conn.execute(claim_stmt(self._insert, key.platform, key.workspace_id, event_id))
            if claimed.rowcount != 1:
                raise StateConflict(key)
        return await self._forget(conn, key.platform, key.workspace_id, key.user_id)

    async def load_state(self, key: ConversationKey) -> StoredState | None:
        t = conversation_state.c
        async with transaction(self.engine) as conn:
            row = (await conn.execute(select(t.state, t.version, t.updated_at).where(key_clause(key)))).first()
        if row is None:
            return None
        return StoredState(data=row.state, version=row.version, updated_at=aware(row.updated_at))

    async def save_state(self, key: ConversationKey, data: dict[str, Any], expected_version: int | None) -> int:
        now = _now()
        try:
            async with transaction(self.engine) as conn:
                if expected_version is None:
                    await conn.execute(
                        insert(conversation_state).values(**key.model_dump(), state=data, version=1, updated_at=now)
                    )
                    return 1
                result = await conn.execute(
                    update(conversation_state)
                    .where(key_clause(key), conversation_state.c.version == expected_version)
                    .values(state=data, version=expected_version + 1, updated_at=now)
                )
                if result.rowcount != 1:
                    raise StateConflict(key)
                return expected_version + 1
        except IntegrityError as exc:
            raise StateConflict(key) from exc

    async def delete_state(self, key: ConversationKey) -> None:
        async with transaction(self.engine) as conn:
            await conn.execute(delete(conversation_state).where(key_clause(key)))

    async def forget_user(self, platform: str, workspace_id: str, user_id: str) -> int:
        """Delete from every table that declares a user column: nothing about this person is left."""
        async with transaction(self.engine) as conn:
            return await self._forget(conn, platform, workspace_id, user_id)

    async def _forget(self, conn: AsyncConnection, platform: str, workspace_id: str, user_id: str) -> int:
        """Every table, the audit log's "who" included; then the run itself is noted: a count, not who."""
        count = await forget_in(conn, metadata.sorted_tables, platform, workspace_id, user_id)
        await audit.record(conn, "forget_me", "ran", platform=platform, count=count)
        return count

    async def add_feedback(self, platform: str, workspace_id: str, step_id: str, useful: bool) -> None:
        async with transaction(self.engine) as conn:
            await conn.execute(feedback_stmt(self._insert, platform, workspace_id, step_id, useful))

    async def add_misread(self, platform: str, workspace_id: str, first_guess: str, final: str) -> None:
        async with transaction(self.engine) as conn:
            await conn.execute(misread_stmt(self._insert, platform, workspace_id, first_guess, final))

    async def claim_event(self, platform: str, workspace_id: str, event_id: str) -> bool:
        async with transaction(self.engine) as conn:
            result = await conn.execute(claim_stmt(self._insert, platform, workspace_id, event_id))
        return result.rowcount == 1

    async def release_event(self, platform: str, workspace_id: str, event_id: str) -> None:
        t = processed_events.c
        async with transaction(self.engine) as conn:
            await conn.execute(
                delete(processed_events).where(
                    t.platform == platform, t.workspace_id == workspace_id, t.event_id == event_id[:200]
                )
            )

    # --- housekeeping and reporting -------------------------------------------

    async def purge(
        self, retention_days: int, now: datetime | None = None, audit_days: int | None = None
    ) -> dict[str, int]:
        """Delete conversation state past retention and delivery receipts older than a day; with
        `audit_days`, audit events older than that too. Each run is noted in the audit log."""
        now = now or _now()
        async with transaction(self.engine) as conn:
            states = await conn.execute(
                delete(conversation_state).where(conversation_state.c.updated_at < now - timedelta(days=retention_days))
            )
            receipts = await conn.execute(
                delete(processed_events).where(processed_events.c.seen_at < now - timedelta(days=RECEIPT_DAYS))
            )
            purged = {"conversation_state": states.rowcount or 0, "processed_events": receipts.rowcount or 0}
            await audit.record_retention(conn, "conversations", purged, now)
        if audit_days is not None:
            purged.update(await AuditLog(self.engine).purge(audit_days, now))
        return purged

    async def feedback_report(self) -> list[tuple[str, int, int]]:
        t = feedback_counts.c
        async with transaction(self.engine) as conn:
            rows = await conn.execute(
                select(t.step_id, func.sum(t.useful), func.sum(t.not_useful)).group_by(t.step_id).order_by(t.step_id)
            )
            return [(r[0], int(r[1]), int(r[2])) for r in rows]

    async def misread_report(self) -> list[tuple[str, str, int]]:
        t = misread_counts.c
        async with transaction(self.engine) as conn:
            rows = await conn.execute(
                select(t.first_guess, t.final, func.sum(t.count))
                .group_by(t.first_guess, t.final)
                .order_by(func.sum(t.count).desc(), t.first_guess, t.final)
            )
            return [(r[0], r[1], int(r[2])) for r in rows]

    async def ping(self) -> None:
        async with transaction(self.engine) as conn:
            await conn.execute(text("SELECT 1"))


async def forget_in(conn: AsyncConnection, tables, platform: str, workspace_id: str, user_id: str) -> int:
    """ "forget me" over the tables that say what they hold about a person (bot.storage.tables).

    A table with `info["user_column"]` loses that person's rows, unless it also names
    `info["forget_scrubs"]`: its rows belong to someone else (a channel's nudge subscription
    names who turned it on), so only those columns are emptied. A table with
    `info["voter_hash_column"]` (open polls' voters) holds no user id, only a hash per poll of it:
    the person's hash is worked out for each poll in the workspace and deleted. Returns the rows changed.
    """
    changed = 0
    for table in tables:
        if table.info.get("voter_hash_column"):
            changed += await _forget_voter(conn, table, platform, workspace_id, user_id)
            continue
        column = table.info.get("user_column")
        if not column:
            continue
        mine = and_(table.c.platform == platform, table.c.workspace_id == workspace_id, table.c[column] == user_id)
        scrubbed = table.info.get("forget_scrubs")
        stmt = update(table).where(mine).values(dict.fromkeys(scrubbed)) if scrubbed else delete(table).where(mine)
        result = await conn.execute(stmt)
        changed += max(result.rowcount or 0, 0)
    return changed


async def _forget_voter(conn: AsyncConnection, table, platform: str, workspace_id: str, user_id: str) -> int:
    from dialogs.nudges.store import voter_hash

    t = table.c
    in_workspace = and_(t.platform == platform, t.workspace_id == workspace_id)
    polls = (await conn.execute(select(t.channel_id, t.week).where(in_workspace).distinct())).all()
    if not polls:
        return 0
    mine = [voter_hash((platform, workspace_id, p.channel_id), p.week, user_id) for p in polls]
    result = await conn.execute(delete(table).where(in_workspace, t[table.info["voter_hash_column"]].in_(mine)))
    return max(result.rowcount or 0, 0)
