"""The audit log: each kind of event is recorded as it happens, with ids and counts but never anyone's words,
and kept for LEADBOT_AUDIT_DAYS. On SQLite and the real PostgreSQL; `leadbot audit` reads it back."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from bot.privacy.startup import record_startup
from bot.settings import Settings
from bot.storage.audit import AuditLog
from bot.storage.nudge_store import SqlNudgeStore
from bot.storage.tables import audit_events, conversation_state, escalation_counts
from dialogs.conversation import Conversations
from dialogs.dialog import Dialog
from dialogs.dialog_result import SAID_NOT_SENSITIVE
from dialogs.models import ChoicePress, ConversationKey, Inbound
from tests.conftest import LEADBOT
from tests.nudge_support import Nudges

CHANNEL = ("slack", "T1", "C_TEAM")


def said(text: str, user: str = "U_ALEX", channel: str = "C_TEAM", surface: str = "slash") -> Inbound:
    key = ConversationKey(platform="slack", workspace_id="T1", user_id=user, conversation_id=channel)
    return Inbound(key=key, surface=surface, text=text, user_name="Alex Smith", in_channel=not channel.startswith("D"))


@pytest.fixture
def audit(sql_store) -> AuditLog:
    return AuditLog(sql_store.engine)


@pytest.fixture
def nudges(sql_store, content) -> Nudges:
    return Nudges(content, SqlNudgeStore(sql_store.engine), {}, events=sql_store)


async def test_turning_a_channels_nudges_on_changing_and_off_says_who_and_when(nudges, audit):
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    await nudges.command(said("nudge on"), now)
    await nudges.command(said("nudge on thursday 2pm scotland", user="U_SAM"), now + timedelta(minutes=1))
    await nudges.command(said("nudge off", user="U_JO"), now + timedelta(minutes=2))
    await nudges.command(said("nudge off", user="U_JO"), now + timedelta(minutes=3))  # already off: nothing changed
    events = await audit.events(kind="subscription")
    assert [(e["action"], e["actor"]) for e in events] == [
        ("nudge_on", "U_ALEX"),
        ("schedule_changed", "U_SAM"),
        ("nudge_off", "U_JO"),
    ]
    assert all((e["platform"], e["workspace_id"], e["channel_id"]) == CHANNEL for e in events)
    assert events[1]["detail"] == {"weekday": 3, "time": "14:00", "timezone": "Europe/London", "region": "scotland"}
    assert all("Alex" not in json.dumps(e) for e in events), "the platform id, never the display name"


async def test_a_channel_paused_by_the_platform_is_recorded_with_its_error_code(nudges, audit):
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    await nudges.command(said("nudge on"), now)
    await nudges.store.pause(CHANNEL, "channel_not_found", now)
    paused = (await audit.events(kind="subscription"))[-1]
    assert (
        paused["action"] == "paused" and paused["actor"] is None and paused["detail"] == {"reason": "channel_not_found"}
    )


async def test_forget_me_is_counted_not_named_and_removes_the_person_from_earlier_events(nudges, sql_store, audit):
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    await nudges.command(said("nudge on"), now)
    removed = await sql_store.forget_user("slack", "T1", "U_ALEX")
    (run,) = await audit.events(kind="forget_me")
    assert run["count"] == removed == 2, "the attribution on the subscription and the 'who' of the audit event"
    assert run["actor"] is None and run["workspace_id"] is None and run["platform"] == "slack"
    (on,) = await audit.events(kind="subscription")
    assert on["action"] == "nudge_on" and on["actor"] is None, "the event stays; who it was goes"
    assert "U_ALEX" not in json.dumps(await audit.events())


async def test_settings_changes_at_start_up_name_the_setting_and_never_a_secret(tmp_path, audit, content):
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    first = Settings(
        _env_file=None, DATABASE_URL=url, SLACK_BOT_TOKEN="xoxb-very-secret-1", SLACK_SIGNING_SECRET="sig-secret-1"
    )
    assert await record_startup(audit, first, content) == ["settings", "content"]
    assert await record_startup(audit, first, content) == [], "nothing changed: nothing recorded"
    second = Settings(
        _env_file=None,
        DATABASE_URL=url,
        SLACK_BOT_TOKEN="xoxb-very-secret-2",
        SLACK_SIGNING_SECRET="sig-secret-1",
        LEADBOT_RETENTION_DAYS=45,
        LEADBOT_POLL_MIN_VOTES=5,
    )
    assert await record_startup(audit, second, content) == ["settings"]
    first_seen, change = await audit.events(kind="settings")
    assert first_seen["action"] == "first_recorded"
    assert change["action"] == "changed" and change["detail"]["changed"] == [
        "LEADBOT_POLL_MIN_VOTES",
        "LEADBOT_RETENTION_DAYS",
    ]
    assert change["detail"]["settings"]["LEADBOT_RETENTION_DAYS"] == 45
    assert change["detail"]["settings"]["SLACK_BOT_TOKEN"] == "set"
    everything = json.dumps(await audit.events())
    assert "very-secret" not in everything and "sig-secret" not in everything


def test_the_database_is_written_down_without_its_password():
    from bot.privacy.snapshot import settings_snapshot

    settings = Settings(_env_file=None, DATABASE_URL="postgresql+asyncpg://leadbot:hunter2@db.internal:5432/leadbot")
    snapshot = settings_snapshot(settings)
    assert snapshot["DATABASE_URL"] == "PostgreSQL at db.internal:5432"
    assert "hunter2" not in json.dumps(snapshot) and snapshot["MICROSOFT_APP_PASSWORD"] == "not set"


async def test_a_content_change_is_recorded_with_both_fingerprints(tmp_path, audit, content):
    settings = Settings(_env_file=None, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    await record_startup(audit, settings, content)
    edited = dataclasses.replace(content, fingerprint="f" * 64)
    assert await record_startup(audit, settings, edited) == ["content"]
    first, change = await audit.events(kind="content")
    assert first["detail"] == {"fingerprint": content.fingerprint, "previous": None}
    assert change["action"] == "changed" and change["detail"] == {
        "fingerprint": "f" * 64,
        "previous": content.fingerprint,
    }


async def test_retention_runs_are_recorded_with_what_they_deleted_and_quiet_runs_once_a_day(sql_store, nudges, audit):
    now = datetime.now(UTC)
    key = ConversationKey(platform="slack", workspace_id="T1", user_id="U_OLD", conversation_id="D1")
    await sql_store.save_state(key, {"stage": "idle"}, None)
    async with sql_store.engine.begin() as conn:
        await conn.execute(conversation_state.update().values(updated_at=now - timedelta(days=40)))
    await sql_store.purge(30, now)
    await sql_store.purge(30, now + timedelta(hours=1))  # nothing to delete, an hour later: not noted again
    await sql_store.purge(30, now + timedelta(days=1))  # nothing to delete, a day later: noted
    await nudges.store.purge(now)
    runs = await audit.events(kind="retention")
    assert [(r["action"], r["count"]) for r in runs] == [("conversations", 1), ("nudges", 0), ("conversations", 0)]
    assert runs[0]["detail"] == {"conversation_state": 1, "processed_events": 0}
    assert set(runs[1]["detail"]) == {"poll_voters", "poll_tallies", "nudge_deliveries"}


async def test_the_audit_log_is_kept_for_its_days_then_purged_by_the_retention_job(sql_store, audit):
    now = datetime.now(UTC)
    async with sql_store.engine.begin() as conn:
        await conn.execute(
            insert(audit_events).values(at=now - timedelta(days=400), kind="forget_me", action="ran", count=1)
        )
        await conn.execute(
            insert(audit_events).values(at=now - timedelta(days=100), kind="forget_me", action="ran", count=2)
        )
        await conn.execute(
            insert(escalation_counts).values(
                day=(now - timedelta(days=400)).date(), platform="slack", topic="bullying", count=3
            )
        )
    purged = await sql_store.purge(30, now, audit_days=365)
    assert purged["audit_events"] == 1 and purged["escalation_counts"] == 1
    assert [e["count"] for e in await audit.events(kind="forget_me")] == [2]
    assert await audit.escalations() == []
    assert (await audit.last("retention"))["action"] == "audit"


async def test_escalations_are_counted_per_day_and_topic_without_the_person_or_the_words(
    sql_store, content, diagnoser, audit
):
    conversations = Conversations(Dialog(content, diagnoser), sql_store)
    words = "one of my team says a colleague keeps bullying her and I don't know what to do"
    for user in ("U_A", "U_B"):
        result = await conversations.handle(said(words, user=user, channel=f"D_{user}", surface="dm"))
        assert result.event == "escalation"
    (row,) = await audit.escalations()
    assert row["count"] == 2 and row["platform"] == "slack" and row["day"] == datetime.now(UTC).date().isoformat()
    assert row["topic"] in content.topics or row["topic"] == "unsure"
    async with sql_store.engine.begin() as conn:
        stored = [dict(r._mapping) for r in (await conn.execute(select(escalation_counts))).all()]
    assert "U_A" not in str(stored) and "bullying her" not in str(stored)


async def test_an_escalation_said_not_to_be_sensitive_is_counted_apart_without_the_words(
    sql_store, content, diagnoser, audit, false_alarm
):
    conversations = Conversations(Dialog(content, diagnoser), sql_store)
    result = await conversations.handle(said(false_alarm, user="U_A", channel="D_U_A", surface="dm"))
    [esc] = result.replies
    press = ChoicePress(value="not_sensitive", token=esc.choice_token)
    key = said("", user="U_A", channel="D_U_A").key
    pressed = await conversations.handle(Inbound(key=key, surface="button", choice=press))
    assert pressed.event == "not_sensitive"
    rows = {row["topic"]: row["count"] for row in await audit.escalations()}
    assert rows.pop(SAID_NOT_SENSITIVE) == 1
    assert list(rows.values()) == [1], "the escalation itself is still counted once, under its topic"
    async with sql_store.engine.begin() as conn:
        stored = str([dict(r._mapping) for r in (await conn.execute(select(escalation_counts))).all()])
    assert "U_A" not in stored and false_alarm[:20] not in stored


def filled_database(tmp_path, write) -> str:
    """A new, migrated SQLite database with `write(engine)` done in it; its URL, for a `leadbot` process."""
    import asyncio

    from bot.storage.migrate import open_migrated

    url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"

    async def fill() -> None:
        db = await open_migrated(url)
        try:
            await write(db)
        finally:
            await db.dispose()

    asyncio.run(fill())
    return url


def leadbot_audit(url: str, *args: str) -> subprocess.CompletedProcess:
    import os

    base = {k: v for k, v in os.environ.items() if not k.startswith(("LEADBOT_", "DATABASE_URL"))}
    return subprocess.run(
        [LEADBOT, "audit", *args], capture_output=True, text=True, timeout=60, env={**base, "DATABASE_URL": url}
    )


@pytest.mark.process
def test_leadbot_audit_shows_false_alarms_apart_from_the_escalations(tmp_path):
    async def write(db) -> None:
        async with db.begin() as conn:
            day = datetime(2026, 3, 2, tzinfo=UTC).date()
            for topic, count in (("bullying", 3), ("unsure", 2), (SAID_NOT_SENSITIVE, 1)):
                await conn.execute(
                    insert(escalation_counts).values(day=day, platform="teams", topic=topic, count=count)
                )

    out = leadbot_audit(filled_database(tmp_path, write))
    assert out.returncode == 0, out.stderr
    passed, said_not = out.stdout.split("Of those, how many a manager said were not a sensitive matter")
    assert "bullying" in passed and "unsure" in passed and SAID_NOT_SENSITIVE not in passed
    assert said_not.split("\n")[1].split() == ["2026-03-02", "teams", "1"]


@pytest.mark.process
def test_leadbot_audit_lists_events_as_text_and_json_and_since_filters(tmp_path):
    async def write(db) -> None:
        log = AuditLog(db)
        await log.record("forget_me", "ran", at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC), platform="teams", count=4)
        await log.record(
            "subscription",
            "nudge_on",
            at=datetime(2026, 2, 1, 9, 0, tzinfo=UTC),
            platform="slack",
            workspace_id="T1",
            channel_id="C1",
            actor="U_ALEX",
            detail={"weekday": 0},
        )

    url = filled_database(tmp_path, write)
    text = leadbot_audit(url)
    assert text.returncode == 0, text.stderr
    assert "forget_me/ran" in text.stdout and "4 rows" in text.stdout and "by U_ALEX" in text.stdout
    data = json.loads(leadbot_audit(url, "--json", "--since", "2026-01-31").stdout)
    assert [e["action"] for e in data["events"]] == ["nudge_on"] and data["escalations"] == []
    bad = leadbot_audit(url, "--since", "last tuesday")
    assert bad.returncode == 2 and "not a date" in bad.stderr and "Traceback" not in bad.stderr
