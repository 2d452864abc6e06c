"""Shared fixtures: content, a diagnoser, stores on SQLite and on the real PostgreSQL server.

PostgreSQL: each test session creates its own database on the server at
LEADBOT_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test) and drops
it at the end, so parallel runs never see each other's rows. With CI=true an
unreachable server fails the run: a skipped PostgreSQL test is not a pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from dialogs.content_loader import Content, load_content
from dialogs.diagnosis.diagnoser import ContentDiagnoser
from dialogs.engine import DialogEngine
from dialogs.service import ConversationService
from dialogs.store import MemoryStore

PG_ADMIN = os.environ.get("LEADBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ROOT = Path(__file__).resolve().parent.parent
# The installed console script, exactly as a user runs it.
LEADBOT = str(Path(sys.executable).parent / "leadbot")


# The fitted model is shared by every test, and by every run on this machine: models are filed under a
# key of the content and the diagnosis code, so a run never loads another's, and written atomically, so
# runs side by side are safe. Only the first run after the content or the code changes fits one.
# (Tests of the model cache itself use folders of their own.)
MODEL_CACHE = Path(tempfile.gettempdir()) / "leadbot-test-model-cache"


@pytest.fixture(scope="session")
def cache_dir() -> Path:
    MODEL_CACHE.mkdir(parents=True, exist_ok=True)
    # A model built with `leadbot model build` (bot/model/) seeds it, so not even the first run fits one.
    for built in (ROOT / "bot" / "model").glob("model-*.npz"):
        if not (MODEL_CACHE / built.name).exists():
            partial = MODEL_CACHE / f".{built.name}.{os.getpid()}"
            shutil.copy2(built, partial)
            os.replace(partial, MODEL_CACHE / built.name)  # whole or not at all, for runs side by side
    return MODEL_CACHE


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(cache_dir):
    """Tests never read a developer's .env or write the default database or cache."""
    os.environ["LEADBOT_CACHE_DIR"] = str(cache_dir)
    os.environ.setdefault("LEADBOT_LOG_LEVEL", "INFO")
    yield


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content()


@pytest.fixture(scope="session")
def diagnoser(content, cache_dir) -> ContentDiagnoser:
    return ContentDiagnoser(content, cache_dir=cache_dir)


@pytest.fixture
def engine(content, diagnoser) -> DialogEngine:
    return DialogEngine(content, diagnoser, retention_days=30)


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def service(engine, memory_store) -> ConversationService:
    return ConversationService(engine, memory_store)


# --- PostgreSQL ----------------------------------------------------------------


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_database():
    """A fresh PostgreSQL database for this session; yields its SQLAlchemy URL."""
    name = f"leadbot_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server means the same thing
        message = f"PostgreSQL not reachable at {PG_ADMIN}: {type(exc).__name__}: {exc}"
        if IN_CI:
            pytest.fail(message + " (CI=true: a skipped PostgreSQL test would hide a failure)")
        pytest.skip(message)
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    yield f"{base}/{name}"
    try:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    except Exception:  # noqa: BLE001 - leave it for the server's owner rather than fail teardown
        pass


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """Run a test once on SQLite and once on the real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'leadbot.db'}"
    return request.getfixturevalue("pg_database")


@contextlib.asynccontextmanager
async def migrated_engine(url: str):
    """A migrated engine; every table emptied afterwards, as PostgreSQL is shared by the session."""
    from bot.storage.db import make_engine
    from bot.storage.migrate import upgrade
    from bot.storage.tables import metadata

    db = make_engine(url)
    await upgrade(db)
    try:
        yield db
    finally:
        async with db.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                await conn.execute(table.delete())
        await db.dispose()


@pytest.fixture
async def sql_store(database_url):
    from bot.storage.sql_store import SqlStore

    async with migrated_engine(database_url) as db:
        yield SqlStore(db)


@pytest.fixture
async def pg_engine(pg_database):
    """A migrated engine on this session's PostgreSQL database, emptied afterwards."""
    async with migrated_engine(pg_database) as db:
        yield db


@pytest.fixture
async def connector():
    """A local fake of the Bot Framework connector, recording what leadbot sends to Teams."""
    from tests.fakes.bot_connector import FakeConnector

    fake = await FakeConnector().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def teams(tmp_path, cache_dir, connector):
    """leadbot (unauthenticated, local) on a fresh SQLite file, spoken to as Teams speaks."""
    from bot.settings import Settings
    from tests.fakes.teams_client import TeamsClient, running_leadbot

    settings = Settings(_env_file=None, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'leadbot.db'}", LEADBOT_CACHE_DIR=str(cache_dir))
    async with running_leadbot(settings) as bot:
        client = TeamsClient(bot, connector)
        yield client
        await client.close()


@pytest.fixture
async def nudge_api():
    """A generic platform API on loopback for the nudge engine's own tests (tests/fakes/nudge_api.py)."""
    from tests.fakes.nudge_api import FakeNudgeApi

    api = FakeNudgeApi()
    await api.start()
    yield api
    await api.stop()
