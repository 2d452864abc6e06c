"""`leadbot doctor`, as an administrator runs it when something is wrong: one line per check, ok or what
is wrong and the fix, quickly even when everything is unreachable, and nothing changed."""

from __future__ import annotations

import asyncio
import os
from datetime import time
from pathlib import Path

import pytest

from bot.doctor import check_scheduler, check_teams_package
from bot.settings import Settings
from bot.storage.db import make_engine
from bot.storage.migrate import upgrade
from bot.storage.tables import nudge_deliveries
from bot.teams.app_package import PackageOptions, write_package
from dialogs.nudges.schedule import Schedule
from tests.conftest import LEADBOT
from tests.fakes.private_pg import free_port
from tests.fakes.slack_api import FakeSlackApi
from tests.nudge_support import subscribe, utc

TOKEN = "xoxb-T0DOCTOR-token"
APP_ID = "7d1f3c2a-5b6e-4f70-8a9b-0c1d2e3f4a5b"
OTHER_APP_ID = "0b6f5c1e-2d3a-4e5f-8a9b-1c2d3e4f5a6b"


async def doctor(tmp_path: Path, *args: str, **settings: str) -> tuple[int, list[str]]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "LEADBOT_", "DATABASE_URL"))
    }
    env.update(LEADBOT_CACHE_DIR=os.environ["LEADBOT_CACHE_DIR"], **settings)
    proc = await asyncio.create_subprocess_exec(
        LEADBOT,
        "doctor",
        *args,
        cwd=str(tmp_path),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert "Traceback" not in err.decode(), err.decode()
    return proc.returncode, out.decode().splitlines()


def line(lines: list[str], start: str) -> str:
    found = [x for x in lines if x.startswith(start)]
    assert found, (start, lines)
    return found[0]


@pytest.fixture
async def migrated(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'doctor.db'}"
    db = make_engine(url)
    await upgrade(db)
    yield url, db
    await db.dispose()


async def test_a_working_slack_deployment_is_all_ok(tmp_path, migrated, diagnoser):
    url, _ = migrated
    fake = FakeSlackApi()
    await fake.start()
    fake.add_workspace("T0DOCTOR", TOKEN, bot_user_id="U0LEADBOT")
    try:
        code, lines = await doctor(
            tmp_path, DATABASE_URL=url, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET="s3cret", SLACK_API_URL=fake.api_url
        )
    finally:
        await fake.stop()
    assert code == 0, lines
    assert lines[0].startswith("leadbot ")
    assert "ok       database       answers at" in line(lines, "ok       database")
    assert line(lines, "ok       migrations").endswith("at 0006_language, the latest")
    assert "SLACK_BOT_TOKEN works: workspace" in line(lines, "ok       slack") and "T0DOCTOR" in line(
        lines, "ok       slack"
    )
    assert line(lines, "ok       model"), "a model matching this content is ready"
    assert line(lines, "note     teams ").startswith("note     teams          no MICROSOFT_APP_ID")
    assert lines[-1] == "No problems found."


async def test_problems_are_named_with_their_fixes_and_nothing_hangs(tmp_path):
    fake = FakeSlackApi()
    await fake.start()
    try:
        code, lines = await doctor(
            tmp_path,
            DATABASE_URL=f"postgresql+asyncpg://leadbot@127.0.0.1:{free_port()}/leadbot",
            SLACK_BOT_TOKEN="xoxb-revoked",
            SLACK_SIGNING_SECRET="s3cret",
            SLACK_API_URL=fake.api_url,
            MICROSOFT_APP_ID=APP_ID,
            MICROSOFT_APP_PASSWORD="secret",
            MICROSOFT_APP_TYPE="SingleTenant",
        )
    finally:
        await fake.stop()
    assert code == 1
    database = lines.index(line(lines, "PROBLEM  database"))
    assert "cannot reach the database at DATABASE_URL (127.0.0.1:" in lines[database]
    assert "fix: check that it is running" in lines[database + 1]
    slack = lines.index(line(lines, "PROBLEM  slack"))
    assert (
        "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in lines[slack]
        and "fix: copy the Bot User OAuth Token" in lines[slack + 1]
    )
    teams = lines.index(line(lines, "PROBLEM  teams"))
    assert "MICROSOFT_APP_TYPE=SingleTenant needs MICROSOFT_APP_TENANT_ID" in lines[teams]


async def test_an_sqlite_database_not_yet_created_is_not_created_by_looking(tmp_path):
    target = tmp_path / "not-yet.db"
    _code, lines = await doctor(tmp_path, DATABASE_URL=f"sqlite+aiosqlite:///{target}")
    assert "no SQLite file at" in line(lines, "note     database")
    assert not target.exists()


def test_the_teams_package_is_compared_with_the_settings(tmp_path):
    package = write_package(
        PackageOptions(app_id=OTHER_APP_ID, host="leadbot.example.gov.uk"), tmp_path / "leadbot-teams.zip"
    )
    wrong = check_teams_package(Settings(_env_file=None, MICROSOFT_APP_ID=APP_ID), package)
    (finding,) = [f for f in wrong if f.status == "problem"]
    assert finding.text == f"the package names bot {OTHER_APP_ID}, but MICROSOFT_APP_ID is {APP_ID}"
    assert finding.fix.startswith(f"rebuild it: leadbot teams package --app-id {APP_ID}")
    right = check_teams_package(Settings(_env_file=None, MICROSOFT_APP_ID=OTHER_APP_ID), package)
    assert [f.status for f in right] == ["ok"]
    placeholder = write_package(PackageOptions(app_id=APP_ID), tmp_path / "placeholder.zip")
    assert any(
        "placeholder" in f.text
        for f in check_teams_package(Settings(_env_file=None, MICROSOFT_APP_ID=APP_ID), placeholder)
    )
    assert check_teams_package(Settings(_env_file=None), tmp_path / "missing.zip")[0].status == "problem"


async def test_nudges_due_but_never_tried_mean_no_scheduler_is_running(migrated):
    _, db = migrated
    monday_0900_london = Schedule(weekday=0, local_time=time(9, 0), timezone="Europe/London")
    await subscribe(db, [("slack", "T0DOC", "C0TEAM")], monday_0900_london, on_at=utc(2025, 1, 6))
    eleven = utc(2025, 4, 7, 10, 0)  # Monday 7 April 2025, 11:00 in London: due two hours ago
    (finding,) = await check_scheduler(db, now=eleven)
    assert (
        finding.status == "problem"
        and "1 of 1 channel: the nudge was due over 10 minutes ago and nothing has tried to send it" in finding.text
    )
    assert "leadbot nudge send-due" in finding.fix
    (early,) = await check_scheduler(db, now=utc(2025, 4, 7, 8, 5))  # five minutes after it was due
    assert early.status == "ok"
    async with db.begin() as conn:
        await conn.execute(
            nudge_deliveries.insert().values(
                platform="slack",
                workspace_id="T0DOC",
                channel_id="C0TEAM",
                week="2025-W15",
                status="sent",
                attempts=1,
                updated_at=utc(2025, 4, 7, 8, 0),
            )
        )
    (sent,) = await check_scheduler(db, now=eleven)
    assert sent.status == "ok" and "the nudge ledger last changed 2 hours ago" in sent.text
