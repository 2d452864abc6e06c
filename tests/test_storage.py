"""The SQL store, once on SQLite and once on the real PostgreSQL server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.storage.tables import conversation_state, feedback_counts, metadata, user_settings
from dialogs.models import ConversationKey
from dialogs.store import StateConflict
from tests.conftest import migrated_engine

ALICE = ConversationKey(platform="slack", workspace_id="T1", user_id="U_ALICE", conversation_id="D1")


async def test_state_round_trip_and_version_check(sql_store):
    assert await sql_store.load_state(ALICE) is None
    v1 = await sql_store.save_state(ALICE, {"stage": "idle"}, None)
    loaded = await sql_store.load_state(ALICE)
    assert loaded.data == {"stage": "idle"} and loaded.version == v1 == 1
    assert await sql_store.save_state(ALICE, {"stage": "quiz"}, 1) == 2
    with pytest.raises(StateConflict):  # someone saved version 2 since we read version 1
        await sql_store.save_state(ALICE, {"stage": "offered"}, 1)
    with pytest.raises(StateConflict):  # a second "first save" loses to the first
        await sql_store.save_state(ALICE, {"stage": "offered"}, None)
    assert (await sql_store.load_state(ALICE)).data == {"stage": "quiz"}


async def test_concurrent_saves_only_one_wins(sql_store):
    await sql_store.save_state(ALICE, {"n": 0}, None)

    async def attempt(i: int) -> bool:
        try:
            await sql_store.save_state(ALICE, {"n": i}, 1)
            return True
        except StateConflict:
            return False

    results = await asyncio.gather(*(attempt(i) for i in range(8)))
    assert sum(results) == 1
    assert (await sql_store.load_state(ALICE)).version == 2


async def test_same_ids_in_two_workspaces_never_mix(sql_store):
    other = ALICE.model_copy(update={"workspace_id": "T2"})
    await sql_store.save_state(ALICE, {"who": "T1"}, None)
    await sql_store.save_state(other, {"who": "T2"}, None)
    assert (await sql_store.load_state(ALICE)).data == {"who": "T1"}
    assert (await sql_store.forget_user("slack", "T2", "U_ALICE")) == 1
    assert (await sql_store.load_state(ALICE)).data == {"who": "T1"}, "forget in T2 must not touch T1"
    assert await sql_store.load_state(other) is None


async def test_forget_user_deletes_every_row_about_them_and_nothing_else(sql_store):
    bob = ALICE.model_copy(update={"user_id": "U_BOB"})
    await sql_store.save_state(ALICE, {"a": 1}, None)
    await sql_store.save_state(ALICE.model_copy(update={"conversation_id": "C9"}), {"a": 2}, None)
    await sql_store.save_state(bob, {"b": 1}, None)
    async with sql_store.engine.begin() as conn:
        await conn.execute(
            user_settings.insert().values(
                platform="slack",
                workspace_id="T1",
                user_id="U_ALICE",
                settings={"x": 1},
                updated_at=datetime.now(UTC),
            )
        )
    await sql_store.add_feedback("slack", "T1", "step-a", True)

    assert await sql_store.forget_user("slack", "T1", "U_ALICE") == 3
    async with sql_store.engine.begin() as conn:
        for table in metadata.sorted_tables:
            column = table.info.get("user_column")
            if column:
                rows = (await conn.execute(select(table).where(table.c[column] == "U_ALICE"))).all()
                assert rows == [], f"{table.name} still holds rows about the user"
        assert (await conn.execute(select(feedback_counts))).all(), "anonymous counts are not about anyone and stay"
    assert (await sql_store.load_state(bob)).data == {"b": 1}


async def test_feedback_and_misread_counts_accumulate(sql_store):
    for useful in (True, True, False):
        await sql_store.add_feedback("teams", "tenant", "step-x", useful)
    await sql_store.add_feedback("slack", "T1", "step-x", True)
    for _ in range(3):
        await sql_store.add_misread("slack", "T1", "lead/uncertainty", "manage/control")
    assert await sql_store.feedback_report() == [("step-x", 3, 1)]
    assert await sql_store.misread_report() == [("lead/uncertainty", "manage/control", 3)]


async def test_event_claimed_once_even_when_raced(sql_store):
    results = await asyncio.gather(*(sql_store.claim_event("slack", "T1", "Ev123") for _ in range(10)))
    assert sum(results) == 1
    assert await sql_store.claim_event("slack", "T2", "Ev123"), "the same id in another workspace is another event"
    await sql_store.release_event("slack", "T1", "Ev123")
    assert await sql_store.claim_event("slack", "T1", "Ev123"), "a released claim can be taken by the retry"


async def test_purge_removes_state_past_retention_only(sql_store):
    await sql_store.save_state(ALICE, {"old": True}, None)
    fresh = ALICE.model_copy(update={"conversation_id": "D2"})
    await sql_store.save_state(fresh, {"old": False}, None)
    async with sql_store.engine.begin() as conn:
        await conn.execute(
            conversation_state.update()
            .where(conversation_state.c.conversation_id == "D1")
            .values(updated_at=datetime.now(UTC) - timedelta(days=31))
        )
    removed = await sql_store.purge(retention_days=30)
    assert removed["conversation_state"] == 1
    assert await sql_store.load_state(ALICE) is None
    assert await sql_store.load_state(fresh) is not None


async def test_migrations_match_the_table_definitions(sql_store):
    """What Alembic built is what the code declares: no drift between tables.py and migrations."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    def diff(sync_conn):
        return compare_metadata(MigrationContext.configure(sync_conn), metadata)

    async with sql_store.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert changes == []


