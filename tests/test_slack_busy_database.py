"""A database that is busy or answers with an error: the person is told to try again, never left in silence.

Slack does not resend what it already had a 200 for, so a turn that fails after
the ack must still say so. Over real HTTP against the fake Web API: the one
pooled SQLite connection is held by someone else (the pool times out), SQLite's
write lock is (a conversation turn's own connection times out waiting for it),
or the database refuses a write with an error of its own.
"""

from __future__ import annotations

import contextlib

from sqlalchemy import text

from tests.fakes.slack_harness import alice, leadbot, workspace, world  # noqa: F401

TRY_AGAIN = "try again in a minute"


@contextlib.asynccontextmanager
async def pool_exhausted(bot, wait: float = 0.3):
    """Hold the engine's only pooled connection, and make waiting for it give up quickly."""
    engine = bot.services.db
    engine.pool._timeout = wait  # SQLAlchemy's pool_timeout (30 s in production): shortened so the test is quick
    async with engine.connect() as held:
        await held.execute(text("SELECT 1"))
        yield


@contextlib.asynccontextmanager
async def write_lock_held(bot, wait: float = 0.3):
    """Someone else holds SQLite's write lock (a long transaction, another process), and the turns' own
    connection (bot.storage.sqlite_thread) waits for it `wait` seconds instead of busy_timeout's 30."""
    thread = bot.services.store._thread

    def busy_timeout(ms: int):
        return lambda conn: conn.exec_driver_sql(f"PRAGMA busy_timeout={ms}")

    await thread.read(busy_timeout(int(wait * 1000)))
    try:
        async with pool_exhausted(bot, wait):  # its connection's BEGIN IMMEDIATE holds the lock
            yield
    finally:
        await thread.read(busy_timeout(30000))


async def _refuse_writes_to(bot, table: str) -> None:
    async with bot.services.db.begin() as conn:
        await conn.execute(
            text(f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'refused'); END")
        )


def _failed_turns(bot, event: str) -> float:
    return bot.metrics.turns.labels("slack", event)._value.get()


async def test_nudge_on_while_the_pool_is_exhausted_says_try_again(alice, leadbot):
    async with pool_exhausted(leadbot):
        answers = await alice.command("nudge on")
    assert len(answers) == 1, "one answer, not silence"
    assert TRY_AGAIN in answers[0].args["text"].lower()
    assert await alice.command("nudge status"), "answered normally once the pool is free again"


async def test_a_dm_while_the_database_is_busy_says_try_again_and_the_next_one_is_answered(alice, leadbot):
    async with write_lock_held(leadbot):
        reply = await alice.dm("help")
    assert TRY_AGAIN in reply.text.lower()
    assert _failed_turns(leadbot, "error") == 0, "a busy database is it being unavailable, not a bug"
    assert (await alice.dm("help")).header()


async def test_nudge_on_when_the_database_refuses_the_write_says_try_again(alice, leadbot):
    await _refuse_writes_to(leadbot, "nudge_subscriptions")
    answers = await alice.command("nudge on")
    assert len(answers) == 1
    assert TRY_AGAIN in answers[0].args["text"].lower()
