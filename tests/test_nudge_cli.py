"""`leadbot nudge list | preview | send-due` as an admin runs them (the installed console script)."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta

import pytest

from bot.storage.db import make_engine
from bot.storage.migrate import upgrade
from bot.storage.nudge_store import SqlNudgeStore
from tests.conftest import LEADBOT
from tests.nudge_support import ledger, subscribe, utc

pytestmark = pytest.mark.process  # starts leadbot or other OS processes

MONDAY = utc(2025, 1, 13, 9, 0)


def leadbot(args: list[str], url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([LEADBOT, "nudge", *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture
async def db_url(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    db = make_engine(url)
    await upgrade(db)
    await subscribe(db, [("slack", "T1", "C_SLACK"), ("teams", "tenant", "19:teams")], on_at=MONDAY - timedelta(days=1))
    await db.dispose()
    return url


async def test_send_due_without_slack_leaves_its_channels_for_later_and_pauses_a_teams_channel_it_cannot_reach(db_url):
    """No SLACK_BOT_TOKEN: Slack's channel waits (nothing claimed). The Teams channel has no stored
    conversation reference (the bot was removed from the team): it is paused, and says so."""
    result = leadbot(["send-due", "--at", "2025-01-13T09:30:00Z"], db_url)
    assert result.returncode == 1
    assert "1 due on slack left for later: no slack messenger" in result.stdout
    assert "paused 1" in result.stdout
    db = make_engine(db_url)
    try:
        rows = await ledger(db)
        assert [k[0] for k in rows] == ["teams"], "nothing claimed for Slack"
        (sub,) = [s for s in await SqlNudgeStore(db).subscriptions() if s.platform == "teams"]
        assert sub.paused_reason == "no_conversation_reference"
    finally:
        await db.dispose()


async def test_send_due_with_nothing_due_succeeds_and_is_idempotent(db_url):
    for _ in range(2):
        result = leadbot(["send-due", "--at", "2025-01-13T08:59:00+00:00"], db_url)
        assert result.returncode == 0 and "due 0" in result.stdout


def test_send_due_refuses_an_instant_without_a_timezone(tmp_path):
    result = leadbot(["send-due", "--at", "2025-01-13T09:00:00"], f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 2 and "timezone" in result.stderr


async def test_list_shows_each_channel_its_schedule_and_next_due_time(db_url):
    result = leadbot(["list"], db_url)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert any(
        "slack" in line
        and "C_SLACK" in line
        and "every Monday at 09:00 (Europe/London)" in line
        and "next due Mon" in line
        for line in lines
    )
    assert any("teams" in line and "19:teams" in line for line in lines)


async def test_preview_shows_a_channels_rotation_week_by_week(db_url):
    first = leadbot(["preview", "--channel", "C_SLACK"], db_url)
    later = leadbot(["preview", "--channel", "C_SLACK", "--week", "3"], db_url)
    assert first.returncode == 0 and later.returncode == 0
    assert "1) More meaning" in first.stdout and "slack T1 C_SLACK: week" in first.stdout
    assert first.stdout.splitlines()[0] != later.stdout.splitlines()[0], "a different week, a different nudge"
    missing = leadbot(["preview", "--channel", "C_NOPE"], db_url)
    assert missing.returncode == 1 and "no channel" in missing.stderr
    new = leadbot(["preview"], db_url)
    assert new.returncode == 0 and "A new channel's first nudge" in new.stdout
