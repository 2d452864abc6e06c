"""Apply Alembic migrations on start, safely when several replicas start at once."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.db import transaction

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any fixed number: replicas starting together queue on this lock instead of racing to create tables.
ADVISORY_LOCK = 7_351_420


def _config(connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection) -> None:
    # "heads": every branch, so modules can add their tables in migrations of their own.
    command.upgrade(_config(connection), "heads")


async def upgrade(engine: AsyncEngine) -> None:
    async with transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK})
        await conn.run_sync(_upgrade)
