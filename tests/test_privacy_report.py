"""`leadbot privacy report`: a DPIA and ROPA written from the running configuration, never by hand.

Changing a setting changes the report; the last forget-me and retention runs come from the audit log;
what is stored is the same list the bot gives and the README shows; no secret ever appears."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from datetime import UTC, datetime

import pytest

from bot.privacy.markdown import render_markdown
from bot.privacy.report import TO_COMPLETE, build_report
from bot.settings import Settings
from tests.conftest import LEADBOT

STEPS = [
    "## Step 1: Identify the need for a DPIA",
    "## Step 2: Describe the processing",
    "## Step 3: Consultation process",
    "## Step 4: Assess necessity and proportionality",
    "## Step 5: Identify and assess risks",
    "## Step 6: Identify measures to reduce risk",
    "## Step 7: Sign off and record outcomes",
    "## Record of processing activities",
]


def report_for(content, **settings) -> str:
    s = Settings(_env_file=None, **{"DATABASE_URL": "sqlite+aiosqlite:///./leadbot.db", **settings})
    return render_markdown(build_report(s, content, None, None, now=datetime(2026, 12, 3, tzinfo=UTC)))


def test_the_report_follows_the_ico_template_and_leaves_the_organisations_answers_to_the_dpo(content):
    text = report_for(content)
    positions = [text.index(step) for step in STEPS]
    assert positions == sorted(positions), "the ICO's steps, in order, then the ROPA"
    assert text.count(TO_COMPLETE) >= 10
    for what, why, _how_long in [(i.what, i.why, i.how_long) for i in content.messages.stored]:
        assert f"| {what} | {why} |" in text, "the same rows as 'what do you store?' and the README"


def test_a_changed_setting_changes_the_report_with_no_edit(content):
    before = report_for(content)
    after = report_for(content, LEADBOT_RETENTION_DAYS=90, LEADBOT_POLL_MIN_VOTES=5, LEADBOT_AUDIT_DAYS=730)
    assert "Kept for 30 days after your last message" in before and "Kept for 90 days after your last message" in after
    assert "Conversation state: kept 90 days" in after and "conversation state 90 days; audit log 730 days" in after
    assert "no count is shown until 5 people have voted" in after and "Kept for 730 days." in after
    assert "| LEADBOT_RETENTION_DAYS | 90 |" in after


def test_platforms_and_the_database_are_named_without_credentials(content):
    text = report_for(
        content,
        DATABASE_URL="postgresql+asyncpg://leadbot:hunter2@db.internal:5432/leadbot",
        MICROSOFT_APP_ID="00000000-0000-0000-0000-000000000001",
        MICROSOFT_APP_PASSWORD="very-secret-password",
        MICROSOFT_APP_TYPE="SingleTenant",
        MICROSOFT_APP_TENANT_ID="tenant-1",
        SLACK_BOT_TOKEN="xoxb-secret-token",
        SLACK_SIGNING_SECRET="signing-secret",
    )
    assert "Platforms configured: Slack, Microsoft Teams." in text
    assert "PostgreSQL at db.internal:5432" in text and "app type SingleTenant" in text
    for secret in ("hunter2", "very-secret-password", "xoxb-secret-token", "signing-secret"):
        assert secret not in text
    assert "| SLACK_BOT_TOKEN | set |" in text and "| SLACK_APP_TOKEN | not set |" in text


def test_escalation_routes_still_to_fill_in_are_pointed_out(content):
    text = report_for(content)
    bullying = next(t for t in content.escalation.topics if t.id == "bullying")
    (line,) = [x for x in text.splitlines() if x.startswith(f"  - {bullying.name}:")]
    assert "HR / people team (contact not filled in yet)" in line


@pytest.mark.process
def test_the_command_reads_the_settings_and_the_audit_log_as_json_and_markdown(tmp_path):
    from bot.storage.audit import AuditLog
    from bot.storage.migrate import open_migrated

    url = f"sqlite+aiosqlite:///{tmp_path / 'dpia.db'}"

    async def fill() -> None:
        db = await open_migrated(url)
        try:
            log = AuditLog(db)
            await log.record("forget_me", "ran", at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC), platform="slack", count=7)
            await log.record("retention", "conversations", at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC), count=3)
        finally:
            await db.dispose()

    asyncio.run(fill())
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("LEADBOT_", "DATABASE_URL", "SLACK_", "MICROSOFT_"))
    }
    env = {**base, "DATABASE_URL": url, "LEADBOT_RETENTION_DAYS": "45"}
    out = tmp_path / "dpia.md"
    made = subprocess.run(
        [LEADBOT, "privacy", "report", "--out", str(out)], capture_output=True, text=True, timeout=60, env=env
    )
    assert made.returncode == 0, made.stderr
    text = out.read_text()
    assert "Kept for 45 days after your last message" in text
    assert (
        "Last run: 2026-11-30T09:00:00+00:00 (7 rows)" in text
        and "Last run: 2026-12-01T09:00:00+00:00 (3 rows)" in text
    )
    as_json = subprocess.run(
        [LEADBOT, "privacy", "report", "--json"], capture_output=True, text=True, timeout=60, env=env
    )
    data = json.loads(as_json.stdout)
    assert data["retention"]["conversation_state_days"] == 45 and data["forget_me"]["last_run"]["rows"] == 7
    nowhere = subprocess.run(
        [LEADBOT, "privacy", "report", "--out", str(tmp_path / "no" / "such" / "folder.md")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert nowhere.returncode == 1 and "cannot write" in nowhere.stderr and "Traceback" not in nowhere.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [("LEADBOT_POLL_MIN_VOTES", "1"), ("LEADBOT_POLL_MIN_VOTES", "many"), ("LEADBOT_AUDIT_DAYS", "7")],
)
def test_a_poll_minimum_or_audit_period_that_cannot_work_is_refused_naming_the_setting(tmp_path, name, value):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LEADBOT_", "DATABASE_URL"))}
    env = {**base, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", name: value}
    result = subprocess.run([LEADBOT, "audit"], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 2 and f"leadbot: setting {name}:" in result.stderr and "Traceback" not in result.stderr
