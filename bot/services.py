"""The composition root's lower half: content, the diagnoser, the database and the stores, and the dialogs over them.

`build_services(settings)` is what every command and the server start from.
What needs a running platform (messengers, the turn router's poll updates, the
scheduler) is put together on top of this by `bot.server.app.create_app` and
`bot.messengers`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.diagnoser import OnFit, build_diagnoser
from bot.settings import Settings
from bot.storage.audit import AuditLog
from bot.storage.migrate import open_migrated
from bot.storage.nudge_store import SqlNudgeStore
from bot.storage.sql_store import SqlStore
from dialogs.content_loader import Content, load_content
from dialogs.conversation import Conversations
from dialogs.diagnosis.diagnoser import ContentDiagnoser
from dialogs.dialog import Dialog
from dialogs.nudges.turns import NudgeTurns


@dataclass
class Services:
    settings: Settings
    content: Content
    diagnoser: ContentDiagnoser
    db: AsyncEngine
    store: SqlStore
    nudge_store: SqlNudgeStore
    conversations: Conversations
    nudges: NudgeTurns
    audit: AuditLog

    async def close(self) -> None:
        await self.store.close()
        await self.db.dispose()


async def build_services(
    settings: Settings,
    migrate: bool = True,
    on_fit: OnFit | None = None,
    content: Content | None = None,
    diagnoser: ContentDiagnoser | None = None,
) -> Services:
    """Load content (raising ContentInvalid if it is broken), open the database and migrate it.

    `on_fit(estimate_seconds)` is called before the diagnosis model has to be fitted (default: a log line).
    `content` and `diagnoser` may be given when the caller already has them for these settings
    (the tests build many apps from one fitted model)."""
    content = content or load_content(settings.content_dir)
    # The database before the model: a wrong DATABASE_URL is said at once, not after a model fit.
    db = await open_migrated(settings.database_url, migrate)
    try:
        diagnoser = diagnoser or build_diagnoser(settings, content, on_fit)
    except BaseException:
        await db.dispose()
        raise
    store = SqlStore(db)
    nudge_store = SqlNudgeStore(db)
    conversations = Conversations(
        Dialog(content, diagnoser, settings.retention_days, settings.audit_days), store, settings.language
    )
    nudges = NudgeTurns(
        content, nudge_store, settings.timezone, settings.language, events=store, min_votes=settings.poll_min_votes
    )
    return Services(settings, content, diagnoser, db, store, nudge_store, conversations, nudges, AuditLog(db))
