"""The composition root: build everything a command or the server needs from `Settings`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.nudges import store as _nudge_store  # noqa: F401 - registers the nudge tables' forget-me hook in every process
from bot.settings import Settings
from bot.storage.migrate import open_migrated
from bot.storage.sql_store import SqlStore
from bot.diagnoser import OnFit, build_diagnoser
from dialogs.content_loader import Content, load_content
from dialogs.diagnosis.diagnoser import ContentDiagnoser
from dialogs.engine import DialogEngine
from dialogs.service import ConversationService


@dataclass
class Services:
    settings: Settings
    content: Content
    diagnoser: ContentDiagnoser
    db: AsyncEngine
    store: SqlStore
    conversations: ConversationService

    async def close(self) -> None:
        await self.db.dispose()


async def build_services(settings: Settings, migrate: bool = True, on_fit: OnFit | None = None) -> Services:
    """Load content (raising ContentInvalid if it is broken), open the database and migrate it.

    `on_fit(estimate_seconds)` is called before the diagnosis model has to be fitted (default: a log line)."""
    content = load_content(settings.content_dir)
    # The database before the model: a wrong DATABASE_URL is said at once, not after a model fit.
    db = await open_migrated(settings.database_url, migrate)
    try:
        diagnoser = build_diagnoser(settings, content, on_fit)
    except BaseException:
        await db.dispose()
        raise
    store = SqlStore(db)
    engine = DialogEngine(content, diagnoser, settings.retention_days)
    return Services(settings, content, diagnoser, db, store, ConversationService(engine, store))
