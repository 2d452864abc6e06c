"""A SQLite turn's read and write on the sqlite3 connection itself, on the database thread.

The same statements as `sql_turn` (SQLAlchemy's, compiled once, `compiled.py`),
sent to the sqlite3 connection behind the thread's kept SQLAlchemy connection,
so the transaction is still begun (BEGIN IMMEDIATE) and committed by SQLAlchemy.
The rarer writes (language, counts) go through SQLAlchemy in that transaction.
Through SQLAlchemy's execution path these trips had cost about 0.2 ms of a
turn; on the driver about 0.08 ms.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import sqlite

from bot.storage import sql_turn
from bot.storage.compiled import Compiled
from bot.storage.sql_turn import Read, Writes
from dialogs.models import ConversationKey
from dialogs.store import StateConflict


class SqliteStatements:
    """The turn's statements, compiled for the thread's engine (once per store)."""

    def __init__(self, dialect):
        self.read = {event: Compiled(sql_turn._READ[event, False], dialect) for event in (False, True)}
        self.save = {name: Compiled(stmt, dialect) for name, stmt in sql_turn.save_statements(sqlite.insert).items()}


def read(conn: Connection, statements: SqliteStatements, key: ConversationKey, event_id: str | None) -> Read:
    """As `sql_turn.read`: has this delivery been seen, the conversation, the person's settings."""
    params = key.model_dump()
    if event_id:
        params["event_id"] = event_id[:200]
    compiled = statements.read[bool(event_id)]
    cursor = _driver(conn).execute(compiled.sql, compiled.args(params))
    try:
        values = compiled.row(cursor.fetchone())
    finally:
        cursor.close()  # the read's snapshot ends here, not when the cursor is collected
    state, version, updated_at, settings, *seen = values
    return sql_turn.read_from(state, version, updated_at, settings, bool(event_id and seen and seen[0]))


def write(
    conn: Connection,
    statements: SqliteStatements,
    key: ConversationKey,
    event_id: str | None,
    version: int | None,
    writes: Writes,
) -> None:
    """As `sql_turn.write`, inside the caller's transaction: claim, conversation, then the counts."""
    raw = _driver(conn)

    def run(name: str, params: dict[str, Any]) -> int:
        compiled = statements.save[name]
        return raw.execute(compiled.sql, compiled.args(params)).rowcount

    now = datetime.now(UTC)
    try:
        sql_turn.claim_then_save(run, key, event_id, version, writes.state, now)
    except sqlite3.IntegrityError as exc:
        raise StateConflict(key) from exc  # a first turn raced by another first turn
    if sql_turn.has_counts(writes):
        sql_turn.write_counts(conn, key, writes, now)


def _driver(conn: Connection) -> sqlite3.Connection:
    return conn.connection.driver_connection  # type: ignore[return-value]
