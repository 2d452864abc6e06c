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
        self.claim = Compiled(sql_turn._CLAIM[sqlite.insert], dialect)
        self.new_state = Compiled(sql_turn._NEW_STATE, dialect)
        self.next_state = Compiled(sql_turn._NEXT_STATE, dialect)


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
    now = datetime.now(UTC)
    try:
        if event_id:
            claim = {"platform": key.platform, "workspace_id": key.workspace_id, "event_id": event_id[:200]}
            if raw.execute(statements.claim.sql, statements.claim.args({**claim, "seen_at": now})).rowcount != 1:
                raise StateConflict(key)  # another delivery of this event got there since the read
        if writes.state is not None:
            if version is None:
                new = {**key.model_dump(), "state": writes.state, "version": 1, "updated_at": now}
                raw.execute(statements.new_state.sql, statements.new_state.args(new))
            else:
                nxt = {"k_version": version, "k_state": writes.state, "k_next": version + 1, "k_now": now}
                params = {**sql_turn.key_params(key), **nxt}
                if raw.execute(statements.next_state.sql, statements.next_state.args(params)).rowcount != 1:
                    raise StateConflict(key)
    except sqlite3.IntegrityError as exc:
        raise StateConflict(key) from exc  # a first turn raced by another first turn
    if sql_turn.has_counts(writes):
        sql_turn.write_counts(conn, key, writes, now)


def _driver(conn: Connection) -> sqlite3.Connection:
    return conn.connection.driver_connection  # type: ignore[return-value]
