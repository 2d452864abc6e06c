"""Apply Alembic migrations on start, safely when several replicas start at once."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import column, delete, insert, inspect, select, table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.setup_errors import SetupError
from bot.storage.db import transaction

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any fixed number: replicas starting together queue on this lock instead of racing to create tables.
ADVISORY_LOCK = 7_351_420


def _config(connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


# Before 0002..0004 became one chain they were three branches off 0001 with these ids, and
# the same contents. A database migrated then is at all three heads; it is at 0004 now.
LEGACY_HEADS = {"slack_0001", "0002_teams", "0002_nudges"}


def _restamp_legacy_heads(connection) -> None:
    if not inspect(connection).has_table("alembic_version"):
        return
    version = table("alembic_version", column("version_num"))
    heads = set(connection.execute(select(version.c.version_num)).scalars())
    if heads == LEGACY_HEADS:
        connection.execute(delete(version))
        connection.execute(insert(version).values(version_num="0004"))
    elif heads & LEGACY_HEADS:
        # Only some of the branches: no linear revision matches, and guessing would
        # create or skip tables. Say what to do instead of failing half-way.
        raise SetupError(
            f"DATABASE_URL: the database is at old migration heads {sorted(heads)}",
            "fix: start the build that made them (commit 56957c7 or earlier) once so that it applies all three, then start this one",
        )


def _upgrade(connection) -> None:
    _restamp_legacy_heads(connection)
    command.upgrade(_config(connection), "heads")


async def upgrade(engine: AsyncEngine) -> None:
    async with transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK})
        await conn.run_sync(_upgrade)


async def open_migrated(url: str, migrate: bool = True) -> AsyncEngine:
    """The engine for DATABASE_URL, migrated. A database that cannot work as set up (no such database,
    a refused role, a SQLite folder that is not there) raises SetupError naming the fix; one that is
    only unreachable for now raises StoreUnavailable."""
    from bot.storage.database_url import explain_failure
    from bot.storage.db import make_engine

    engine = make_engine(url)
    if not migrate:
        return engine
    try:
        await upgrade(engine)
    except BaseException as exc:
        await engine.dispose()
        problem = explain_failure(exc, url) if isinstance(exc, Exception) else None
        if problem is not None:
            raise problem from exc
        raise
    return engine
