"""A conversation turn in two trips to the database: one read, then the writes.

The read (has this delivery been seen, the conversation, the person's language)
is one SELECT. The dialog then decides on the event loop, and the turn's writes
are kept here until the end. Then one transaction claims the delivery, saves
the conversation only if nobody saved it since the read (its version), and adds
the turn's counts. A claim or version that moved on in between is a
`StateConflict`: the turn is handled again from the read, which then sees the
claim (a duplicate) or the newer conversation.

The statements are built here, once. On SQLite each trip is one hop to the
database thread (`sqlite_thread.py`): the read outside any transaction, the
writes in one, so SQLite's write lock is never held while the dialog runs. On
PostgreSQL both trips are inside one transaction on one connection
(`SqlStore.turn`). On either, the read and the claim-and-save run on the
driver's own connection (`sqlite_turn.py`, `pg_turn.py`); the functions below
run them through SQLAlchemy (an in-memory SQLite database) and do the rarer
writes everywhere.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Connection, and_, bindparam, exists, func, insert, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.storage.audit import escalation_stmt
from bot.storage.tables import conversation_state, feedback_counts, misread_counts, processed_events, user_settings
from dialogs.models import ConversationKey
from dialogs.store import StateConflict, StoredState


def _now() -> datetime:
    return datetime.now(UTC)


def aware(ts: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything we write is UTC.
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def dialect_insert(conn: Connection):
    """The dialect's INSERT, which has ON CONFLICT."""
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def key_clause(key: ConversationKey):
    t = conversation_state.c
    return and_(
        t.platform == key.platform,
        t.workspace_id == key.workspace_id,
        t.user_id == key.user_id,
        t.conversation_id == key.conversation_id,
    )


# The turn's own statements are built once, with bound parameters: building and hashing a
# statement each time cost more than running it (about 0.8 ms a trip on the build machine).
_C, _P, _S = conversation_state.c, processed_events.c, user_settings.c
_PERSON = and_(
    _S.platform == bindparam("platform"),
    _S.workspace_id == bindparam("workspace_id"),
    _S.user_id == bindparam("user_id"),
)


def _conversation(prefix: str = ""):
    return and_(
        _C.platform == bindparam(f"{prefix}platform"),
        _C.workspace_id == bindparam(f"{prefix}workspace_id"),
        _C.user_id == bindparam(f"{prefix}user_id"),
        _C.conversation_id == bindparam(f"{prefix}conversation_id"),
    )


def _read_stmt(with_event: bool, postgres: bool):
    """What a turn reads, as one SELECT of scalar subqueries (one round trip on PostgreSQL)."""
    columns = [
        select(col).where(_conversation()).scalar_subquery().label(col.name)
        for col in (_C.state, _C.version, _C.updated_at)
    ]
    columns.append(select(_S.settings).where(_PERSON).scalar_subquery().label("settings"))
    if with_event:
        seen = exists().where(
            _P.platform == bindparam("platform"),
            _P.workspace_id == bindparam("workspace_id"),
            _P.event_id == bindparam("event_id"),
        )
        columns.append(seen.label("seen"))
    if postgres:
        # The turn's transaction commits without waiting for the disk flush (see `write`):
        # `SET LOCAL` as a column of the read, so that it costs no round trip of its own.
        columns.append(func.set_config("synchronous_commit", "off", True).label("no_flush_wait"))
    return select(*columns)


_READ = {(event, pg): _read_stmt(event, pg) for event in (False, True) for pg in (False, True)}
_NEW_STATE = insert(conversation_state)
_NEXT_STATE = (
    update(conversation_state)
    .where(_conversation("k_"), _C.version == bindparam("k_version"))
    .values(state=bindparam("k_state", type_=JSON), version=bindparam("k_next"), updated_at=bindparam("k_now"))
)
_CLAIM = {
    insert_: insert_(processed_events).on_conflict_do_nothing(index_elements=["platform", "workspace_id", "event_id"])
    for insert_ in (postgresql.insert, sqlite.insert)
}


