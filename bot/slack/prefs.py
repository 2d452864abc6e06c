"""A manager's own Slack settings, in the shared `user_settings` table ("forget me" deletes them)."""

from __future__ import annotations

from datetime import datetime, timezone

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


class PrefsStore:
    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    async def load(self, workspace_id: str, user_id: str) -> Prefs:
        t = user_settings.c
        async with transaction(self.engine) as conn:
            row = (
                await conn.execute(
                    select(t.settings).where(t.platform == PLATFORM, t.workspace_id == workspace_id, t.user_id == user_id)
                )
            ).first()
        if row is None:
            return Prefs()
        try:
            return Prefs.model_validate(row.settings)
        except ValidationError:
            return Prefs()  # written by an older version: defaults rather than an error

    async def save(self, workspace_id: str, user_id: str, prefs: Prefs) -> None:
        now = datetime.now(timezone.utc)
        data = prefs.model_dump(mode="json")
        stmt = self._insert(user_settings).values(platform=PLATFORM, workspace_id=workspace_id, user_id=user_id, settings=data, updated_at=now)
        stmt = stmt.on_conflict_do_update(index_elements=["platform", "workspace_id", "user_id"], set_={"settings": data, "updated_at": now})
        async with transaction(self.engine) as conn:
            await conn.execute(stmt)
