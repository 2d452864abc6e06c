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

from bot.storage import audit
from bot.storage.audit import AuditLog
from bot.storage.db import transaction
from bot.storage.tables import (
    conversation_state,
    feedback_counts,
    metadata,
    misread_counts,
    processed_events,
    user_settings,
)
from dialogs.models import ConversationKey
from dialogs.store import StateConflict, StoredState

RECEIPT_DAYS = 1  # Slack retries for minutes and Teams for less; a day is ample


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(ts: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything we write is UTC.
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _key_clause(key: ConversationKey):
    t = conversation_state.c
    return and_(
        t.platform == key.platform,
        t.workspace_id == key.workspace_id,
        t.user_id == key.user_id,
        t.conversation_id == key.conversation_id,
    )


class SqlTurn:
    """A conversation turn inside one open transaction (see SqlStore.turn)."""

    def __init__(self, store: SqlStore, conn: AsyncConnection, key: ConversationKey, state: StoredState | None):
        self.store, self.conn, self.key, self.state = store, conn, key, state

    async def save(self, data: dict[str, Any]) -> None:
        now = _now()
        if self.state is None:
            # A first turn racing another first turn for the same conversation loses here
            # (IntegrityError -> StateConflict) and is handled again from the top.
            await self.conn.execute(
                insert(conversation_state).values(**self.key.model_dump(), state=data, version=1, updated_at=now)
            )
            return
        result = await self.conn.execute(
            update(conversation_state)
            .where(_key_clause(self.key), conversation_state.c.version == self.state.version)
            .values(state=data, version=self.state.version + 1, updated_at=now)
        )
        if result.rowcount != 1:
            raise StateConflict(self.key)

    async def forget_user(self) -> int:
        return await self.store._forget(self.conn, self.key.platform, self.key.workspace_id, self.key.user_id)

    async def add_feedback(self, step_id: str, useful: bool) -> None:
        await self.conn.execute(self.store._feedback_stmt(self.key.platform, self.key.workspace_id, step_id, useful))

    async def add_misread(self, first_guess: str, final: str) -> None:
        await self.conn.execute(self.store._misread_stmt(self.key.platform, self.key.workspace_id, first_guess, final))

    async def add_escalation(self, topic: str) -> None:
        """Counted per day, platform and topic in the audit log: never who, never the words."""
        await audit.count_escalation(self.conn, self.key.platform, topic, _now().date())

    async def language(self) -> str | None:
        settings = await self._settings()
        code = settings.get("language") if settings else None
        return code if isinstance(code, str) else None

    async def set_language(self, code: str) -> None:
        # The row holds a person's other settings too (Slack's quote setting): change only this key.
        settings = dict(await self._settings() or {})
        settings["language"] = code
        now = _now()
        k = self.key
        stmt = self.store._insert(user_settings).values(
            platform=k.platform, workspace_id=k.workspace_id, user_id=k.user_id, settings=settings, updated_at=now
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["platform", "workspace_id", "user_id"], set_={"settings": settings, "updated_at": now}
        )
        await self.conn.execute(stmt)

    async def _settings(self) -> dict | None:
        t = user_settings.c
        k = self.key
        row = (
            await self.conn.execute(
                select(t.settings).where(
                    t.platform == k.platform, t.workspace_id == k.workspace_id, t.user_id == k.user_id
                )
            )
        ).first()
        return row.settings if row and isinstance(row.settings, dict) else None


class SqlStore:
    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self.is_postgres = engine.dialect.name == "postgresql"
        self._insert = postgresql.insert if self.is_postgres else sqlite.insert

    @contextlib.asynccontextmanager
    async def turn(self, key: ConversationKey, event_id: str | None) -> AsyncIterator[SqlTurn | None]:
        """Claim the delivery, read the conversation and write the turn in ONE transaction.

        One commit per turn instead of three; and a turn that fails leaves no claim behind,
        so the platform's retry of that event is handled rather than ignored.
        """
        try:
            async with transaction(self.engine) as conn:
                if event_id:
                    claimed = await conn.execute(self._claim_stmt(key.platform, key.workspace_id, event_id))
                    if claimed.rowcount != 1:
                        yield None
                        return
                t = conversation_state.c
                query = select(t.state, t.version, t.updated_at).where(_key_clause(key))
                if self.is_postgres:
                    query = query.with_for_update()  # the same conversation on two replicas takes turns
                row = (await conn.execute(query)).first()
                state = (
                    StoredState(data=row.state, version=row.version, updated_at=_aware(row.updated_at)) if row else None
                )
                yield SqlTurn(self, conn, key, state)
        except IntegrityError as exc:
            raise StateConflict(key) from exc

    async def load_state(self, key: ConversationKey) -> StoredState | None:
        t = conversation_state.c
        async with transaction(self.engine) as conn:
            row = (await conn.execute(select(t.state, t.version, t.updated_at).where(_key_clause(key)))).first()
        if row is None:
            return None
        return StoredState(data=row.state, version=row.version, updated_at=_aware(row.updated_at))

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
                    .where(_key_clause(key), conversation_state.c.version == expected_version)
                    .values(state=data, version=expected_version + 1, updated_at=now)
                )
                if result.rowcount != 1:
                    raise StateConflict(key)
                return expected_version + 1
        except IntegrityError as exc:
            raise StateConflict(key) from exc

    async def delete_state(self, key: ConversationKey) -> None:
        async with transaction(self.engine) as conn:
            await conn.execute(delete(conversation_state).where(_key_clause(key)))

    async def forget_user(self, platform: str, workspace_id: str, user_id: str) -> int:
        """Delete from every table that declares a user column: nothing about this person is left."""
        async with transaction(self.engine) as conn:
            return await self._forget(conn, platform, workspace_id, user_id)

    async def _forget(self, conn: AsyncConnection, platform: str, workspace_id: str, user_id: str) -> int:
        """Every table, the audit log's "who" included; then the run itself is noted: a count, not who."""
        count = await forget_in(conn, metadata.sorted_tables, platform, workspace_id, user_id)
        await audit.record(conn, "forget_me", "ran", platform=platform, count=count)
        return count

    def _feedback_stmt(self, platform: str, workspace_id: str, step_id: str, useful: bool):
        column = "useful" if useful else "not_useful"
        stmt = self._insert(feedback_counts).values(
            platform=platform,
            workspace_id=workspace_id,
            step_id=step_id,
            useful=int(useful),
            not_useful=int(not useful),
        )
        return stmt.on_conflict_do_update(
            index_elements=["platform", "workspace_id", "step_id"],
            set_={column: getattr(feedback_counts.c, column) + 1},
        )

    def _misread_stmt(self, platform: str, workspace_id: str, first_guess: str, final: str):
        stmt = self._insert(misread_counts).values(
            platform=platform, workspace_id=workspace_id, first_guess=first_guess, final=final, count=1
        )
        return stmt.on_conflict_do_update(
            index_elements=["platform", "workspace_id", "first_guess", "final"],
            set_={"count": misread_counts.c.count + 1},
        )

    def _claim_stmt(self, platform: str, workspace_id: str, event_id: str):
        return (
            self._insert(processed_events)
            .values(platform=platform, workspace_id=workspace_id, event_id=event_id[:200], seen_at=_now())
            .on_conflict_do_nothing(index_elements=["platform", "workspace_id", "event_id"])
        )

    async def add_feedback(self, platform: str, workspace_id: str, step_id: str, useful: bool) -> None:
        async with transaction(self.engine) as conn:
            await conn.execute(self._feedback_stmt(platform, workspace_id, step_id, useful))

    async def add_misread(self, platform: str, workspace_id: str, first_guess: str, final: str) -> None:
        async with transaction(self.engine) as conn:
            await conn.execute(self._misread_stmt(platform, workspace_id, first_guess, final))

    async def claim_event(self, platform: str, workspace_id: str, event_id: str) -> bool:
        async with transaction(self.engine) as conn:
            result = await conn.execute(self._claim_stmt(platform, workspace_id, event_id))
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