def _claim_and_save_pg(new_state: bool):
    """PostgreSQL: the claim and the conversation's save in ONE statement (one round trip, not two).

    Two data-modifying CTEs; the SELECT says how many rows each wrote. Inside the turn's
    transaction, so when either wrote nothing the caller raises StateConflict and the
    rollback takes the other back too.
    """
    claim = (
        postgresql.insert(processed_events)
        .values(  # "e_" names: a parameter named like a column would also join the UPDATE's SET
            platform=bindparam("e_platform"),
            workspace_id=bindparam("e_workspace_id"),
            event_id=bindparam("e_event_id"),
            seen_at=bindparam("e_seen_at"),
        )
        .on_conflict_do_nothing(index_elements=["platform", "workspace_id", "event_id"])
        .returning(literal_column("1"))
        .cte("claim")
    )
    if new_state:
        save = (
            postgresql.insert(conversation_state)
            .values(
                platform=bindparam("k_platform"),
                workspace_id=bindparam("k_workspace_id"),
                user_id=bindparam("k_user_id"),
                conversation_id=bindparam("k_conversation_id"),
                state=bindparam("k_state", type_=JSON),
                version=1,
                updated_at=bindparam("k_now"),
            )
            .returning(literal_column("1"))
            .cte("saved")
        )
    else:
        save = _NEXT_STATE.returning(literal_column("1")).cte("saved")
    return select(
        select(func.count()).select_from(claim).scalar_subquery().label("claimed"),
        select(func.count()).select_from(save).scalar_subquery().label("saved"),
    )


_CLAIM_AND_SAVE_PG = {new: _claim_and_save_pg(new) for new in (False, True)}


def claim_stmt(insert_, platform: str, workspace_id: str, event_id: str):
    return (
        insert_(processed_events)
        .values(platform=platform, workspace_id=workspace_id, event_id=event_id[:200], seen_at=_now())
        .on_conflict_do_nothing(index_elements=["platform", "workspace_id", "event_id"])
    )


def feedback_stmt(insert_, platform: str, workspace_id: str, step_id: str, useful: bool):
    column = "useful" if useful else "not_useful"
    stmt = insert_(feedback_counts).values(
        platform=platform, workspace_id=workspace_id, step_id=step_id, useful=int(useful), not_useful=int(not useful)
    )
    return stmt.on_conflict_do_update(
        index_elements=["platform", "workspace_id", "step_id"],
        set_={column: getattr(feedback_counts.c, column) + 1},
    )


def misread_stmt(insert_, platform: str, workspace_id: str, first_guess: str, final: str):
    stmt = insert_(misread_counts).values(
        platform=platform, workspace_id=workspace_id, first_guess=first_guess, final=final, count=1
    )
    return stmt.on_conflict_do_update(
        index_elements=["platform", "workspace_id", "first_guess", "final"],
        set_={"count": misread_counts.c.count + 1},
    )


@dataclass
class Read:
    seen: bool  # the delivery was claimed before: a platform's retry
    state: StoredState | None
    settings: dict[str, Any] | None


def read(conn: Connection, key: ConversationKey, event_id: str | None) -> Read:
    """Has this delivery been seen, the conversation, the person's settings: one statement."""
    params = key.model_dump()
    if event_id:
        params["event_id"] = event_id[:200]
    row = conn.execute(_READ[bool(event_id), conn.dialect.name == "postgresql"], params).one()
    return read_from(row.state, row.version, row.updated_at, row.settings, bool(event_id and row.seen))


def read_from(state: Any, version: int | None, updated_at: datetime | None, settings: Any, seen: bool) -> Read:
    stored = (
        StoredState(data=state, version=version, updated_at=aware(updated_at))
        if version is not None and updated_at is not None
        else None
    )
    return Read(seen=seen, state=stored, settings=settings if isinstance(settings, dict) else None)


@dataclass
class Writes:
    """What a turn writes, kept until its one transaction."""

    state: dict[str, Any] | None = None
    language: str | None = None
    feedback: list[tuple[str, bool]] = field(default_factory=list)
    misreads: list[tuple[str, str]] = field(default_factory=list)
    escalations: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.state is not None or self.language or self.feedback or self.misreads or self.escalations)


def write(conn: Connection, key: ConversationKey, event_id: str | None, version: int | None, writes: Writes) -> None:
    """The turn's one transaction (the caller's) through SQLAlchemy: claim, conversation, language, counts.

    PostgreSQL's usual turn (a claim and a save) goes through `pg_turn` instead, in one statement."""
    statements = save_statements(dialect_insert(conn))
    now = _now()
    claim_then_save(
        lambda name, params: conn.execute(statements[name], params).rowcount,
        key,
        event_id,
        version,
        writes.state,
        now,
    )
    write_counts(conn, key, writes, now)


def write_counts(conn: Connection, key: ConversationKey, writes: Writes, now: datetime) -> None:
    """The rest of a turn's writes, in its transaction: language, feedback, misreads, escalations."""
    insert_ = dialect_insert(conn)
    k = key
    if writes.language:
        _set_language(conn, insert_, k, writes.language, now)
    for step_id, useful in writes.feedback:
        conn.execute(feedback_stmt(insert_, k.platform, k.workspace_id, step_id, useful))
    for first_guess, final in writes.misreads:
        conn.execute(misread_stmt(insert_, k.platform, k.workspace_id, first_guess, final))
    today: date = now.date()
    for topic in writes.escalations:
        conn.execute(escalation_stmt(insert_, k.platform, topic, today))