async def test_migrating_twice_and_concurrently_is_safe(database_url):
    from bot.storage.db import make_engine
    from bot.storage.migrate import upgrade

    engines = [make_engine(database_url) for _ in range(3)]
    try:
        await asyncio.gather(*(upgrade(e) for e in engines))
        await upgrade(engines[0])
    finally:
        for e in engines:
            await e.dispose()


async def test_a_turn_claims_reads_and_writes_in_one_transaction(sql_store):
    async with sql_store.turn(ALICE, "Ev1") as turn:
        assert turn.state is None
        await turn.save({"stage": "offered"})
        await turn.add_feedback("step-a", True)
    async with sql_store.turn(ALICE, "Ev1") as turn:
        assert turn is None, "the same delivery again is a duplicate"
    async with sql_store.turn(ALICE, "Ev2") as turn:
        assert turn.state.data == {"stage": "offered"} and turn.state.version == 1
    assert await sql_store.feedback_report() == [("step-a", 1, 0)]


async def test_a_failed_turn_leaves_no_claim_and_no_writes(sql_store):
    with pytest.raises(RuntimeError):
        async with sql_store.turn(ALICE, "Ev9") as turn:
            await turn.save({"stage": "offered"})
            raise RuntimeError("bug half-way through a turn")
    assert await sql_store.load_state(ALICE) is None
    async with sql_store.turn(ALICE, "Ev9") as turn:
        assert turn is not None, "the platform's retry of the failed event is handled"


async def test_a_delivery_claimed_elsewhere_while_a_turn_decided_is_written_once(sql_store):
    """The same event on two replicas: both read it as new, only the first to write claims it; the other's
    writes are dropped whole and, handled again, it sees the duplicate (so Slack's retry gets one answer)."""
    from bot.storage.sql_store import SqlStore

    replica = SqlStore(sql_store.engine)  # its own connection (SQLite) and its own conversation locks
    try:
        with pytest.raises(StateConflict):
            async with sql_store.turn(ALICE, "Ev-both") as slow:
                assert slow is not None
                async with replica.turn(ALICE, "Ev-both") as fast:
                    await fast.save({"by": "replica"})
                await slow.save({"by": "slow"})
                await slow.add_feedback("step-a", True)
    finally:
        await replica.close()
    async with sql_store.turn(ALICE, "Ev-both") as again:
        assert again is None, "handled again, it is the duplicate"
    assert (await sql_store.load_state(ALICE)).data == {"by": "replica"}
    assert await sql_store.feedback_report() == [], "none of the slower turn's writes went in"


