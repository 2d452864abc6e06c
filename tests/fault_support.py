"""Fixtures for the fault tests: a private PostgreSQL that can be stopped, the fakes, `leadbot serve` processes.

Import the fixtures into a test module to use them. With CI=true a private
PostgreSQL that cannot be started fails the test: a skipped outage test is not a pass.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import IN_CI
from tests.fakes.private_pg import PrivatePostgres, PrivatePostgresUnavailable
from tests.fakes.serve_process import SLACK_TOKEN, ServeProcess, SlackPerson
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.teams_client import TeamsUser

TEAM = "T0FAULTS"
SAM = TeamsUser(tenant_id="3b5a0f2c-6d1e-4e9a-9f00-0a1b2c3d4e5f", aad_object_id="0f6e2b1a-4c3d-4b5a-8e7f-112233445566")


@pytest.fixture
def private_pg():
    """A PostgreSQL server of this test's own (never the shared one), started, with an empty database."""
    pg = None
    try:
        pg = PrivatePostgres.in_tmp()
        pg.init()
        pg.start()
        pg.create_database()
    except (PrivatePostgresUnavailable, OSError, subprocess.SubprocessError) as exc:
        if pg is not None:
            pg.destroy()
        message = f"cannot run a private PostgreSQL server: {exc}"
        if IN_CI:
            pytest.fail(message + " (CI=true: a skipped outage test would hide a failure)")
        pytest.skip(message)
    yield pg
    pg.destroy()


@pytest.fixture
async def slack_fake():
    fake = FakeSlackApi()
    await fake.start()
    fake.add_workspace(TEAM, SLACK_TOKEN, bot_user_id="U0BOTFLT", bot_id="B0BOTFLT")
    yield fake
    await fake.stop()


@pytest.fixture
def alice(slack_fake) -> SlackPerson:
    return SlackPerson(slack_fake, slack_fake.workspaces[SLACK_TOKEN])


@pytest.fixture
async def processes(diagnoser):
    """Every `leadbot serve` started by the test; killed at the end if still running.

    Asks for the session's diagnoser first, so the fitted model is in LEADBOT_CACHE_DIR and
    the processes start in a second or two instead of each fitting it again."""
    started: list[ServeProcess] = []
    yield started
    for p in started:
        await p.kill()