def has_counts(writes: Writes) -> bool:
    return bool(writes.language or writes.feedback or writes.misreads or writes.escalations)


def save_statements(insert_) -> dict[str, Any]:
    """What `claim_then_save` runs, by name, with the dialect's INSERT (for its ON CONFLICT)."""
    return {"claim": _CLAIM[insert_], "new_state": _NEW_STATE, "next_state": _NEXT_STATE}


def claim_then_save(
    run: Callable[[str, dict[str, Any]], int],
    key: ConversationKey,
    event_id: str | None,
    version: int | None,
    state: dict[str, Any] | None,
    now: datetime,
) -> None:
    """The claim, then the conversation's save, as two statements.

    `run(name, params)` executes the statement of that name (`save_statements`) and returns
    its row count: through SQLAlchemy (`write`) or on the sqlite3 connection (`sqlite_turn`).
    """
    claim = {"platform": key.platform, "workspace_id": key.workspace_id, "seen_at": now}
    if event_id and run("claim", {**claim, "event_id": event_id[:200]}) != 1:
        raise StateConflict(key)  # another delivery of this event got there since the read: it is a duplicate
    if state is None:
        return
    if version is None:
        # A first turn racing another first turn loses here (an integrity error -> StateConflict).
        run("new_state", {**key.model_dump(), "state": state, "version": 1, "updated_at": now})
        return
    nxt = {"k_version": version, "k_state": state, "k_next": version + 1, "k_now": now}
    if run("next_state", {**key_params(key), **nxt}) != 1:
        raise StateConflict(key)


def claim_and_save_params(key: ConversationKey, event_id: str, version: int | None, state: dict, now: datetime):
    """The parameters of `_CLAIM_AND_SAVE_PG[version is None]`."""
    claimed = {"e_platform": key.platform, "e_workspace_id": key.workspace_id, "e_event_id": event_id[:200]}
    nxt = {"k_state": state, "k_now": now}
    if version is not None:
        nxt |= {"k_version": version, "k_next": version + 1}
    return {**claimed, "e_seen_at": now, **key_params(key), **nxt}


def key_params(key: ConversationKey) -> dict[str, str]:
    """The conversation's key as the k_-named parameters of the save statements."""
    return {f"k_{name}": value for name, value in key.model_dump().items()}


def _set_language(conn: Connection, insert_, key: ConversationKey, code: str, now: datetime) -> None:
    # The row holds a person's other settings too (Slack's quote setting): change only this key,
    # reading it inside the transaction so that a setting saved meanwhile is kept.
    person = {"platform": key.platform, "workspace_id": key.workspace_id, "user_id": key.user_id}
    stored = conn.execute(select(_S.settings).where(_PERSON), person).scalar()
    settings = {**(stored if isinstance(stored, dict) else {}), "language": code}
    stmt = insert_(user_settings).values(
        platform=key.platform, workspace_id=key.workspace_id, user_id=key.user_id, settings=settings, updated_at=now
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["platform", "workspace_id", "user_id"], set_={"settings": settings, "updated_at": now}
        )
    )


class SqlTurn:
    """`dialogs.store.Turn` over a `Read`: the writes are kept in `writes` for the turn's transaction.

    "Forget me" is the exception: it needs the count for its answer, so it runs at once
    (`forget`, the store's own transaction, which also claims the delivery) and the turn is then done.
    """

    def __init__(self, key: ConversationKey, read_: Read, forget: Callable[[], Awaitable[int]]):
        self.key, self.state = key, read_.state
        code = (read_.settings or {}).get("language")
        self._language = code if isinstance(code, str) else None
        self._forget = forget
        self.writes = Writes()
        self.forgotten = False

    async def save(self, data: dict[str, Any]) -> None:
        self.writes.state = data

    async def forget_user(self) -> int:
        count = await self._forget()
        self.forgotten = True
        return count

    async def add_feedback(self, step_id: str, useful: bool) -> None:
        self.writes.feedback.append((step_id, useful))

    async def add_misread(self, first_guess: str, final: str) -> None:
        self.writes.misreads.append((first_guess, final))

    async def add_escalation(self, topic: str) -> None:
        """Counted per day, platform and topic in the audit log: never who, never the words."""
        self.writes.escalations.append(topic)

    async def language(self) -> str | None:
        return self._language

    async def set_language(self, code: str) -> None:
        self._language = self.writes.language = code
