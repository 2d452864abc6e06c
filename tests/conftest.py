"""Shared fixtures: content, a diagnoser, stores on SQLite and on the real PostgreSQL server.

PostgreSQL: each test session creates its own database on the server at
LEADBOT_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test) and drops
it at the end, so parallel runs (and pytest-xdist's workers) never see each
other's rows. With CI=true an unreachable server fails the run: a skipped
PostgreSQL test is not a pass.

Markers (pyproject.toml): `postgres` is added here to every test that needs a
PostgreSQL server; `process` marks the tests that start OS processes. For a
quick loop while working: `pytest -m "not process"`. CI runs everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import shutil
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from dialogs.content_loader import Content, default_content_dir, load_content
from dialogs.conversation import Conversations
from dialogs.diagnosis.diagnoser import ContentDiagnoser
from dialogs.dialog import Dialog
from dialogs.flows.escalation import offers_way_back
from dialogs.language import looks_welsh
from dialogs.store import MemoryStore

PG_ADMIN = os.environ.get("LEADBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ROOT = Path(__file__).resolve().parent.parent
# The installed console script, exactly as a user runs it.
LEADBOT = str(Path(sys.executable).parent / "leadbot")
MODELS_KEPT = 4  # fitted models kept in the cache: this content and a few recent edits of it
POSTGRES_FIXTURES = {"pg_database", "pg_engine", "private_pg"}


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if POSTGRES_FIXTURES & set(item.fixturenames) or params.get("database_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def cache_dir(request, tmp_path_factory) -> Path:
    """Where the fitted diagnosis model is kept, from one test run to the next.

    Fitting takes a minute or more on a busy 2-core machine; a fitted model's file name carries the content's and
    the fitting code's fingerprints (dialogs.diagnosis.model.cache_key), so a model is
    only ever reused for exactly the content and code that made it, and anything else is
    fitted afresh. Kept in pytest's cache directory (`.pytest_cache`); a run without
    pytest's cache plugin fits into a fresh directory, as a clean clone does.
    """
    cache = getattr(request.config, "cache", None)
    path = cache.mkdir("leadbot-model") if cache is not None else tmp_path_factory.mktemp("model-cache")
    # A model built into the package (bot/model/, by the build backend or `leadbot model build`) seeds it,
    # so not even the first run fits one.
    built_in = sorted((ROOT / "bot" / "model").glob("model-*.npz"))
    for built in built_in:
        if not (path / built.name).exists():
            partial = path / f".{built.name}.{os.getpid()}"
            shutil.copy2(built, partial)
            os.replace(partial, path / built.name)  # whole or not at all, for workers side by side
    # Never prune a seeded model: copy2 keeps its old date, so it would look oldest and be deleted while
    # another worker, having just seen it, is about to read it.
    seeded = {b.name for b in built_in}
    models = sorted(
        (f for f in path.glob("model-*.npz") if f.name not in seeded), key=lambda f: f.stat().st_mtime, reverse=True
    )
    for old in models[MODELS_KEPT:]:
        with contextlib.suppress(OSError):
            old.unlink()
    return path


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
    # With pytest-xdist every worker asks at once: one fits and writes the model, the others wait and read it.
    with open(cache_dir / ".fitting.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return ContentDiagnoser(content, cache_dir=cache_dir)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session", autouse=True)
def _fitted_model(diagnoser) -> None:
    """Before any test: the fitted model is in the cache, so the apps and `leadbot` processes tests start
    (and the other pytest-xdist workers) load it instead of each fitting their own."""


@pytest.fixture(scope="session")
def model_probe_texts(content) -> list[str]:
    """Messages to find a kind of reading among, so a test follows the model, not a fixed text: the training
    examples, then our own measuring sets (never the public ones, which may not be on the machine)."""
    measuring = Path(__file__).resolve().parent.parent / "benchmarks" / "data"
    return [e.text for e in content.training] + [
        json.loads(line)["text"]
        for name in ("persona_blind.jsonl", "holdout.jsonl", "persona_escalations.jsonl")
        for line in (measuring / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


@pytest.fixture(scope="session")
def false_alarm(content, diagnoser, model_probe_texts) -> str:
    """What a false alarm looks like to the dialog: a message the model alone reads as a sensitive matter
    (none of escalation.yaml's terms in it), less surely than the bar at which it would commit to a coaching
    reading and as no risk to life, and reads as a team problem (however unsure) once told it is not one.
    Chosen from the training examples, then our own measuring sets, so it follows the model, not a fixed text."""
    for text in model_probe_texts:
        if not text.isascii() or len(text) > 200 or looks_welsh(text):
            continue  # the dialog answers Welsh in Welsh; these tests read the English replies
        offered = offers_way_back(content, diagnoser.diagnose(text), diagnoser.ask_below)
        if offered and diagnoser.diagnose(text, second_look=True).first_move in ("lead", "manage"):
            return text
    raise AssertionError("no training or measuring-set message is read as sensitive by the model alone, and unsurely")


@pytest.fixture
def dialog(content, diagnoser) -> Dialog:
    return Dialog(content, diagnoser, retention_days=30)


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def conversations(dialog, memory_store) -> Conversations:
    return Conversations(dialog, memory_store)


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
    except Exception as exc:
        message = f"PostgreSQL not reachable at {PG_ADMIN}: {type(exc).__name__}: {exc}"
        if IN_CI:
            pytest.fail(message + " (CI=true: a skipped PostgreSQL test would hide a failure)")
        pytest.skip(message)
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    yield f"{base}/{name}"
    try:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    except Exception:
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
        store = SqlStore(db)
        yield store
        await store.close()


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

    settings = Settings(
        _env_file=None, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'leadbot.db'}", LEADBOT_CACHE_DIR=str(cache_dir)
    )
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


@pytest.fixture
def content_copy(tmp_path) -> Path:
    """A writable copy of the packaged content, for tests that break it on purpose."""
    target = tmp_path / "content"
    shutil.copytree(default_content_dir(), target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target


def edit_yaml(path: Path, change) -> None:
    """Load a content file, let `change` edit the data in place, and write it back."""
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
