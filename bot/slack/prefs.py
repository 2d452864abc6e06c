"""A manager's own Slack settings, in the shared `user_settings` table ("forget me" deletes them).

Read on most diagnosis turns (whether to show the quotation), changed rarely (the
App Home switch): each process keeps what it read for `KEEP_SECONDS`, which
saves a diagnosis turn its second transaction (on SQLite, a second turn at the
one connection's write lock). A change made here is seen here at once; one made
through another replica within `KEEP_SECONDS`; "forget me" drops it here.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.db import transaction
from bot.storage.tables import user_settings

PLATFORM = "slack"


class Prefs(BaseModel):
    show_quotes: bool = True  # the quotation and its source under each diagnosis
    language: str | None = None  # "cy" or "en" once the person has said which (kept when the quote setting changes)


KEEP_SECONDS = 30.0
KEEP_AT_MOST = 10_000  # people; past it the memory starts again empty


class PrefsStore:
    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        self._kept: dict[tuple[str, str], tuple[float, Prefs]] = {}

    def forget(self, workspace_id: str, user_id: str) -> None:
        self._kept.pop((workspace_id, user_id), None)

    def _keep(self, workspace_id: str, user_id: str, prefs: Prefs) -> Prefs:
        if len(self._kept) >= KEEP_AT_MOST:
            self._kept.clear()
        self._kept[(workspace_id, user_id)] = (time.monotonic() + KEEP_SECONDS, prefs)
        return prefs

    def remembered(self, workspace_id: str, user_id: str) -> Prefs | None:
        """What this process already holds for the person, without touching the database (None if nothing)."""
        kept = self._kept.get((workspace_id, user_id))
        return kept[1] if kept is not None and kept[0] > time.monotonic() else None

    async def load(self, workspace_id: str, user_id: str) -> Prefs:
        kept = self._kept.get((workspace_id, user_id))
        if kept is not None and kept[0] > time.monotonic():
            return kept[1]
        return self._keep(workspace_id, user_id, await self._read(workspace_id, user_id))

    async def _read(self, workspace_id: str, user_id: str) -> Prefs:
        t = user_settings.c
        async with transaction(self.engine) as conn:
            row = (
                await conn.execute(
                    select(t.settings).where(
                        t.platform == PLATFORM, t.workspace_id == workspace_id, t.user_id == user_id
                    )
                )
            ).first()
        if row is None:
            return Prefs()
        try:
            return Prefs.model_validate(row.settings)
        except ValidationError:
            return Prefs()  # written by an older version: defaults rather than an error

    async def save(self, workspace_id: str, user_id: str, prefs: Prefs) -> None:
        now = datetime.now(UTC)
        data = prefs.model_dump(mode="json")
        stmt = self._insert(user_settings).values(
            platform=PLATFORM, workspace_id=workspace_id, user_id=user_id, settings=data, updated_at=now
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["platform", "workspace_id", "user_id"], set_={"settings": data, "updated_at": now}
        )
        self.forget(workspace_id, user_id)
        async with transaction(self.engine) as conn:
            await conn.execute(stmt)
        self._keep(workspace_id, user_id, prefs)