async def test_a_delivery_claimed_elsewhere_conflicts_even_when_the_conversation_did_not_move(sql_store):
    """The claim alone guards a retry: the other replica answered this event without changing the
    conversation ("thanks"), so the version still matches, and the slower turn must still not answer twice."""
    from bot.storage.sql_store import SqlStore

    async with sql_store.turn(ALICE, "Ev-0") as turn:
        await turn.save({"stage": "offered"})
    replica = SqlStore(sql_store.engine)
    try:
        with pytest.raises(StateConflict):
            async with sql_store.turn(ALICE, "Ev-thanks") as slow:
                async with replica.turn(ALICE, "Ev-thanks") as fast:
                    assert fast is not None  # answered there, nothing saved: only the claim is written
                await slow.save({"stage": "thanked"})
    finally:
        await replica.close()
    async with sql_store.turn(ALICE, "Ev-thanks") as again:
        assert again is None, "handled again, it is the duplicate"
    assert (await sql_store.load_state(ALICE)).data == {"stage": "offered"}


async def test_concurrent_turns_on_one_conversation_never_lose_an_update(sql_store):
    """Ten turns at once on one conversation (think two replicas): each sees the one before."""
    from dialogs.store import StateConflict

    async def one(i: int) -> None:
        for _ in range(20):
            try:
                async with sql_store.turn(ALICE, f"Ev-{i}") as turn:
                    seen = turn.state.data["count"] if turn.state else 0
                    await turn.save({"count": seen + 1})
                return
            except StateConflict:
                continue
        raise AssertionError("turn never got through")

    await asyncio.gather(*(one(i) for i in range(10)))
    assert (await sql_store.load_state(ALICE)).data == {"count": 10}


async def test_a_database_at_the_old_branched_migrations_moves_to_the_linear_chain(database_url):
    """Builds before the chain was made linear left three heads; their schema is the same as 0004."""
    from sqlalchemy import text

    from bot.storage.db import make_engine
    from bot.storage.migrate import upgrade

    db = make_engine(database_url)
    try:
        await upgrade(db)
        from alembic import command

        from bot.storage.migrate import _config

        async with db.begin() as conn:  # back to 0004's schema, which the three old heads had
            await conn.run_sync(lambda sync_conn: command.downgrade(_config(sync_conn), "0004"))
        async with db.begin() as conn:
            await conn.execute(text("DELETE FROM alembic_version"))
            for head in ("slack_0001", "0002_teams", "0002_nudges"):
                await conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": head})
        await upgrade(db)  # would fail with "Can't locate revision" without the restamp
        async with db.begin() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        from bot.storage.migrate import MIGRATIONS

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        assert versions == list(ScriptDirectory.from_config(cfg).get_heads()), "restamped at 0004, then on to the head"
    finally:
        await db.dispose()


async def test_upgrading_keeps_poll_totals_and_drops_who_voted_which_way(database_url):
    """0005_privacy: the old per-person votes become totals; the rows naming a voter and a choice are gone."""
    from alembic import command
    from sqlalchemy import inspect, text

    from bot.storage.db import make_engine
    from bot.storage.migrate import _config, upgrade

    db = make_engine(database_url)
    try:
        await upgrade(db)  # a shared database may be at the head already: step back to 0004 from there
        async with db.begin() as conn:
            await conn.run_sync(lambda sync_conn: command.downgrade(_config(sync_conn), "0004"))
            for user, choice in (("U1", "meaning"), ("U2", "meaning"), ("U3", "structure")):
                await conn.execute(
                    text(
                        "INSERT INTO nudge_votes (platform, workspace_id, channel_id, week, user_id, choice, voted_at) "
                        "VALUES ('slack', 'T1', 'C1', '2025-W14', :u, :c, CURRENT_TIMESTAMP)"
                    ),
                    {"u": user, "c": choice},
                )
        await upgrade(db)
        async with db.begin() as conn:
            tallies = (await conn.execute(text("SELECT choice, votes FROM poll_tallies ORDER BY choice"))).all()
            tables = await conn.run_sync(lambda sync_conn: inspect(sync_conn).get_table_names())
        assert [tuple(r) for r in tallies] == [("meaning", 2), ("structure", 1)]
        assert "nudge_votes" not in tables
    finally:
        await db.dispose()


# --- PostgreSQL only: the pool after a restart, and what waits for the disk ----------------


async def _terminate_other_backends(engine) -> int:
    """What a server restart does to a replica's pooled connections: every one closed by the server."""
    from bot.storage.db import make_engine

    admin = make_engine(str(engine.url.render_as_string(hide_password=False)))
    try:
        async with admin.connect() as conn:
            result = await conn.exec_driver_sql(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return result.scalar()
    finally:
        await admin.dispose()


async def test_pooled_connections_closed_by_a_database_restart_are_replaced_not_failed(pg_engine):
    from bot.storage.sql_store import SqlStore

    store = SqlStore(pg_engine)
    async with store.turn(ALICE, "Ev-before") as turn:  # the pool now holds a live connection
        await turn.save({"stage": "offered"})
    assert await _terminate_other_backends(pg_engine) >= 1
    await asyncio.sleep(0.2)  # the restart happened a moment before the next message, not during it

    async with store.turn(ALICE, "Ev-after") as turn:
        assert turn.state.data == {"stage": "offered"}, "the first turn after the restart is answered"
        await turn.save({"stage": "done"})
    assert (await store.load_state(ALICE)).data == {"stage": "done"}


async def test_a_turn_does_not_wait_for_the_disk_but_forget_me_does(pg_engine):
    """The durability trade in the README: turns commit without the flush; "forget me" and the rest with it."""
    from bot.storage.sql_store import SqlStore
    from bot.storage.sql_turn import read

    async with pg_engine.begin() as conn:
        await conn.run_sync(read, ALICE, "Ev-1")
        assert (await conn.exec_driver_sql("SHOW synchronous_commit")).scalar() == "off"
    async with pg_engine.begin() as conn:
        assert (await conn.exec_driver_sql("SHOW synchronous_commit")).scalar() == "on", "for the turn's only"

    store = SqlStore(pg_engine)
    async with store._trips() as trips:  # the way a turn goes: its statements on the driver (pg_turn)
        await trips.read_turn(ALICE, "Ev-1")
        assert (await trips.conn.exec_driver_sql("SHOW synchronous_commit")).scalar() == "off"
    async with pg_engine.begin() as conn:
        assert (await conn.exec_driver_sql("SHOW synchronous_commit")).scalar() == "on", "for the turn's only"
    async with store.turn(ALICE, "Ev-2") as turn:
        await turn.save({"stage": "offered"})
    async with pg_engine.begin() as conn:  # "forget me" runs inside its turn's transaction
        await conn.run_sync(read, ALICE, "Ev-3")
        assert await store._forget_turn(ALICE, "Ev-3", conn) >= 1
        assert (await conn.exec_driver_sql("SHOW synchronous_commit")).scalar() == "on"
    assert await store.load_state(ALICE) is None


async def test_between_turns_sqlite_is_left_unlocked_and_its_journal_can_be_folded_back(tmp_path):
    """The turn thread keeps its connection open from turn to turn. Between turns it must hold no
    write lock (`leadbot chat` and `nudge send-due` write to the same file) and no read snapshot
    (which would stop the write-ahead journal being folded back, so the file would grow without end)."""
    import sqlite3

    from bot.storage.sql_store import SqlStore

    path = tmp_path / "leadbot.db"
    async with migrated_engine(f"sqlite+aiosqlite:///{path}") as db:
        store = SqlStore(db)
        try:
            for i in range(30):
                async with store.turn(ALICE, f"Ev{i}") as turn:
                    await turn.save({"count": i})
            other = sqlite3.connect(path, isolation_level=None, timeout=0)
            try:
                other.execute("BEGIN IMMEDIATE")  # fails at once ("database is locked") if a turn kept the lock
                other.execute("ROLLBACK")
                busy, _, _ = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                assert busy == 0, "a reader still holds a snapshot: the journal cannot be folded back"
            finally:
                other.close()
        finally:
            await store.close()


async def test_a_sqlite_write_that_fails_leaves_the_next_turn_working(tmp_path):
    """A turn whose write the database refuses fails alone: the next turn is read and written as usual."""
    import sqlite3

    from bot.storage.sql_store import SqlStore

    path = tmp_path / "leadbot.db"
    async with migrated_engine(f"sqlite+aiosqlite:///{path}") as db:
        store = SqlStore(db)
        try:
            async with store.turn(ALICE, "Ev1") as turn:
                await turn.save({"count": 1})
            refuse = sqlite3.connect(path, isolation_level=None)
            refuse.execute(
                "CREATE TRIGGER refuse BEFORE UPDATE ON conversation_state BEGIN SELECT RAISE(FAIL, 'refused'); END"
            )
            with pytest.raises(StateConflict):  # how the store reports a write the database refused
                async with store.turn(ALICE, "Ev2") as turn:
                    await turn.save({"count": 2})
            refuse.execute("DROP TRIGGER refuse")
            refuse.close()
            async with store.turn(ALICE, "Ev2") as turn:
                assert turn is not None, "the refused turn left no claim behind: its retry is handled"
                assert turn.state.data == {"count": 1}
                await turn.save({"count": 2})
            assert (await store.load_state(ALICE)).data == {"count": 2}
        finally:
            await store.close()


async def test_forget_me_inside_a_turn_removes_everything_and_claims_the_delivery(sql_store):
    """ "forget me" runs in its turn's own transaction (on PostgreSQL, with the turn's usual statements on the
    driver): the person's rows go, the count is their answer, and a retry of that delivery is a duplicate."""
    async with sql_store.turn(ALICE, "Ev1") as turn:
        await turn.save({"stage": "offered"})
        await turn.set_language("cy")
        await turn.add_feedback("step-a", True)
    async with sql_store.turn(ALICE, "Ev2") as turn:
        assert await turn.language() == "cy", "the language was written in the first turn's transaction"
        assert await turn.forget_user() >= 2
    async with sql_store.turn(ALICE, "Ev2") as turn:
        assert turn is None, "the retried 'forget me' is the duplicate, not a second run"
    async with sql_store.turn(ALICE, "Ev3") as turn:
        assert turn.state is None and await turn.language() is None
    assert await sql_store.feedback_report() == [("step-a", 1, 0)], "counts name no one, so they stay"


async def test_what_a_turn_writes_ages_out_on_time_like_everything_else(sql_store):
    """A turn's row and its delivery receipt are stored as SQLAlchemy stores them (the turn's statements
    run on the driver), so the retention job's time comparisons keep them until, and only until, they are due:
    a minute either side of the cut-off, on the same day (where a time stored in another format sorts wrong)."""
    async with sql_store.turn(ALICE, "Ev1") as turn:
        await turn.save({"stage": "offered"})
    stored = await sql_store.load_state(ALICE)
    written = stored.updated_at
    assert stored.data == {"stage": "offered"} and abs(written - datetime.now(UTC)) < timedelta(minutes=1)
    minute = timedelta(minutes=1)

    kept = await sql_store.purge(retention_days=30, now=written + timedelta(days=1) - minute)
    assert kept["processed_events"] == 0, "a receipt is kept for a day"
    async with sql_store.turn(ALICE, "Ev1") as turn:
        assert turn is None, "the receipt is still there: a retry is a duplicate"
    due = await sql_store.purge(retention_days=30, now=written + timedelta(days=1) + minute)
    assert due["processed_events"] == 1 and due["conversation_state"] == 0

    assert (await sql_store.purge(retention_days=30, now=written + timedelta(days=30) - minute))[
        "conversation_state"
    ] == 0
    assert (await sql_store.purge(retention_days=30, now=written + timedelta(days=30) + minute))[
        "conversation_state"
    ] == 1
    assert await sql_store.load_state(ALICE) is None
